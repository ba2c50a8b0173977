/**
 * Documents read per records list page, count and stats query as one hosted dataset grows
 * (`npm run bench:records-reads [-- --base 1000]`; never part of `npm test`). Counts, not timings:
 * the embedded server has no index and no query metrics, so each query's reads are counted with
 * the index model of bench/documents-read.ts over the queries the service really sends (observed
 * at the SDK) and the documents really stored. Rows are the iris data set's 150 rows repeated,
 * ingested through the real ingest service (validation, bucket placement, profile), so every
 * document is shaped as in production.
 *
 * Sizes: `base`, 10 × and 100 × `base` rows in one dataset (default 1,000 / 10,000 / 100,000; a
 * base under 300 leaves the filtered list no next page).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { CONTAINERS } from '../shared/azure/containers';
import { cosmosClient } from '../shared/azure/cosmos';
import { upsertEntryAsSystem } from '../shared/catalogue/catalogue.system';
import { config } from '../shared/config';
import { BrowseQuery } from '../shared/datasets/dataset.schema';
import { browseRecords } from '../shared/datasets/records.browse';
import { bucketCount } from '../shared/datasets/records.layout';
import { recordStats } from '../shared/datasets/records.query';
import { readSchemaDoc } from '../shared/datasets/records.repository';
import { hostedRecordCount, ingestAsSystem, putSchemaAsSystem } from '../shared/datasets/records.service';
import { startStack } from '../local/stack';
import { IRIS_SCHEMA, irisCsvPath } from '../local/seed/query.seed';
import { documentsRead, documentsReadBy, type IssuedQuery, observeQueries } from './documents-read';

const at = process.argv.indexOf('--base');
const BASE = at > 0 ? Number(process.argv[at + 1]) : 1_000;
const SIZES = [BASE, 10 * BASE, 100 * BASE];
const DATASET = 'bench-records-reads';
const PARTITION_KEY = CONTAINERS.records.partitionKey;

const load = createRequire(__filename);
const parse = (load('@zeit/cosmosdb-query') as { default: (sql: string) => { exec(docs: unknown[], options: { parameters?: unknown }): { result: unknown[] } } }).default;

const [HEADER = '', ...IRIS] = readFileSync(irisCsvPath(), 'utf8').trim().split('\n');

/** Rows `from` to `to` of the grown dataset: the iris rows over and over. */
const csvRows = (from: number, to: number) => Buffer.from(`${[HEADER, ...Array.from({ length: to - from }, (_, i) => IRIS[(from + i) % IRIS.length])].join('\n')}\n`);

/** Next-page cursors, filled by the first pages. */
const cursors = new Map<string, string>();
const cursorOf = (name: string) => {
  const cursor = cursors.get(name);
  if (!cursor) throw new Error(`${name} gave no next page`);
  return cursor;
};
const browse = async (query: Record<string, string>, keep?: string) => {
  const page = await browseRecords(undefined, DATASET, BrowseQuery.parse(query), () => undefined);
  if (keep && page.nextCursor) cursors.set(keep, page.nextCursor);
  return page.items.length;
};

/** Each call as the service runs it for an anonymous caller; a page answers how many rows it returned. */
const OPERATIONS: { name: string; run: () => Promise<number | undefined> }[] = [
  { name: 'list page (100, no filter)', run: () => browse({}, 'all') },
  { name: 'its next page (`_next`)', run: () => browse({ _next: cursorOf('all') }) },
  { name: 'list page, `species=setosa` (100)', run: () => browse({ species: 'setosa' }, 'setosa') },
  { name: 'its next page (`_next`)', run: () => browse({ species: 'setosa', _next: cursorOf('setosa') }) },
  { name: 'count (`SELECT VALUE COUNT(1)`)', run: async () => void (await hostedRecordCount(DATASET)) },
  { name: 'stats grouped by species (4 columns × 6 metrics)', run: async () => void (await recordStats(undefined, DATASET, { groupBy: 'species' })) },
  { name: 'stats, filter `species eq setosa`', run: async () => void (await recordStats(undefined, DATASET, { filter: { column: 'species', eq: 'setosa' } })) },
];

