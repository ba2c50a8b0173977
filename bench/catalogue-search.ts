/**
 * Documents read per catalogue search, list page, facet set and count as the catalogue grows
 * (`npm run bench:catalogue-search`; never part of `npm test`). Counts, not timings: the embedded
 * server has no index, so each query's reads are counted with the index model of
 * bench/documents-read.ts over the queries the service really sends (observed at the SDK) and the
 * documents really stored. "Before" is the query the code sent while the catalogue was partitioned
 * by `/type` and searched with CONTAINS(LOWER(…)), written out below and counted over the same
 * documents with the partition key it had.
 *
 * Sizes: 50, 500 and 5,000 published datasets, of which always 5 hold the searched word.
 */
import { CONTAINERS } from '../shared/azure/containers';
import { cosmosClient } from '../shared/azure/cosmos';
import { ListQuery } from '../shared/catalogue/catalogue.schema';
import { countEntriesOf, listEntries } from '../shared/catalogue/catalogue.service';
import { upsertEntryAsSystem } from '../shared/catalogue/catalogue.system';
import { config } from '../shared/config';
import { startStack } from '../local/stack';
import { documentsRead, documentsReadBy, type IssuedQuery, observeQueries } from './documents-read';

// 100× the smallest; larger sizes make the embedded server's answer to the SDK's query-plan request
// (it runs the whole query) outlast the client's 10 s request timeout on a busy machine.
const SIZES = [50, 500, 5_000];
const NEEDLE = 'needlework';
const LICENSES = ['CC-BY-4.0', 'MIT', 'CC0-1.0', 'Apache-2.0'];

/** What the code sent before, for an anonymous caller (partition key `datasets` on `/type`). */
const VISIBLE_BEFORE = "c.type = @type AND c.docType = 'entry' AND NOT IS_DEFINED(c.deletedAt) AND c.status = 'published'";
const BEFORE: Record<string, IssuedQuery | undefined> = {
  search: {
    query: `SELECT * FROM c WHERE ${VISIBLE_BEFORE} AND (CONTAINS(LOWER(c.name), @q) OR CONTAINS(LOWER(c.description.plain), @q)) ORDER BY c.dateModified DESC`,
    parameters: [
      { name: '@type', value: 'datasets' },
      { name: '@q', value: NEEDLE },
    ],
    partitionKey: 'datasets',
  },
  'list page (20)': { query: `SELECT * FROM c WHERE ${VISIBLE_BEFORE} ORDER BY c.dateModified DESC`, parameters: [{ name: '@type', value: 'datasets' }], partitionKey: 'datasets' },
  'list page, keyword filter (20)': {
    query: `SELECT * FROM c WHERE ${VISIBLE_BEFORE} AND ARRAY_CONTAINS(c.keywords, @keyword0) ORDER BY c.dateModified DESC`,
    parameters: [
      { name: '@type', value: 'datasets' },
      { name: '@keyword0', value: 'k3' },
    ],
    partitionKey: 'datasets',
  },
  'search + 5 facets': undefined,
  count: { query: `SELECT VALUE COUNT(1) FROM c WHERE ${VISIBLE_BEFORE}`, parameters: [{ name: '@type', value: 'datasets' }], partitionKey: 'datasets' },
};

/** The calls measured now, each as the service runs it for an anonymous caller. */
const NOW: Record<string, () => Promise<unknown>> = {
  search: () => listEntries(undefined, 'datasets', ListQuery.parse({ q: NEEDLE })),
  'list page (20)': () => listEntries(undefined, 'datasets', ListQuery.parse({})),
  'list page, keyword filter (20)': () => listEntries(undefined, 'datasets', ListQuery.parse({ keyword: 'k3' })),
  'search + 5 facets': () => listEntries(undefined, 'datasets', ListQuery.parse({ q: NEEDLE, facets: 'type,keyword,platform,license,status' })),
  count: () => countEntriesOf(undefined, 'datasets', { perPlatform: false }),
};

async function grow(from: number, to: number): Promise<void> {
  for (let start = from; start < to; start += 25) {
    await Promise.all(
      Array.from({ length: Math.min(25, to - start) }, (_, j) => {
        const n = start + j;
        return upsertEntryAsSystem('datasets', {
          id: `bench-search-${String(n).padStart(6, '0')}`,
          name: n < 5 ? `Embroidery ${NEEDLE} patterns ${n}` : `Benchmark dataset ${n}`,
          description: { plain: 'A synthetic dataset entry of realistic size for the catalogue search benchmark.' },
          keywords: ['bench', `k${n % 10}`],
          license: LICENSES[n % LICENSES.length],
          status: 'published',
        });
      }),
    );
  }
}

async function allDocuments(): Promise<Record<string, unknown>[]> {
  const container = cosmosClient().database(config().cosmos.database).container(CONTAINERS.catalogue.id);
  // A feed read, not a query: no query plan, read in pages.
  return (await container.items.readAll<Record<string, unknown> & { id: string }>({ maxItemCount: 1_000 }).fetchAll()).resources;
}

async function main(): Promise<void> {
  const stack = await startStack({ port: 0, seed: false, verbose: false, emulatorsOnly: true });
  const rows: string[] = [];
  const results = new Map<string, { before: number[]; now: number[] }>();
  try {
    let size = 0;
    for (const target of SIZES) {
      console.log(`growing the catalogue to ${target} datasets…`);
      await grow(size, target);
      size = target;
      for (const [name, call] of Object.entries(NOW)) {
        const observer = observeQueries();
        try {
          await call();
        } finally {
          observer.stop();
        }
        const docs = await allDocuments();
        const before = BEFORE[name];
        const row = results.get(name) ?? { before: [], now: [] };
        row.now.push(documentsRead(observer.issued, docs, CONTAINERS.catalogue.partitionKey));
        row.before.push(before ? documentsReadBy(before, docs, '/type') : Number.NaN);
        results.set(name, row);
      }
    }
  } finally {
    await stack.stop();
  }
  const cells = (values: number[]) => values.map((value) => (Number.isNaN(value) ? '—' : value.toLocaleString('en'))).join(' | ');
  rows.push(`| operation | ${SIZES.map((n) => `before, ${n.toLocaleString('en')}`).join(' | ')} | ${SIZES.map((n) => `now, ${n.toLocaleString('en')}`).join(' | ')} |`);
  rows.push(`|---|${SIZES.map(() => '---:').join('|')}|${SIZES.map(() => '---:').join('|')}|`);
  for (const [name, { before, now }] of results) rows.push(`| ${name} | ${cells(before)} | ${cells(now)} |`);
  console.log(`\nDocuments read (index model, bench/documents-read.ts), anonymous caller:\n\n${rows.join('\n')}\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
