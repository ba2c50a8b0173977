import type { OperationInput } from '@azure/cosmos';
import { aggregateRow, aggregateRows, aggregateTotal, container, cosmosStatus, type Page, queryPage } from '../azure/cosmos';
import { store } from '../azure/store';
import { errors } from '../errors';
import type { SqlParameter } from '../query/filter.compiler';
import type { Column } from './dataset.schema';
import { bucketCount, combineAggregates, type Layout, partitionKeyOf, partitionKeys, type RecordScope } from './records.layout';

/**
 * Cosmos DB access for hosted datasets. A dataset's documents live in the logical partitions of its
 * buckets (`/pk` = `<datasetId>:<bucket>`, records.layout.ts): its records (`docType: 'record'`)
 * wherever ingest placed them, and its dataset document (`__schema__`: the columns, the profile kept
 * at ingest and the bucket layout) in bucket 0. Every query and aggregate here runs within one
 * bucket, its partition key passed, and results of several buckets are combined here; only a page
 * of a dataset of several buckets is one query over exactly its buckets (`c.pk IN (…)`), which the
 * SDK plans and merges (ORDER BY, TOP).
 */

export type CellValue = string | number | boolean;

export interface RecordDoc {
  id: string;
  /** `<datasetId>:<bucket>`: the logical partition. */
  pk: string;
  datasetId: string;
  docType: 'record';
  /** The ingest request that wrote it: what a failed request deletes. */
  ingestId: string;
  values: Record<string, CellValue>;
}

/** What ingest learns of the rows: kept in the dataset document, so one read gives columns, profile and layout. */
export interface Profile {
  /** Distinct values per tracked column (string and integer columns without allowed values). */
  distinct: Record<string, CellValue[]>;
  /** Columns with more distinct values than are tracked: they cannot be grouped or faceted. */
  overflow: string[];
  /** Per numeric column, a value near its mean: statistics sum `(x − shift)`, which keeps the variance exact. */
  shift: Record<string, number>;
}

export interface SchemaDoc {
  id: '__schema__';
  pk: string;
  datasetId: string;
  docType: 'schema';
  columns: Column[];
  label?: string;
  updatedAt: string;
  updatedBy: string;
  /** A new value whenever the columns are declared: an ingest's rows must have been validated against the current one. */
  revision: string;
  profile: Profile;
  layout: Layout;
}

const SCHEMA_ID = '__schema__';
/** The embedded emulator takes at most 100 operations per partition per bulk call; Cosmos DB the same per batch. */
export const BULK_BATCH = 100;
/** Bulk calls of one request in flight at once. */
const BULK_PARALLEL = 4;
/** Bucket queries of one request in flight at once. */
const BUCKET_PARALLEL = 8;
const RETRIABLE = new Set([408, 429, 449, 503]);

const records = () => container('records');

/** Cosmos DB's system properties (`_rid`, `_etag`, `_ts`, …) stay out of the domain document. */
const withoutSystem = (raw: unknown): SchemaDoc => Object.fromEntries(Object.entries(raw as Record<string, unknown>).filter(([key]) => !key.startsWith('_'))) as unknown as SchemaDoc;
const datasets = store<SchemaDoc>('records', withoutSystem, (doc) => doc.pk);

/**
 * The partition key is passed with every query, and the dataset id is in the WHERE clause too: the
 * embedded server refuses a query without cross-partition consent whose WHERE does not name the
 * partition key, and real Cosmos DB serves the extra equality from the same partition at no cost.
 */
const RECORD_WHERE = "c.datasetId = @datasetId AND c.docType = 'record'";
const scoped = (datasetId: string, parameters: readonly SqlParameter[]) => [{ name: '@datasetId', value: datasetId }, ...parameters];

export const readSchemaDoc = (datasetId: string) => datasets.read(SCHEMA_ID, partitionKeyOf(datasetId, 0));
/** Creates the dataset document; undefined when one exists already. */
export const createSchemaDoc = (doc: SchemaDoc) => datasets.create(doc);
/** Replaces the dataset document if it still carries `etag`; undefined when it changed meanwhile. */
export const replaceSchemaDoc = (doc: SchemaDoc, etag: string) => datasets.replaceIfUnchanged(doc, etag);

export const emptyProfile = (): Profile => ({ distinct: {}, overflow: [], shift: {} });

