import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as jsonld from 'jsonld';
import type { JsonLdDocument } from 'jsonld';
import type { RemoteDocument } from 'jsonld/jsonld-spec';
import { beforeAll, describe, expect, it } from 'vitest';
import { adminKey, call, expectProblem, keyWithRoles } from '../support/api';

/**
 * Exports of catalogue entries as JSON-LD (schema.org, DCAT-AP, Croissant), chosen by Accept and
 * ?profile=. Each export is run through a JSON-LD processor (expansion and RDF conversion) with the
 * contexts shipped in test/fixtures/jsonld-contexts; any other remote document is refused.
 */
const CONTEXTS = path.resolve(__dirname, '../fixtures/jsonld-contexts');
const LOCAL_CONTEXTS: Record<string, string> = {
  'https://schema.org/': 'schema.org.jsonld',
  'https://schema.org': 'schema.org.jsonld',
  'http://schema.org/': 'schema.org.jsonld',
};

const documentLoader = async (url: string): Promise<RemoteDocument> => {
  const file = LOCAL_CONTEXTS[url];
  if (!file) throw new Error(`the test document loader does not fetch ${url}`);
  return { contextUrl: undefined, documentUrl: url, document: JSON.parse(readFileSync(path.join(CONTEXTS, file), 'utf8')) as RemoteDocument['document'] };
};

/** The export as N-Quads lines: what an RDF consumer reads from it. */
async function triples(document: unknown, base: string): Promise<string[]> {
  const nquads = (await jsonld.toRDF(document as JsonLdDocument, { format: 'application/n-quads', documentLoader, base })) as string;
  return nquads.split('\n').filter(Boolean);
}

async function expanded(document: unknown): Promise<unknown[]> {
  return jsonld.expand(document as JsonLdDocument, { documentLoader });
}

const RDF_TYPE = '<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>';
const SDO = (term: string) => `<http://schema.org/${term}>`;
const SDO_HTTPS = (term: string) => `<https://schema.org/${term}>`;
const DCAT = (term: string) => `<http://www.w3.org/ns/dcat#${term}>`;
const DCT = (term: string) => `<http://purl.org/dc/terms/${term}>`;
const CR = (term: string) => `<http://mlcommons.org/croissant/${term}>`;

/** The object of the first triple with this subject and predicate. */
function objectOf(lines: string[], subject: string, predicate: string): string | undefined {
  const line = lines.find((l) => l.startsWith(`${subject} ${predicate} `));
  return line?.slice(subject.length + predicate.length + 2).replace(/ \.$/, '');
}

/** Subjects (blank nodes included) with this rdf:type. */
function subjectsOfType(lines: string[], type: string): string[] {
  return lines.filter((l) => l.endsWith(` ${RDF_TYPE} ${type} .`)).map((l) => l.split(' ')[0] ?? '');
}

let alice: string;
let datasetId: string;
let selfUrl: string;

const DATASET = {
  name: 'Harbour porpoise acoustic detections 2022',
  description: { plain: 'Click-train detections from 18 moored hydrophones.' },
  keywords: ['bioacoustics', 'marine mammals'],
  license: 'CC-BY-4.0',
  version: '1.2.0',
  datePublished: '2023-05-02',
  creators: [{ type: 'persons', name: 'Jonas Berg', email: 'jonas.berg@example.org' }],
  contacts: [{ type: 'organisations', name: 'Baltic Acoustics Group', email: 'data@baltic-acoustics.example' }],
  distributions: [
    { name: 'detections.csv', contentUrl: 'https://data.example.org/porpoise/detections.csv', contentSizeBytes: 52_428_800, encodingFormat: 'text/csv', checksum: 'b'.repeat(64), checksumAlgorithm: 'sha256' },
    { name: 'stations.json', contentUrl: 'https://data.example.org/porpoise/stations.json', contentSizeBytes: 4096, encodingFormat: 'application/json', checksum: 'c'.repeat(32), checksumAlgorithm: 'md5' },
  ],
  size: { value: 1_204_332, unit: 'rows' },
  measurementTechnique: ['passive acoustic monitoring'],
  temporalCoverage: { startDate: '2022-01-01', endDate: '2022-12-31' },
  spatialCoverage: { name: 'Western Baltic', box: { south: 53.9, west: 10.1, north: 55.6, east: 14.9 } },
  status: 'published',
};

