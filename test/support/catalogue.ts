import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import { adminKey, call, keyWithRoles } from './api';

/**
 * What the catalogue's e2e files share: the entry and page shapes as a client sees them, a sample
 * dataset body, and the calls that set an entry up, each asserting that its own step succeeded.
 * Each test works on its own platform or keyword, so data of other tests never interferes.
 */
export interface Entry {
  id: string;
  type: string;
  name: string;
  status: string;
  owner: string;
  dateCreated: string;
  dateModified: string;
  [field: string]: unknown;
}
export interface Page {
  items: Entry[];
  nextCursor: string | null;
}

export const unique = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

/** Two contributors (`alice`, `bob`, owners named after them) and a reader. */
export async function catalogueCallers(): Promise<{ alice: string; bob: string; reader: string }> {
  const [alice, bob, reader] = await Promise.all([
    keyWithRoles(['contributor'], { subject: unique('alice') }),
    keyWithRoles(['contributor'], { subject: unique('bob') }),
    keyWithRoles(['reader']),
  ]);
  return { alice, bob, reader };
}

/** Registers a platform (admin only) and returns its name. */
export async function newPlatform(): Promise<string> {
  const name = unique('plat');
  const response = await call('POST', '/v1/catalogue/platforms', { key: adminKey(), body: { name, status: 'published' } });
  expect(response.status, response.text).toBe(201);
  return name;
}

export function dataset(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'Coastal water temperature 2019–2023',
    description: { plain: 'Hourly sea surface temperature at twelve buoys.' },
    keywords: ['ocean', 'temperature'],
    license: 'CC-BY-4.0',
    contacts: [{ type: 'persons', name: 'Ines Duarte', email: 'ines.duarte@example.org' }],
    distributions: [
      { contentUrl: 'https://data.example.org/sst/2019-2023.csv', encodingFormat: 'text/csv', contentSizeBytes: 1024, checksum: 'a'.repeat(64), checksumAlgorithm: 'sha256' },
      { contentUrl: 'https://data.example.org/sst/2019-2023.parquet', encodingFormat: 'application/vnd.apache.parquet' },
    ],
    ...overrides,
  };
}

export async function create(key: string, body: Record<string, unknown>, type = 'datasets'): Promise<{ entry: Entry; etag: string }> {
  const response = await call<Entry>('POST', `/v1/catalogue/${type}`, { key, body });
  expect(response.status, response.text).toBe(201);
  return { entry: response.body, etag: response.headers.get('etag') ?? '' };
}

export const patch = (path: string, key: string, body: unknown, headers: Record<string, string> = {}) =>
  call<Entry>('PATCH', path, { key, rawBody: JSON.stringify(body), headers: { 'Content-Type': 'application/merge-patch+json', ...headers } });