/** Runs `fn` for every bucket of a dataset, a few at a time; the results in bucket order. */
async function eachBucket<T>(scope: RecordScope, fn: (partitionKey: string) => Promise<T>): Promise<T[]> {
  const keys = partitionKeys(scope);
  const results: T[] = [];
  for (let start = 0; start < keys.length; start += BUCKET_PARALLEL) results.push(...(await Promise.all(keys.slice(start, start + BUCKET_PARALLEL).map(fn))));
  return results;
}

/**
 * How long one ingest request may keep retrying writes Cosmos DB throttles (429), from the first
 * throttled write it sees. Within it every throttled write waits as long as Cosmos DB asks
 * (`x-ms-retry-after-ms`, which the SDK has already honoured up to its own retry count) and goes
 * again; nothing is given up. Past it the request stops writing (ThrottledError).
 */
export class ThrottleBudget {
  private deadline: number | undefined;

  constructor(readonly budgetMs: number) {}

  /** Whether waiting `ms` more still ends within the budget; the first call starts the clock. */
  allows(ms: number): boolean {
    this.deadline ??= Date.now() + this.budgetMs;
    return Date.now() + ms <= this.deadline;
  }
}

/** Cosmos DB kept throttling the writes past the ingest's ThrottleBudget. */
export class ThrottledError extends Error {
  constructor(readonly retryAfterMs: number) {
    super(`Cosmos DB kept throttling the writes; it asks to retry after ${retryAfterMs} ms`);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const retryAfterOf = (error: unknown): number => {
  const value = (error as { retryAfterInMs?: unknown }).retryAfterInMs;
  return typeof value === 'number' && value > 0 ? value : 0;
};
/**
 * A bulk call the SDK gave up on after its own throttling retries (9, each waiting the
 * `x-ms-retry-after-ms` Cosmos DB sent). `items.bulk` rethrows it as a plain `Error("Bulk request
 * errored with: <message>")` without the status, so Cosmos DB's wording for a 429 is what is left.
 */
const isThrottled = (error: unknown): boolean => cosmosStatus(error) === 429 || (error instanceof Error && /Request rate is large/i.test(error.message));

/**
 * A bulk operation Cosmos DB refused, with its status and substatus as the SDK's errors carry them
 * (`code`, `substatus`), so a 413 or a full partition (403/1014) is rendered as such.
 */
export class BulkError extends Error {
  readonly code: number;
  readonly substatus: number | undefined;

  constructor(operation: string, datasetId: string, status: number) {
    super(`bulk ${operation} in dataset ${datasetId} failed with ${status}`);
    this.code = status;
    // `items.bulk` keeps no substatus. Of the 403s Cosmos DB documents only a full logical partition
    // (1014) refuses one operation of a call; the others (keys, firewall) refuse the call itself.
    this.substatus = status === 403 ? 1014 : undefined;
  }
}

/**
 * Runs bulk operations of one dataset (each names its bucket's partition), ≤ 100 per call; throws if any still fails. Throttled
 * operations (a 429 per operation, or a whole call the SDK gave up retrying) wait and go again for
 * as long as `throttle` allows; other transient failures (408, 449, 503) get five tries.
 * `items.bulk` rather than `executeBulkOperations`: the latter's congestion control starts
 * slow and ramps up on a 1 s timer, which made every call of 100 operations take ~1 s (measured on
 * @azure/cosmos 4.9 against the emulator) against ~20 ms here; we batch and pace ourselves.
 */
async function bulk(datasetId: string, operations: OperationInput[], throttle: ThrottleBudget): Promise<void> {
  let pending = operations;
  for (let attempt = 0; pending.length > 0; attempt++) {
    const retry: OperationInput[] = [];
    let throttledFor = -1;
    const slices: OperationInput[][] = [];
    for (let start = 0; start < pending.length; start += BULK_BATCH) slices.push(pending.slice(start, start + BULK_BATCH));
    const run = async (slice: OperationInput[]) => {
      let results;
      try {
        results = await records().items.bulk(slice, { continueOnError: true });
      } catch (error) {
        if (!isThrottled(error)) throw error;
        retry.push(...slice);
        throttledFor = Math.max(throttledFor, retryAfterOf(error));
        return;
      }
      results.forEach((result, index) => {
        const operation = slice[index] as OperationInput;
        const status = result.statusCode;
        if (status < 400 || (operation.operationType === 'Delete' && status === 404)) return;
        if (status === 429) {
          retry.push(operation);
          throttledFor = Math.max(throttledFor, 0);
        } else if (RETRIABLE.has(status) && attempt < 5) retry.push(operation);
        else throw new BulkError(operation.operationType, datasetId, status);
      });
    };
    for (let start = 0; start < slices.length; start += BULK_PARALLEL) await Promise.all(slices.slice(start, start + BULK_PARALLEL).map(run));
    if (retry.length > 0) {
      // Throttled: the wait Cosmos DB asked for when the SDK passes it on, else backing off to at
      // most a second (`items.bulk` keeps no `x-ms-retry-after-ms` of a per-operation 429).
      const wait = throttledFor > 0 ? throttledFor : Math.min(1000, 50 * 2 ** attempt);
      if (throttledFor >= 0 && !throttle.allows(wait)) throw new ThrottledError(wait);
      await sleep(wait);
    }
    pending = retry;
  }
}

/** Where ingest writes: the seam that lets a test make a write fail midway. */
export interface RecordWriter {
  /** Inserts at most `BULK_BATCH` records of one dataset; throws if any is not stored (ThrottledError past the budget: a minute unless given). */
  insert(datasetId: string, docs: RecordDoc[], throttle?: ThrottleBudget): Promise<void>;
}

export const cosmosRecordWriter: RecordWriter = {
  insert: (datasetId, docs, throttle = new ThrottleBudget(60_000)) =>
    bulk(
      datasetId,
      docs.map((doc) => ({ operationType: 'Create', partitionKey: doc.pk, resourceBody: { ...doc } })),
      throttle,
    ),
};

/** A record by id and bucket: what a delete needs. */
export interface RecordKey {
  id: string;
  pk: string;
}

/** Deletes records; a delete waits out throttling for up to `throttleMs` (a minute unless told). */
export async function deleteRecordIds(datasetId: string, keys: RecordKey[], throttleMs = 60_000): Promise<void> {
  await bulk(
    datasetId,
    keys.map((key) => ({ operationType: 'Delete', partitionKey: key.pk, id: key.id })),
    new ThrottleBudget(throttleMs),
  );
}

/**
 * The keys of a dataset's records in the given buckets (of one ingest request, if given). Read in
 * full before anything is deleted: deleting under a live continuation token can make it skip documents.
 */
export async function recordKeys(datasetId: string, buckets: readonly number[], ingestId?: string): Promise<RecordKey[]> {
  const query = ingestId
    ? { query: `SELECT c.id, c.pk FROM c WHERE ${RECORD_WHERE} AND c.ingestId = @ingestId`, parameters: scoped(datasetId, [{ name: '@ingestId', value: ingestId }]) }
    : { query: `SELECT c.id, c.pk FROM c WHERE ${RECORD_WHERE}`, parameters: scoped(datasetId, []) };
  const keys: RecordKey[] = [];
  for (const bucket of buckets) {
    const iterator = records().items.query<RecordKey>(query, { partitionKey: partitionKeyOf(datasetId, bucket), maxItemCount: 5000 });
    while (iterator.hasMoreResults()) keys.push(...(await iterator.fetchNext()).resources);
  }
  return keys;
}

export interface RecordQuery {
  where: string;
  parameters: SqlParameter[];
}

/** `SELECT VALUE COUNT(1)` of the records matching a compiled filter, bucket by bucket, added up. */
export async function countRecords(scope: RecordScope, filter: RecordQuery): Promise<number> {
  const query = { query: `SELECT VALUE COUNT(1) FROM c WHERE ${RECORD_WHERE} AND ${filter.where}`, parameters: scoped(scope.datasetId, filter.parameters) };
  const counts = await eachBucket(scope, (partitionKey) => aggregateTotal(records(), query, partitionKey));
  return counts.reduce((sum, count) => sum + count, 0);
}

export interface RecordPageQuery extends RecordQuery {
  /** `c.values` or an object of selected columns (`{"a": c.values["a"]}`), built from the schema. */
  projection: string;
  /** `ORDER BY …` or empty. */
  orderBy: string;
  top?: number;
}

export interface RowDoc {
  id: string;
  /** The selected values. */
  v: Record<string, CellValue>;
}

/**
 * What a page's continuation holds: how many buckets the first page queried (later pages query the
 * same ones: rows in a bucket opened since came after the first page) and Cosmos DB's token.
 */
function continuationOf(scope: RecordScope, continuation: string | undefined): { buckets: number; token: string | undefined } {
  if (continuation === undefined) return { buckets: bucketCount(scope.layout), token: undefined };
  let parsed: unknown;
  try {
    parsed = JSON.parse(continuation);
  } catch {
    parsed = undefined;
  }
  const { n, c } = (parsed ?? {}) as { n?: unknown; c?: unknown };
  // A cursor is the caller's to send back: never more buckets than the dataset has.
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > bucketCount(scope.layout) || typeof c !== 'string') {
    throw errors.invalidInput('/cursor', 'is not valid any more; start again without a cursor');
  }
  return { buckets: n, token: c };
}

/**
 * One page of records: `{ id, v }` each. A dataset of one bucket is queried within it; one of
 * several in one query over exactly its buckets, so ORDER BY, TOP and the continuation span them.
 */
export async function queryRecordPage(scope: RecordScope, query: RecordPageQuery, options: { limit: number; continuation?: string }): Promise<Page<RowDoc>> {
  const { buckets, token } = continuationOf(scope, options.continuation);
  const top = query.top === undefined ? '' : `TOP ${Math.floor(query.top)} `;
  const keys = Array.from({ length: buckets }, (_, bucket) => ({ name: `@pk${bucket}`, value: partitionKeyOf(scope.datasetId, bucket) }));
  const inBuckets = buckets === 1 ? '' : ` AND c.pk IN (${keys.map((key) => key.name).join(', ')})`;
  const sql = `SELECT ${top}c.id, ${query.projection} AS v FROM c WHERE ${RECORD_WHERE}${inBuckets} AND ${query.where}${query.orderBy ? ` ${query.orderBy}` : ''}`;
  const parameters = scoped(scope.datasetId, buckets === 1 ? query.parameters : [...keys, ...query.parameters]);
  const page = await queryPage<RowDoc>(
    records(),
    { query: sql, parameters },
    buckets === 1 ? { limit: options.limit, continuation: token, partitionKey: partitionKeyOf(scope.datasetId, 0) } : { limit: options.limit, continuation: token, crossPartition: true },
  );
  return { items: page.items, continuation: page.continuation === undefined ? undefined : JSON.stringify({ n: buckets, c: page.continuation }) };
}

/** One aggregate row (`SELECT COUNT(1) AS n, SUM(…) AS s0 …`) over the records matching a filter: one per bucket, combined. */
export async function aggregateRecords(scope: RecordScope, select: string, filter: RecordQuery): Promise<Record<string, number | undefined>> {
  // Several aggregates without VALUE: valid only unplanned, so always within one bucket's partition.
  const query = { query: `SELECT ${select} FROM c WHERE ${RECORD_WHERE} AND ${filter.where}`, parameters: scoped(scope.datasetId, filter.parameters) };
  const rows = await eachBucket(scope, (partitionKey) => aggregateRow<Record<string, number>>(records(), query, partitionKey));
  return combineAggregates(rows.flatMap((row) => (row ? [row] : [])));
}

/**
 * One aggregate row per value of `groupBy` (a column reference): `SELECT <groupBy> AS g, COUNT(1)
 * AS n, … GROUP BY <groupBy>` in each bucket, the rows of a value combined across buckets. Rows
 * missing the column form one group without `g`. Cosmos DB runs it within the partition without a
 * plan, and allows no ORDER BY with GROUP BY: the caller orders the groups.
 */
export async function aggregateRecordGroups(scope: RecordScope, groupBy: string, select: string, filter: RecordQuery): Promise<Record<string, CellValue | number | undefined>[]> {
  const query = { query: `SELECT ${groupBy} AS g, ${select} FROM c WHERE ${RECORD_WHERE} AND ${filter.where} GROUP BY ${groupBy}`, parameters: scoped(scope.datasetId, filter.parameters) };
  const perBucket = await eachBucket(scope, (partitionKey) => aggregateRows<Record<string, CellValue | number | undefined>>(records(), query, partitionKey));
  const byGroup = new Map<string, { g: CellValue | undefined; rows: Record<string, unknown>[] }>();
  for (const row of perBucket.flat()) {
    // JSON keeps 1 and '1' apart (an integer column's groups against a string's).
    const key = row.g === undefined ? 'undefined' : JSON.stringify(row.g);
    const group = byGroup.get(key) ?? { g: row.g as CellValue | undefined, rows: [] };
    group.rows.push(row);
    byGroup.set(key, group);
  }
  return [...byGroup.values()].map(({ g, rows }) => ({ ...(g === undefined ? {} : { g }), ...combineAggregates(rows) }));
}