const get = (id: string, type: string, query = '', headers: Record<string, string> = {}, key?: string) =>
  call<Record<string, unknown>>('GET', `/v1/catalogue/${type}/${id}${query}`, { key, headers });

beforeAll(async () => {
  alice = await keyWithRoles(['contributor']);
  const created = await call<{ id: string }>('POST', '/v1/catalogue/datasets', { key: alice, body: DATASET });
  expect(created.status, created.text).toBe(201);
  datasetId = created.body.id;
  selfUrl = `${new URL(created.headers.get('location') ?? '', 'http://placeholder').pathname}`;
});

describe('GET /api/v1/catalogue/{type}/{id} with Accept: application/ld+json (content negotiation)', () => {
  it('gives plain JSON by default and to Accept: application/json', async () => {
    for (const accept of [undefined, 'application/json', '*/*', 'text/html,application/xhtml+xml,*/*;q=0.8']) {
      const sut = await get(datasetId, 'datasets', '', accept ? { Accept: accept } : {});
      expect(sut.headers.get('content-type'), accept).toMatch(/^application\/json/);
      expect(sut.body.id).toBe(datasetId);
    }
  });

  it('gives schema.org JSON-LD to Accept: application/ld+json, and the profile asked for by ?profile= or by Accept’s profile parameter', async () => {
    const plain = await get(datasetId, 'datasets', '', { Accept: 'application/ld+json' });
    expect(plain.headers.get('content-type')).toMatch(/^application\/ld\+json/);
    expect(plain.body['@context']).toBe('https://schema.org/');
    const dcat = await get(datasetId, 'datasets', '?profile=dcat-ap', { Accept: 'application/ld+json' });
    expect(dcat.body['@type']).toBe('dcat:Dataset');
    const croissant = await get(datasetId, 'datasets', '', { Accept: 'application/ld+json; profile="http://mlcommons.org/croissant/1.1"' });
    expect(croissant.body.conformsTo).toBe('http://mlcommons.org/croissant/1.1');
  });

  it('answers 406 when the client accepts nothing it can have', async () => {
    expectProblem(await get(datasetId, 'datasets', '', { Accept: 'text/html' }), 406);
    expectProblem(await get(datasetId, 'datasets', '?profile=schema.org', { Accept: 'application/json' }), 406);
    const { body } = await call<{ id: string }>('POST', '/v1/catalogue/models', { key: alice, body: { name: 'A model', status: 'published' } });
    expectProblem(await get(body.id, 'models', '?profile=croissant'), 406);
  });

  it('refuses an unknown profile with 400', async () => {
    expect(expectProblem(await get(datasetId, 'datasets', '?profile=rdfa'), 400).errors).toEqual([expect.objectContaining({ pointer: '/query/profile' })]);
  });

  it('gives each representation its own ETag, and 304 on If-None-Match', async () => {
    const json = await get(datasetId, 'datasets');
    const schema = await get(datasetId, 'datasets', '?profile=schema.org');
    const dcat = await get(datasetId, 'datasets', '?profile=dcat-ap');
    const tags = [json, schema, dcat].map((r) => r.headers.get('etag'));
    expect(new Set(tags).size).toBe(3);
    expect(schema.headers.get('vary')).toContain('Accept');
    const again = await get(datasetId, 'datasets', '?profile=dcat-ap', { 'If-None-Match': tags[2] ?? '' });
    expect(again.status).toBe(304);
  });
});

