import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documentsRead, observeQueries } from '../../bench/documents-read';
import { cosmosClient } from '../../shared/azure/cosmos';
import { CONTAINERS } from '../../shared/azure/containers';
import { deleteDocument } from '../../shared/catalogue/catalogue.repository';
import type { Principal } from '../../shared/auth/auth.schema';
import { type FacetCounts, ListQuery } from '../../shared/catalogue/catalogue.schema';
import { type CatalogueEntry, listEntries } from '../../shared/catalogue/catalogue.service';
import { upsertEntryAsSystem } from '../../shared/catalogue/catalogue.system';
import { config } from '../../shared/config';
import { useStackSettings } from '../support/stack-env';

/**
 * A search reads the documents that match it, not the documents of its type: counted with the
 * index model of bench/documents-read.ts over the queries the service really sends (observed at the
 * SDK) and the documents really stored, while the catalogue grows tenfold.
 */
const run = randomUUID().slice(0, 8);
const needle = `needle${run}`;
const made: string[] = [];

async function addDatasets(count: number, needles: number): Promise<void> {
  const start = made.length;
  const ids = Array.from({ length: count }, (_, i) => `search-${run}-${String(start + i).padStart(5, '0')}`);
  for (let i = 0; i < ids.length; i += 20) {
    await Promise.all(
      ids.slice(i, i + 20).map((id, j) => {
        const n = start + i + j;
        const name = n < needles ? `Café ${needle} sample ${n}` : `Filler dataset ${n} of run ${run}`;
        return upsertEntryAsSystem('datasets', { id, name, description: { plain: 'Synthetic entry for the search test.' }, keywords: [`grow${run}`], status: 'published' });
      }),
    );
  }
  made.push(...ids);
}

async function allDocuments(): Promise<Record<string, unknown>[]> {
  const container = cosmosClient().database(config().cosmos.database).container(CONTAINERS.catalogue.id);
  return (await container.items.query<Record<string, unknown>>('SELECT * FROM c').fetchAll()).resources;
}

/** Runs one list call and counts the documents its queries read. */
async function measure(query: Record<string, string>): Promise<{ read: number; names: string[] }> {
  const observer = observeQueries();
  let names: string[];
  try {
    names = (await listEntries(undefined, 'datasets', ListQuery.parse(query))).items.map((item) => item.name);
  } finally {
    observer.stop();
  }
  return { read: documentsRead(observer.issued, await allDocuments(), CONTAINERS.catalogue.partitionKey), names };
}

beforeAll(() => useStackSettings());

afterAll(async () => {
  for (let i = 0; i < made.length; i += 50) await Promise.all(made.slice(i, i + 50).map((id) => deleteDocument(id)));
});

describe('catalogue search', () => {
  it('reads the same number of documents when the catalogue grows tenfold (100 → 1,000 entries)', async () => {
    await addDatasets(100, 5);
    const small = await measure({ q: needle, limit: '20' });
    expect(small.names).toHaveLength(5);

    await addDatasets(900, 0);
    const large = await measure({ q: needle, limit: '20' });
    expect(large.names.sort()).toEqual(small.names.sort());
    // Only the five entries that hold every word are read, at either size.
    expect({ small: small.read, large: large.read }).toEqual({ small: 5, large: 5 });
  }, 300_000);
});

describe('search tokens of stored entries', () => {
  it('are written by a system upsert of unchanged content when the stored entry lacks them', async () => {
    const id = `tokens-${run}`;
    const fields = { id, name: `Untokenised ${run} entry`, status: 'published' };
    await upsertEntryAsSystem('datasets', fields);
    made.push(id);
    const container = cosmosClient().database(config().cosmos.database).container(CONTAINERS.catalogue.id);
    // As an entry written before search tokens existed.
    await container.item(id, id).patch([{ op: 'remove', path: '/searchTokens' }]);
    const find = async () => (await listEntries(undefined, 'datasets', ListQuery.parse({ q: `untoken ${run}` }))).items.map((entry) => entry.id);
    expect(await find()).toEqual([]);

    expect(await upsertEntryAsSystem('datasets', fields)).toEqual({ id, changed: true });
    expect(await find()).toEqual([id]);
    expect(await upsertEntryAsSystem('datasets', fields)).toEqual({ id, changed: false });
  });
});

