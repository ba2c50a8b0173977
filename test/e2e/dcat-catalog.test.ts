import type { Quad } from '@rdfjs/types';
import * as jsonld from 'jsonld';
import type { JsonLdDocument } from 'jsonld';
import { DataFactory, Parser, Store } from 'n3';
import { RdfXmlParser } from 'rdfxml-streaming-parser';
import { beforeAll, describe, expect, it } from 'vitest';
import { call, expectProblem, keyWithRoles } from '../support/api';

/**
 * The catalogue for DCAT harvesters (`GET /api/v1/dcat/catalog`) and the per-entry DCAT-AP export
 * in Turtle and RDF/XML. Every answer is parsed by an RDF parser of its syntax (jsonld, n3,
 * rdfxml-streaming-parser) and checked as triples.
 */
const { namedNode, literal } = DataFactory;
const RDF_TYPE = namedNode('http://www.w3.org/1999/02/22-rdf-syntax-ns#type');
const dcat = (local: string) => namedNode(`http://www.w3.org/ns/dcat#${local}`);
const dct = (local: string) => namedNode(`http://purl.org/dc/terms/${local}`);
const foaf = (local: string) => namedNode(`http://xmlns.com/foaf/0.1/${local}`);
const hydra = (local: string) => namedNode(`http://www.w3.org/ns/hydra/core#${local}`);

type Syntax = 'jsonld' | 'turtle' | 'rdfxml';
const ACCEPT: Record<Syntax, string> = { jsonld: 'application/ld+json', turtle: 'text/turtle', rdfxml: 'application/rdf+xml' };

async function parse(syntax: Syntax, text: string, base: string): Promise<Store> {
  if (syntax === 'turtle') return new Store(new Parser({ baseIRI: base }).parse(text));
  if (syntax === 'jsonld') {
    const refuse = async (url: string): Promise<never> => {
      throw new Error(`no remote context expected, asked for ${url}`);
    };
    const quads = (await jsonld.toRDF(JSON.parse(text) as JsonLdDocument, { format: 'application/n-quads', documentLoader: refuse })) as unknown as string;
    return new Store(new Parser({ format: 'N-Quads' }).parse(quads));
  }
  const quads: Quad[] = [];
  await new Promise<void>((resolve, reject) => {
    const parser = new RdfXmlParser({ baseIRI: base });
    parser.on('data', (quad: Quad) => quads.push(quad));
    parser.on('error', reject);
    parser.on('end', resolve);
    parser.write(text);
    parser.end();
  });
  return new Store(quads);
}

let alice: string;
let published: { id: string; name: string };
let draftId: string;

beforeAll(async () => {
  alice = await keyWithRoles(['contributor']);
  const name = `DCAT catalogue check ${Date.now()}`;
  const created = await call<{ id: string }>('POST', '/v1/catalogue/datasets', {
    key: alice,
    body: { name, description: { plain: 'Listed in the catalogue.' }, license: 'CC-BY-4.0', status: 'published' },
  });
  expect(created.status, created.text).toBe(201);
  published = { id: created.body.id, name };
  const draft = await call<{ id: string }>('POST', '/v1/catalogue/datasets', { key: alice, body: { name: `${name} (draft)` } });
  draftId = draft.body.id;
});

/**
 * Every page of the catalogue in one syntax, parsed; the catalogue node's IRI. Other test files publish
 * and delete datasets meanwhile, so numbered pages can shift under a walk (as they do for a
 * harvester of ckanext-dcat's pages): a walk whose later page has gone past the new end starts again.
 */
async function wholeCatalogue(syntax: Syntax): Promise<{ pages: Store[]; catalog: string }> {
  for (let walk = 0; walk < 3; walk++) {
    const pages: Store[] = [];
    let catalog = '';
    for (let page = 1; ; page++) {
      const sut = await call<string>('GET', `/v1/dcat/catalog?page=${page}&pageSize=100`, { headers: { Accept: ACCEPT[syntax] } });
      if (sut.status === 404 && page > 1) break;
      expect(sut.status, sut.text).toBe(200);
      expect(sut.headers.get('content-type')).toContain(ACCEPT[syntax]);
      const store = await parse(syntax, sut.text, 'http://base.example/');
      pages.push(store);
      catalog = store.getSubjects(RDF_TYPE, dcat('Catalog'), null)[0]?.value ?? '';
      if (!store.getObjects(null, hydra('nextPage'), null)[0]) return { pages, catalog };
    }
  }
  throw new Error('the catalogue kept shrinking under three walks');
}