describe('schema.org export', () => {
  it('is a schema.org Dataset with its distributions, creators and coverage (checked as RDF)', async () => {
    const sut = await get(datasetId, 'datasets', '?profile=schema.org');
    expect(sut.status, sut.text).toBe(200);
    const lines = await triples(sut.body, sut.headers.get('location') ?? 'http://base.example/');
    const subject = `<${String(sut.body['@id'])}>`;
    expect(String(sut.body['@id'])).toMatch(new RegExp(`/api/v1/catalogue/datasets/${datasetId}$`));
    expect(lines).toContain(`${subject} ${RDF_TYPE} ${SDO('Dataset')} .`);
    expect(objectOf(lines, subject, SDO('name'))).toBe(`"${DATASET.name}"`);
    expect(objectOf(lines, subject, SDO('license'))).toBe('<https://spdx.org/licenses/CC-BY-4.0.html>');
    expect(lines.filter((l) => l.startsWith(`${subject} ${SDO('keywords')} `))).toHaveLength(2);
    const downloads = subjectsOfType(lines, SDO('DataDownload'));
    expect(downloads).toHaveLength(2);
    const urls = downloads.map((node) => objectOf(lines, node, SDO('contentUrl')));
    expect(urls.sort()).toEqual(['<https://data.example.org/porpoise/detections.csv>', '<https://data.example.org/porpoise/stations.json>']);
    const csv = downloads.find((node) => objectOf(lines, node, SDO('contentUrl'))?.includes('detections.csv')) ?? '';
    expect(objectOf(lines, csv, SDO('sha256'))).toBe(`"${'b'.repeat(64)}"`);
    const creator = objectOf(lines, subject, SDO('creator')) ?? '';
    expect(lines).toContain(`${creator} ${RDF_TYPE} ${SDO('Person')} .`);
    expect(objectOf(lines, subject, SDO('temporalCoverage'))).toBe('"2022-01-01/2022-12-31"');
    expect(subjectsOfType(lines, SDO('Place'))).toHaveLength(1);
  });

  it('maps models and services to SoftwareApplication, publications to ScholarlyArticle, people to Person', async () => {
    const cases: [string, Record<string, unknown>, string][] = [
      ['models', { name: 'Porpoise click classifier', modelType: 'classification', version: '2.1', status: 'published' }, 'SoftwareApplication'],
      ['services', { name: 'Detection API', endpointUrl: 'https://api.example.org/detect', status: 'published' }, 'SoftwareApplication'],
      ['publications', { name: 'Counting porpoises by ear', permanentIdentifier: 'https://doi.org/10.9999/pp.7', journal: 'Marine Acoustics', status: 'published' }, 'ScholarlyArticle'],
      ['persons', { name: 'Jonas Berg', givenName: 'Jonas', surname: 'Berg', status: 'published' }, 'Person'],
      ['organisations', { name: 'Baltic Acoustics Group', status: 'published' }, 'Organization'],
      ['experiments', { name: 'Detector threshold sweep', status: 'published' }, 'CreativeWork'],
    ];
    for (const [type, body, schemaType] of cases) {
      const created = await call<{ id: string }>('POST', `/v1/catalogue/${type}`, { key: alice, body });
      expect(created.status, created.text).toBe(201);
      const sut = await get(created.body.id, type, '', { Accept: 'application/ld+json' });
      const lines = await triples(sut.body, 'http://base.example/');
      const subject = `<${String(sut.body['@id'])}>`;
      expect(lines, type).toContain(`${subject} ${RDF_TYPE} ${SDO(schemaType)} .`);
      expect(objectOf(lines, subject, SDO('name')), type).toBe(`"${String(body.name)}"`);
    }
  });

  it('leaves contact emails out for anonymous callers, as the JSON does', async () => {
    const sut = await get(datasetId, 'datasets', '?profile=schema.org');
    expect(sut.text).not.toContain('jonas.berg@example.org');
    expect(sut.text).not.toContain('@example.org');
    const owner = await get(datasetId, 'datasets', '?profile=schema.org', {}, alice);
    expect(owner.text).toContain('jonas.berg@example.org');
  });
});