describe('catalogue facets', () => {
  const keyword = `facet${run}`;
  const admin: Principal = { id: `admin-${run}`, kind: 'apiKey', roles: ['admin'] };
  const datasets = [
    { license: 'CC-BY-4.0', platform: `p${run}a`, status: 'published', keywords: [keyword, 'ocean'] },
    { license: 'CC-BY-4.0', platform: `p${run}a`, status: 'draft', keywords: [keyword, 'ocean', 'salt'] },
    { license: 'MIT', platform: `p${run}b`, status: 'published', keywords: [keyword] },
    { license: 'MIT', status: 'published', keywords: [keyword, 'salt'] },
    { status: 'published', keywords: [keyword, 'ocean'] },
  ];

  beforeAll(async () => {
    for (const [i, fields] of datasets.entries()) {
      const id = `facet-${run}-${i}`;
      const platformFields = fields.platform ? { platformResourceIdentifier: `r${i}` } : {};
      await upsertEntryAsSystem('datasets', { id, name: `Facet entry ${i}`, ...fields, ...platformFields });
      made.push(id);
      // Distinct creation instants (milliseconds) for the date filters: wait for the clock to move on.
      const written = Date.now();
      while (Date.now() <= written) await new Promise((resolve) => setImmediate(resolve));
    }
    await upsertEntryAsSystem('models', { id: `facet-${run}-model`, name: 'Facet model', keywords: [keyword], status: 'published', license: 'MIT' });
    made.push(`facet-${run}-model`);
  });

  /** The same counts from the entries themselves, in the answer's order (largest first, then by value). */
  function countInMemory(entries: CatalogueEntry[], valuesOf: (entry: CatalogueEntry) => unknown[]) {
    const counts = new Map<string, number>();
    for (const entry of entries) for (const value of valuesOf(entry)) if (typeof value === 'string') counts.set(value, (counts.get(value) ?? 0) + 1);
    return [...counts].map(([value, count]) => ({ value, count })).sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : 1));
  }

  async function everything(type: string, principal: Principal | undefined): Promise<CatalogueEntry[]> {
    return (await listEntries(principal, type, ListQuery.parse({ keyword, limit: '100' }))).items;
  }

  for (const [who, principal] of [['an admin', admin], ['an anonymous caller', undefined]] as const) {
    it(`counts each facet inside Cosmos DB as the entries themselves count for ${who}`, async () => {
      const page = await listEntries(principal, 'datasets', ListQuery.parse({ keyword, limit: '2', facets: 'type,keyword,platform,license,status' }));
      const shown = await everything('datasets', principal);
      const models = await everything('models', principal);
      const expected: FacetCounts = {
        type: countInMemory([...shown, ...models], (entry) => [entry.type]),
        keyword: countInMemory(shown, (entry) => entry.keywords ?? []),
        platform: countInMemory(shown, (entry) => [entry.platform]),
        license: countInMemory(shown, (entry) => [entry.license]),
        status: countInMemory(shown, (entry) => [entry.status]),
      };
      expect(page.items).toHaveLength(2);
      expect(page.facets).toEqual(expected);
      expect(page.facets?.license).toEqual(principal ? [{ value: 'CC-BY-4.0', count: 2 }, { value: 'MIT', count: 2 }] : [{ value: 'MIT', count: 2 }, { value: 'CC-BY-4.0', count: 1 }]);
    });
  }

  it('filters by license and creation time over the same entries', async () => {
    const names = async (query: Record<string, string>) =>
      (await listEntries(admin, 'datasets', ListQuery.parse({ keyword, sort: 'name', ...query }))).items.map((entry) => entry.name);
    expect(await names({ license: 'MIT' })).toEqual(['Facet entry 2', 'Facet entry 3']);
    const all = await everything('datasets', admin);
    const third = all.find((entry) => entry.name === 'Facet entry 2')?.dateCreated ?? '';
    expect(await names({ createdBefore: third })).toEqual(['Facet entry 0', 'Facet entry 1']);
    expect(await names({ createdAfter: third, license: 'MIT' })).toEqual(['Facet entry 3']);
  });
});