describe('GET /api/v1/dcat/catalog', () => {
  it.each(['jsonld', 'turtle', 'rdfxml'] as const)('is a dcat:Catalog with title, description, publisher, homepage and the published datasets (%s)', async (syntax) => {
    const { pages, catalog } = await wholeCatalogue(syntax);
    expect(catalog).toMatch(/\/api\/v1\/dcat\/catalog$/);
    const first = pages[0]!;
    const node = namedNode(catalog);
    expect(first.getObjects(node, dct('title'), null)).toHaveLength(1);
    expect(first.getObjects(node, dct('description'), null)).toHaveLength(1);
    const [publisher] = first.getObjects(node, dct('publisher'), null);
    expect(first.getObjects(publisher!, foaf('name'), null)).toHaveLength(1);
    expect(first.getObjects(node, foaf('homepage'), null)).toHaveLength(1);
    const datasets = pages.flatMap((store) => store.getObjects(node, dcat('dataset'), null).map((term) => term.value));
    const mine = datasets.find((iri) => iri.endsWith(`/api/v1/catalogue/datasets/${published.id}`));
    expect(mine, 'the dataset published in this test').toBeDefined();
    expect(datasets.some((iri) => iri.endsWith('/api/v1/catalogue/datasets/seed-dataset-iris'))).toBe(true);
    expect(datasets.some((iri) => iri.endsWith(draftId)), 'a draft').toBe(false);
    const own = pages.find((store) => store.has(DataFactory.quad(namedNode(mine!), RDF_TYPE, dcat('Dataset'))));
    expect(own?.has(DataFactory.quad(namedNode(mine!), dct('title'), literal(published.name)))).toBe(true);
  });

  it('pages with hydra as ckanext-dcat does: total, page size, first, last, previous and next', async () => {
    const first = await call<string>('GET', '/v1/dcat/catalog?pageSize=1', { headers: { Accept: 'text/turtle' } });
    const store = await parse('turtle', first.text, 'http://base.example/');
    const [collection] = store.getSubjects(RDF_TYPE, hydra('PagedCollection'), null);
    const value = (predicate: string) => store.getObjects(collection!, hydra(predicate), null)[0]?.value;
    const total = Number(value('totalItems'));
    expect(total).toBeGreaterThanOrEqual(2);
    expect(value('itemsPerPage')).toBe('1');
    expect(value('firstPage')).toMatch(/\/api\/v1\/dcat\/catalog\?page=1&pageSize=1$/);
    expect(value('lastPage')).toMatch(new RegExp(`\\?page=${total}&pageSize=1$`));
    expect(value('nextPage')).toMatch(/\?page=2&pageSize=1$/);
    expect(value('previousPage')).toBeUndefined();
    const second = await parse('turtle', (await call<string>('GET', '/v1/dcat/catalog?page=2&pageSize=1', { headers: { Accept: 'text/turtle' } })).text, 'http://b/');
    expect(second.getObjects(null, hydra('previousPage'), null)[0]?.value).toMatch(/\?page=1&pageSize=1$/);
    expect(second.getObjects(null, dcat('dataset'), null)).toHaveLength(1);
    // Far past the end, not total + 1: other test files publish entries into the same stack meanwhile.
    expectProblem(await call('GET', `/v1/dcat/catalog?page=${total + 50_000}&pageSize=1`), 404);
  });

  it('answers 406 to a client that accepts none of its syntaxes', async () => {
    expectProblem(await call('GET', '/v1/dcat/catalog', { headers: { Accept: 'text/html' } }), 406);
  });
});

describe('GET /api/v1/catalogue/{type}/{id} as Turtle and RDF/XML', () => {
  it.each(['turtle', 'rdfxml'] as const)('gives the DCAT-AP export as %s, with its own ETag', async (syntax) => {
    const sut = await call<string>('GET', `/v1/catalogue/datasets/${published.id}`, { headers: { Accept: ACCEPT[syntax] } });
    expect(sut.status, sut.text).toBe(200);
    expect(sut.headers.get('content-type')).toContain(ACCEPT[syntax]);
    const store = await parse(syntax, sut.text, 'http://base.example/');
    const [subject] = store.getSubjects(RDF_TYPE, dcat('Dataset'), null);
    expect(subject?.value).toMatch(new RegExp(`/api/v1/catalogue/datasets/${published.id}$`));
    expect(store.getObjects(subject!, dct('description'), null).map((t) => t.value)).toEqual(['Listed in the catalogue.']);
    const [license] = store.getObjects(subject!, dct('license'), null);
    expect(license).toBeUndefined(); // a dataset's licence sits on its distributions
    const jsonLd = await call('GET', `/v1/catalogue/datasets/${published.id}?profile=dcat-ap`);
    expect(sut.headers.get('etag')).not.toBe(jsonLd.headers.get('etag'));
  });

  it('gives Turtle for ?profile=dcat-ap, and 406 for Turtle in another profile', async () => {
    const sut = await call<string>('GET', `/v1/catalogue/datasets/${published.id}?profile=dcat-ap`, { headers: { Accept: 'text/turtle' } });
    expect(sut.headers.get('content-type')).toContain('text/turtle');
    expectProblem(await call('GET', `/v1/catalogue/datasets/${published.id}?profile=schema.org`, { headers: { Accept: 'text/turtle' } }), 406);
  });
});

describe('publishing needs what DCAT-AP makes mandatory', () => {
  it('refuses a published dataset without a description (400 naming the field), and a draft becoming published without one', async () => {
    const refused = expectProblem(await call('POST', '/v1/catalogue/datasets', { key: alice, body: { name: 'Only a name', status: 'published' } }), 400);
    expect(refused.errors).toEqual([expect.objectContaining({ pointer: '/body/description' })]);
    const patched = await call('PATCH', `/v1/catalogue/datasets/${draftId}`, {
      key: alice,
      body: { status: 'published' },
      headers: { 'Content-Type': 'application/merge-patch+json' },
    });
    expect(expectProblem(patched, 400).errors).toEqual([expect.objectContaining({ pointer: '/body/description' })]);
  });

  it('refuses a published service without its endpoint URL', async () => {
    const admin = await keyWithRoles(['contributor']);
    const refused = expectProblem(await call('POST', '/v1/catalogue/services', { key: admin, body: { name: 'No endpoint', status: 'published' } }), 400);
    expect(refused.errors).toEqual([expect.objectContaining({ pointer: '/body/endpointUrl' })]);
  });
});
