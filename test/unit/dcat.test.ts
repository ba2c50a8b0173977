import { DataFactory, Store } from 'n3';
import { describe, expect, it } from 'vitest';
import { standardsSample } from '../../scripts/standards.sample';
import { present } from '../../shared/catalogue/catalogue.access';
import { assertPublishable } from '../../shared/catalogue/catalogue.rules';
import { dcatCatalogExport } from '../../shared/catalogue/export/dcat.catalog';
import { dcatExport } from '../../shared/catalogue/export/dcat.export';
import { jsonLdToQuads } from '../../shared/catalogue/export/rdf.serialize';
import { AppError } from '../../shared/errors';

/**
 * DCAT-AP 3's mandatory classes and properties, in our words, for every entry type of the sample
 * (seed data, a minimal and a full entry of each type): what `npm run validate:dcat` checks with the
 * official shapes, kept in `npm test` without them.
 */
const { namedNode } = DataFactory;
const BASE = { baseUrl: 'https://assets.example.org' };
const NS = {
  rdf: 'http://www.w3.org/1999/02/22-rdf-syntax-ns#',
  dcat: 'http://www.w3.org/ns/dcat#',
  dct: 'http://purl.org/dc/terms/',
  foaf: 'http://xmlns.com/foaf/0.1/',
  vcard: 'http://www.w3.org/2006/vcard/ns#',
  spdx: 'http://spdx.org/rdf/terms#',
  xsd: 'http://www.w3.org/2001/XMLSchema#',
};
const term = (prefix: keyof typeof NS, local: string) => namedNode(`${NS[prefix]}${local}`);
const TYPE = term('rdf', 'type');

async function graphOf(document: Record<string, unknown>): Promise<Store> {
  return new Store(await jsonLdToQuads(document));
}

const typed = (store: Store, prefix: keyof typeof NS, local: string) => store.getSubjects(TYPE, term(prefix, local), null);
const values = (store: Store, subject: Parameters<Store['getObjects']>[0], prefix: keyof typeof NS, local: string) =>
  store.getObjects(subject, term(prefix, local), null);
const hasType = (store: Store, node: Parameters<Store['getObjects']>[0], ...classes: [keyof typeof NS, string][]) =>
  classes.some(([prefix, local]) => store.has(DataFactory.quad(node as never, TYPE, term(prefix, local))));

const sample = standardsSample();
const views = sample.flatMap(({ doc, label }) => [
  { name: `${doc.type} ${label} (signed in)`, entry: present(doc, { id: 'u', kind: 'apiKey', roles: ['admin'] }) },
  { name: `${doc.type} ${label} (anonymous)`, entry: present(doc, undefined) },
]);

describe('DCAT-AP export: mandatory classes and properties of every entry type', () => {
  it.each(views)('$name', async ({ entry }) => {
    const sut = await graphOf(dcatExport(entry, BASE));
    const subject = namedNode(`${BASE.baseUrl}/api/v1/catalogue/${entry.type}/${entry.id}`);
    // Every entry: its class, and a title that is a literal.
    expect(values(sut, subject, 'rdf', 'type').length).toBeGreaterThan(0);
    expect(values(sut, subject, 'dct', 'title').map((t) => t.termType)).toEqual(['Literal']);
    if (entry.type === 'datasets') {
      expect(hasType(sut, subject, ['dcat', 'Dataset'])).toBe(true);
      expect(values(sut, subject, 'dct', 'description')).toHaveLength(1);
    }
    if (entry.type === 'services') {
      expect(hasType(sut, subject, ['dcat', 'DataService'])).toBe(true);
      expect(values(sut, subject, 'dcat', 'endpointURL').map((t) => t.termType)).toEqual(['NamedNode']);
    }
    if (entry.type === 'persons' || entry.type === 'organisations') expect(values(sut, subject, 'foaf', 'name')).toHaveLength(1);
    // Distributions: an access URL each; checksums with one algorithm and one hexBinary value.
    for (const distribution of typed(sut, 'dcat', 'Distribution')) {
      expect(values(sut, distribution, 'dcat', 'accessURL').map((t) => t.termType)).toEqual(['NamedNode']);
      for (const mediaType of values(sut, distribution, 'dcat', 'mediaType')) expect(hasType(sut, mediaType, ['dct', 'MediaType'])).toBe(true);
    }
    for (const checksum of typed(sut, 'spdx', 'Checksum')) {
      expect(values(sut, checksum, 'spdx', 'algorithm')).toHaveLength(1);
      const value = values(sut, checksum, 'spdx', 'checksumValue');
      expect(value).toHaveLength(1);
      expect(value[0]?.termType === 'Literal' && value[0].datatype.value).toBe(`${NS.xsd}hexBinary`);
    }
    // Ranges: licences are licence documents, landing pages documents, creators named agents, contacts vCard kinds.
    for (const license of sut.getObjects(null, term('dct', 'license'), null)) expect(hasType(sut, license, ['dct', 'LicenseDocument'])).toBe(true);
    for (const page of sut.getObjects(null, term('dcat', 'landingPage'), null)) expect(hasType(sut, page, ['foaf', 'Document'])).toBe(true);
    for (const creator of sut.getObjects(null, term('dct', 'creator'), null)) {
      expect(hasType(sut, creator, ['foaf', 'Person'], ['foaf', 'Organization'], ['foaf', 'Agent'])).toBe(true);
      expect(values(sut, creator, 'foaf', 'name')).toHaveLength(1);
    }
    for (const contact of sut.getObjects(null, term('dcat', 'contactPoint'), null)) {
      expect(hasType(sut, contact, ['vcard', 'Individual'], ['vcard', 'Organization'], ['vcard', 'Kind'])).toBe(true);
    }
  });

  it('gives anonymous callers no mailto: addresses', async () => {
    for (const { doc } of sample) {
      const sut = await jsonLdToQuads(dcatExport(present(doc, undefined), BASE));
      expect(sut.filter((quad) => quad.object.value.startsWith('mailto:'))).toEqual([]);
    }
  });

  it('describes a hosted dataset’s rows as a CSV distribution', async () => {
    const iris = sample.find(({ doc }) => doc.id === 'seed-dataset-iris');
    const sut = await graphOf(dcatExport(present(iris!.doc, undefined), BASE));
    const urls = sut.getObjects(null, term('dcat', 'downloadURL'), null).map((t) => t.value);
    expect(urls).toContain(`${BASE.baseUrl}/api/v1/datasets/seed-dataset-iris/records?_format=csv&_stream=on`);
  });
});