describe('DCAT-AP export', () => {
  it('is a dcat:Dataset with distributions (URL, media type, size, SPDX checksum, licence) and vCard contact points', async () => {
    const sut = await get(datasetId, 'datasets', '?profile=dcat-ap', {}, alice);
    expect(sut.status, sut.text).toBe(200);
    const lines = await triples(sut.body, 'http://base.example/');
    const subject = `<${String(sut.body['@id'])}>`;
    expect(lines).toContain(`${subject} ${RDF_TYPE} ${DCAT('Dataset')} .`);
    expect(objectOf(lines, subject, DCT('title'))).toBe(`"${DATASET.name}"`);
    expect(objectOf(lines, subject, DCT('issued'))).toBe('"2023-05-02"^^<http://www.w3.org/2001/XMLSchema#date>');
    const distributions = lines.filter((l) => l.startsWith(`${subject} ${DCAT('distribution')} `)).map((l) => l.split(' ')[2] ?? '');
    expect(distributions).toHaveLength(2);
    const csv = distributions.find((d) => objectOf(lines, d, DCAT('downloadURL'))?.includes('detections.csv')) ?? '';
    expect(objectOf(lines, csv, DCAT('accessURL'))).toBe('<https://data.example.org/porpoise/detections.csv>');
    expect(objectOf(lines, csv, DCAT('mediaType'))).toBe('<http://www.iana.org/assignments/media-types/text/csv>');
    expect(objectOf(lines, csv, DCAT('byteSize'))).toBe('"52428800"^^<http://www.w3.org/2001/XMLSchema#nonNegativeInteger>');
    expect(objectOf(lines, csv, DCT('license'))).toBe('<https://spdx.org/licenses/CC-BY-4.0.html>');
    const checksum = objectOf(lines, csv, '<http://spdx.org/rdf/terms#checksum>') ?? '';
    expect(objectOf(lines, checksum, '<http://spdx.org/rdf/terms#algorithm>')).toBe('<http://spdx.org/rdf/terms#checksumAlgorithm_sha256>');
    expect(objectOf(lines, checksum, '<http://spdx.org/rdf/terms#checksumValue>')).toBe(`"${'b'.repeat(64)}"^^<http://www.w3.org/2001/XMLSchema#hexBinary>`);
    const contact = objectOf(lines, subject, DCAT('contactPoint')) ?? '';
    expect(lines).toContain(`${contact} ${RDF_TYPE} <http://www.w3.org/2006/vcard/ns#Organization> .`);
    expect(objectOf(lines, contact, '<http://www.w3.org/2006/vcard/ns#hasEmail>')).toBe('<mailto:data@baltic-acoustics.example>');
    expect(objectOf(lines, subject, DCT('temporal'))).toBeDefined();
  });

  it('expands with no remote context at all', async () => {
    const sut = await get(datasetId, 'datasets', '?profile=dcat-ap');
    const refuseAll = async (url: string): Promise<RemoteDocument> => {
      throw new Error(`no remote document expected, asked for ${url}`);
    };
    const result = await jsonld.expand(sut.body as JsonLdDocument, { documentLoader: refuseAll });
    expect(result).toHaveLength(1);
  });
});

describe('Croissant export', () => {
  it('has the Croissant 1.1 dataset-level required fields and FileObjects with checksums', async () => {
    const sut = await get(datasetId, 'datasets', '?profile=croissant');
    expect(sut.status, sut.text).toBe(200);
    const [node] = (await expanded(sut.body)) as Record<string, unknown>[];
    expect(node?.['@type']).toEqual(['https://schema.org/Dataset']);
    for (const term of ['name', 'description', 'license', 'url', 'creator', 'datePublished', 'distribution']) {
      expect(node?.[`https://schema.org/${term}`], term).toBeDefined();
    }
    expect(node?.['http://purl.org/dc/terms/conformsTo']).toEqual([{ '@value': 'http://mlcommons.org/croissant/1.1', '@language': 'en' }]);

    const lines = await triples(sut.body, `http://base.example${selfUrl}`);
    const files = subjectsOfType(lines, CR('FileObject'));
    expect(files).toHaveLength(2);
    const csv = files.find((f) => objectOf(lines, f, SDO_HTTPS('name'))?.includes('detections.csv')) ?? '';
    expect(objectOf(lines, csv, SDO_HTTPS('contentUrl'))).toBe('"https://data.example.org/porpoise/detections.csv"@en');
    expect(objectOf(lines, csv, SDO_HTTPS('sha256'))).toBe(`"${'b'.repeat(64)}"@en`);
    expect(objectOf(lines, csv, SDO_HTTPS('encodingFormat'))).toBe('"text/csv"@en');
    const json = files.find((f) => objectOf(lines, f, SDO_HTTPS('name'))?.includes('stations.json')) ?? '';
    expect(objectOf(lines, json, CR('md5'))).toBe(`"${'c'.repeat(32)}"@en`);
  });

  it('is only for datasets', async () => {
    const { body } = await call<{ id: string }>('POST', '/v1/catalogue/services', { key: adminKey(), body: { name: 'Svc', endpointUrl: 'https://svc.example.org/', status: 'published' } });
    expectProblem(await get(body.id, 'services', '?profile=croissant'), 406);
  });
});