async function allDocuments(): Promise<Record<string, unknown>[]> {
  const container = cosmosClient().database(config().cosmos.database).container(CONTAINERS.records.id);
  // A feed read, not a query: no query plan, read in pages.
  return (await container.items.readAll<Record<string, unknown> & { id: string }>({ maxItemCount: 5_000 }).fetchAll()).resources;
}

/** Documents the whole query matches (every condition, not only those the index serves). */
function matchedBy(issued: IssuedQuery, docs: Record<string, unknown>[]): number {
  const scope = typeof issued.partitionKey === 'string' ? docs.filter((doc) => doc[PARTITION_KEY.slice(1)] === issued.partitionKey) : docs;
  return parse(issued.query).exec(scope, { parameters: issued.parameters }).result.length;
}

/**
 * What Cosmos DB reads for a page: when the index serves every condition of each query (the model
 * hands over exactly the documents the query matches), the engine loads documents in index order
 * and stops when the page is full, so it reads the rows it returned; otherwise the model's count.
 */
function pageRead(issued: IssuedQuery[], docs: Record<string, unknown>[], returned: number, modelled: number): number {
  return issued.every((query) => documentsReadBy(query, docs, PARTITION_KEY) === matchedBy(query, docs)) ? returned : modelled;
}

const loadAverage = () => os.loadavg().map((value) => value.toFixed(1)).join(' / ');

async function main(): Promise<void> {
  const stack = await startStack({ port: 0, seed: false, verbose: false, emulatorsOnly: true });
  const results = OPERATIONS.map(() => ({ model: [] as number[], cosmos: [] as number[] }));
  const started = process.hrtime.bigint();
  try {
    await upsertEntryAsSystem('datasets', { id: DATASET, name: 'Benchmark: documents read as a dataset grows', status: 'published' });
    await putSchemaAsSystem(DATASET, IRIS_SCHEMA);
    let size = 0;
    for (const target of SIZES) {
      const ingestStarted = process.hrtime.bigint();
      const { inserted } = await ingestAsSystem(DATASET, csvRows(size, target), 'csv', 'fail');
      size += inserted;
      const seconds = (Number(process.hrtime.bigint() - ingestStarted) / 1e9).toFixed(1);
      const layout = (await readSchemaDoc(DATASET))?.doc.layout;
      console.log(`${size} rows in ${layout ? bucketCount(layout) : '?'} bucket(s) (${inserted} ingested in ${seconds} s); load ${loadAverage()}`);
      const docs = await allDocuments();
      cursors.clear();
      for (const [index, operation] of OPERATIONS.entries()) {
        const observer = observeQueries();
        let returned: number | undefined;
        try {
          returned = await operation.run();
        } finally {
          observer.stop();
        }
        const foreign = observer.issued.find((query) => !query.query.includes("c.docType = 'record'"));
        if (foreign) throw new Error(`${operation.name} queried outside the records: ${foreign.query}`);
        const model = documentsRead(observer.issued, docs, PARTITION_KEY);
        results[index]?.model.push(model);
        results[index]?.cosmos.push(returned === undefined ? model : pageRead(observer.issued, docs, returned, model));
      }
    }
  } finally {
    await stack.stop();
  }
  const cells = (values: number[]) => values.map((value) => value.toLocaleString('en')).join(' | ');
  const rows = [
    `| operation | ${SIZES.map((n) => `model, ${n.toLocaleString('en')}`).join(' | ')} | ${SIZES.map((n) => `page stops when full, ${n.toLocaleString('en')}`).join(' | ')} |`,
    `|---|${SIZES.map(() => '---:').join('|')}|${SIZES.map(() => '---:').join('|')}|`,
    ...OPERATIONS.map((operation, index) => `| ${operation.name} | ${cells(results[index]?.model ?? [])} | ${cells(results[index]?.cosmos ?? [])} |`),
  ];
  console.log(
    `\nDocuments read (index model, bench/documents-read.ts), anonymous caller, one dataset; ` +
      `${(Number(process.hrtime.bigint() - started) / 1e9).toFixed(0)} s, load ${loadAverage()}:\n\n${rows.join('\n')}\n`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