describe('DCAT-AP 2.1.1 variant (profile dcat-ap-2)', () => {
  const full = sample.find(({ doc, label }) => doc.type === 'datasets' && label === 'full')!.doc;
  const withSha1 = { ...present(full, undefined), distributions: [{ contentUrl: 'https://example.org/a.csv', contentSizeBytes: 7, checksum: 'c'.repeat(40), checksumAlgorithm: 'sha1' as const }] };

  it('types byte sizes as xsd:decimal, where 3 has xsd:nonNegativeInteger', async () => {
    const sizes = async (version: '3' | '2.1.1') =>
      (await graphOf(dcatExport(withSha1, BASE, version))).getObjects(null, term('dcat', 'byteSize'), null).map((t) => (t.termType === 'Literal' ? t.datatype.value : ''));
    expect(await sizes('2.1.1')).toEqual([`${NS.xsd}decimal`]);
    expect(await sizes('3')).toEqual([`${NS.xsd}nonNegativeInteger`]);
  });

  it('keeps only SHA-1 checksums, the one algorithm 2.1.1 names', async () => {
    const algorithms = async (entry: typeof withSha1) =>
      (await graphOf(dcatExport(entry, BASE, '2.1.1'))).getObjects(null, term('spdx', 'algorithm'), null).map((t) => t.value);
    expect(await algorithms(withSha1)).toEqual([`${NS.spdx}checksumAlgorithm_sha1`]);
    expect(await algorithms(present(full, undefined) as typeof withSha1)).toEqual([]);
  });
});

describe('DCAT-AP catalogue', () => {
  const datasets = sample.filter(({ doc }) => doc.type === 'datasets').map(({ doc }) => present(doc, undefined));

  it('is a dcat:Catalog with title, description, a named publisher, a homepage and its datasets', async () => {
    const sut = await graphOf(dcatCatalogExport(datasets, { ...BASE, page: 1, pageSize: 100, total: datasets.length }));
    const [catalog] = typed(sut, 'dcat', 'Catalog');
    expect(catalog?.value).toBe(`${BASE.baseUrl}/api/v1/dcat/catalog`);
    expect(values(sut, catalog!, 'dct', 'title')).toHaveLength(1);
    expect(values(sut, catalog!, 'dct', 'description')).toHaveLength(1);
    const [publisher] = values(sut, catalog!, 'dct', 'publisher');
    expect(hasType(sut, publisher!, ['foaf', 'Agent'])).toBe(true);
    expect(values(sut, publisher!, 'foaf', 'name')).toHaveLength(1);
    expect(values(sut, catalog!, 'foaf', 'homepage')).toHaveLength(1);
    const members = values(sut, catalog!, 'dcat', 'dataset');
    expect(members).toHaveLength(datasets.length);
    for (const member of members) expect(hasType(sut, member, ['dcat', 'Dataset'])).toBe(true);
  });
});

describe('assertPublishable', () => {
  const refusal = (type: string, input: Record<string, unknown>) => {
    try {
      assertPublishable(type, input, 'published');
    } catch (error) {
      return error instanceof AppError ? (error.errors ?? []).map((e) => e.pointer) : error;
    }
    return [];
  };

  it('refuses to publish what DCAT-AP needs and only the caller knows, naming the field', () => {
    expect(refusal('datasets', { name: 'Only a name' })).toEqual(['/description']);
    expect(refusal('services', { name: 'Svc' })).toEqual(['/endpointUrl']);
    expect(refusal('models', { name: 'M', creators: [{ type: 'persons', id: 'p1' }] })).toEqual(['/creators/0/name']);
  });

  it('lets drafts lack them, and publishes entries that have them', () => {
    expect(() => assertPublishable('datasets', { name: 'Only a name' }, 'draft')).not.toThrow();
    expect(refusal('datasets', { name: 'D', description: { plain: 'd' } })).toEqual([]);
    expect(refusal('services', { name: 'S', endpointUrl: 'https://s.example' })).toEqual([]);
  });
});
