import { CATALOGUE_SEED } from '../local/seed/catalogue.seed';
import { builtinModelEntries } from '../local/seed/inference.seed';
import { IRIS_ENTRY } from '../local/seed/query.seed';
import type { StoredEntry } from '../shared/catalogue/catalogue.repository';
import { catalogueTypeNames } from '../shared/catalogue/catalogue.types';

/**
 * The entries the standards checks run over: the seed data (`local/seed`), and for every catalogue
 * type (the types the fuzzers write) the smallest entry that can be published and one with every
 * optional field, as stored documents.
 */
export interface SampleEntry {
  label: string;
  doc: StoredEntry;
}

const PERSON = { type: 'persons', id: 'sample-person', name: 'Ada Example', email: 'ada@example.org', url: 'https://example.org/ada' } as const;
const ORG = { type: 'organisations', name: 'Example Lab', email: 'lab@example.org' } as const;
const DISTRIBUTION = {
  name: 'data.csv',
  description: 'The rows.',
  contentUrl: 'https://example.org/data.csv',
  contentSizeBytes: 1024,
  encodingFormat: 'text/csv; charset=utf-8',
  checksum: 'a'.repeat(64),
  checksumAlgorithm: 'sha256',
  datePublished: '2024-01-02',
};

/** What publishing needs beyond a name, per type (catalogue.rules.ts `assertPublishable`). */
const MINIMAL: Record<string, Record<string, unknown>> = {
  datasets: { description: { plain: 'A dataset with only what publishing needs.' } },
  services: { endpointUrl: 'https://example.org/api' },
};

const FULL_COMMON = {
  description: { html: '<p>Everything <b>optional</b> filled in.</p>' },
  keywords: ['sample', 'standards'],
  alternateName: ['Sample'],
  sameAs: 'https://example.org/page',
  license: 'CC-BY-4.0',
  version: '1.0.0',
  datePublished: '2024-01-01T10:00:00Z',
  creators: [PERSON, ORG, { type: 'persons', id: 'sample-person-by-id', name: 'Bo Example' }],
  contacts: [PERSON, ORG],
  distributions: [DISTRIBUTION, { contentUrl: 'https://example.org/data.zip', checksum: 'b'.repeat(32), checksumAlgorithm: 'md5' }],
  relevantLinks: ['https://example.org/more'],
  isPartOf: [{ type: 'datasets', id: 'sample-parent' }],
  hasPart: [{ type: 'datasets', id: 'sample-child' }],
  platform: 'zenodo',
  platformResourceIdentifier: '10.5281/zenodo.1',
};

const FULL: Record<string, Record<string, unknown>> = {
  datasets: {
    size: { value: 10, unit: 'rows' },
    measurementTechnique: ['survey'],
    temporalCoverage: { startDate: '2020-01-01', endDate: '2020-12-31T00:00:00Z' },
    spatialCoverage: { name: 'Somewhere', geo: { latitude: 1, longitude: 2 }, box: { south: 0, west: 0, north: 2, east: 3 } },
    issn: '1234-5678',
    citeAs: 'Example (2024).',
    hosting: { schema: '/api/v1/datasets/x/schema', records: '/api/v1/datasets/x/records' },
  },
  services: { endpointUrl: 'https://example.org/api', slogan: 'Sample', termsOfService: 'https://example.org/terms' },
  models: { modelType: 'classification', framework: ['pytorch'], trainedOn: [{ type: 'datasets', id: 'sample-dataset' }] },
  publications: { publicationType: 'preprint', permanentIdentifier: 'https://doi.org/10.1/x', isbn: '9780306406157', issn: '1234-5678', journal: 'J' },
  experiments: { experimentalWorkflow: 'w', uses: [{ type: 'datasets', id: 'sample-dataset' }] },
  organisations: { legalName: 'Example Lab Ltd', email: 'lab@example.org', url: 'https://example.org', members: [{ type: 'persons', id: 'sample-person' }] },
  persons: { givenName: 'Ada', surname: 'Example', email: 'ada@example.org', memberOf: [{ type: 'organisations', id: 'sample-org' }] },
  platforms: { homepage: 'https://example.org', resourceUrlTemplate: 'https://example.org/{identifier}' },
};

function stored(type: string, fields: Record<string, unknown>, index: number): StoredEntry {
  const { id, ...rest } = fields;
  return {
    id: typeof id === 'string' ? id : `sample-${type}-${index}`,
    type,
    status: 'published',
    ...rest,
    owner: 'seed',
    dateCreated: '2024-01-01T00:00:00.000Z',
    dateModified: '2024-01-02T00:00:00.000Z',
    docType: 'entry',
  } as unknown as StoredEntry;
}

export function standardsSample(): SampleEntry[] {
  const seed = [...CATALOGUE_SEED, { type: 'datasets', ...IRIS_ENTRY }, ...builtinModelEntries().map((e) => ({ type: 'models', ...e }))];
  const entries: SampleEntry[] = seed.map(({ type, ...fields }, index) => ({ label: `seed ${String((fields as { id?: unknown }).id)}`, doc: stored(type, fields, index) }));
  catalogueTypeNames.forEach((type, index) => {
    const name = type === 'platforms' ? `sample${index}` : `Sample ${type}`;
    entries.push({ label: 'minimal', doc: stored(type, { name, ...MINIMAL[type] }, index) });
    entries.push({ label: 'full', doc: stored(type, { name, ...FULL_COMMON, ...FULL[type] }, index + 100) });
  });
  return entries;
}
