import type { OperationInput } from '@azure/cosmos';
import { aggregateRow, aggregateRows, aggregateTotal, container, cosmosStatus, type Page, queryPage } from '../azure/cosmos';
import type { SqlParameter } from '../query/filter.compiler';
import type { Column } from './dataset.schema';

/**
 * Cosmos DB access for hosted datasets. Everything of one dataset lives in one logical partition of
 * the `records` container (`/datasetId`): its records (`docType: 'record'`), its column schema
 * (`__schema__`) and its profile (`__profile__`: distinct values and numeric shifts kept at ingest).
 * So every query and aggregate here is single-partition, and the partition key is always passed.
 */

export type CellValue = string | number | boolean;

export interface RecordDoc {
  id: string;
  datasetId: string;
  docType: 'record';
  /** The ingest request that wrote it: what a failed request deletes. */
  ingestId: string;
  values: Record<string, CellValue>;
}

export interface SchemaDoc {
  id: '__schema__';
  datasetId: string;
  docType: 'schema';
  columns: Column[];
  label?: string;
  updatedAt: string;
  updatedBy: string;
}

export interface ProfileDoc {
  id: '__profile__';
  datasetId: string;
  docType: 'profile';
  /** Distinct values per tracked column (string and integer columns without allowed values). */
  distinct: Record<string, CellValue[]>;
  /** Columns with more distinct values than are tracked: they cannot be grouped or faceted. */
  overflow: string[];
  /** Per numeric column, a value near its mean: statistics sum `(x − shift)`, which keeps the variance exact. */
  shift: Record<string, number>;
  updatedAt: string;
}

export interface Versioned<T> {
  doc: T;
  etag: string;
}

const SCHEMA_ID = '__schema__';
const PROFILE_ID = '__profile__';
/** The embedded emulator takes at most 100 operations per partition per bulk call; Cosmos DB the same per batch. */
export const BULK_BATCH = 100;
/** Bulk calls of one request in flight at once. */
const BULK_PARALLEL = 4;
const RETRIABLE = new Set([408, 429, 449, 503]);

const records = () => container('records');

/**
 * The partition key is passed with every query, and the dataset id is in the WHERE clause too: the
 * embedded server refuses a query without cross-partition consent whose WHERE does not name the
 * partition key, and real Cosmos DB serves the extra equality from the same partition at no cost.
 */
const RECORD_WHERE = "c.datasetId = @datasetId AND c.docType = 'record'";
const scoped = (datasetId: string, parameters: readonly SqlParameter[]) => [{ name: '@datasetId', value: datasetId }, ...parameters];

async function readDoc<T>(datasetId: string, id: string): Promise<Versioned<T> | undefined> {
  try {
    const response = await records().item(id, datasetId).read<Record<string, unknown>>();
    if (!response.resource) return undefined;
    // Cosmos DB's system properties (`_rid`, `_etag`, `_ts`, …) stay out of the domain document.
    const doc = Object.fromEntries(Object.entries(response.resource).filter(([key]) => !key.startsWith('_')));
    return { doc: doc as T, etag: response.etag };
  } catch (error) {
    if (cosmosStatus(error) === 404) return undefined;
    throw error;
  }
}

/** Writes a document: created when `ifMatch` is null (false if it exists), else replaced if unchanged (false on 412). */
async function writeDoc<T extends { id: string }>(doc: T, ifMatch: string | null): Promise<string | false> {
  try {
    if (ifMatch === null) {
      const response = await records().items.create(doc);
      return response.etag;
    }
    const response = await records()
      .item(doc.id, (doc as unknown as { datasetId: string }).datasetId)
      .replace(doc, { accessCondition: { type: 'IfMatch', condition: ifMatch } });
    return response.etag;
  } catch (error) {
    const status = cosmosStatus(error);
    if (status === 409 || status === 412 || status === 404) return false;
    throw error;
  }
}

export const readSchemaDoc = (datasetId: string) => readDoc<SchemaDoc>(datasetId, SCHEMA_ID);
export const readProfileDoc = (datasetId: string) => readDoc<ProfileDoc>(datasetId, PROFILE_ID);
export const writeSchemaDoc = (doc: SchemaDoc, ifMatch: string | null) => writeDoc(doc, ifMatch);
export const writeProfileDoc = (doc: ProfileDoc, ifMatch: string | null) => writeDoc(doc, ifMatch);

export function emptyProfile(datasetId: string): ProfileDoc {
  return { id: PROFILE_ID, datasetId, docType: 'profile', distinct: {}, overflow: [], shift: {}, updatedAt: new Date().toISOString() };
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
 * Runs bulk operations of one dataset, ≤ 100 per call; throws if any still fails. Throttled
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
        else throw new Error(`bulk ${operation.operationType} in dataset ${datasetId} failed with ${status}`);
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
      docs.map((doc) => ({ operationType: 'Create', partitionKey: datasetId, resourceBody: { ...doc } })),
      throttle,
    ),
};

/** Deletes records by id; a delete waits out throttling for up to `throttleMs` (a minute unless told). */
export async function deleteRecordIds(datasetId: string, ids: string[], throttleMs = 60_000): Promise<void> {
  await bulk(
    datasetId,
    ids.map((id) => ({ operationType: 'Delete', partitionKey: datasetId, id })),
    new ThrottleBudget(throttleMs),
  );
}

/**
 * The ids of a dataset's records (of one ingest request, if given). Read in full before anything
 * is deleted: deleting under a live continuation token can make it skip documents.
 */
export async function recordIds(datasetId: string, ingestId?: string): Promise<string[]> {
  const query = ingestId
    ? { query: `SELECT VALUE c.id FROM c WHERE ${RECORD_WHERE} AND c.ingestId = @ingestId`, parameters: scoped(datasetId, [{ name: '@ingestId', value: ingestId }]) }
    : { query: `SELECT VALUE c.id FROM c WHERE ${RECORD_WHERE}`, parameters: scoped(datasetId, []) };
  const ids: string[] = [];
  const iterator = records().items.query<string>(query, { partitionKey: datasetId, maxItemCount: 5000 });
  while (iterator.hasMoreResults()) ids.push(...(await iterator.fetchNext()).resources);
  return ids;
}

export interface RecordQuery {
  where: string;
  parameters: SqlParameter[];
}


/** `SELECT VALUE COUNT(1)` of the records matching a compiled filter. */
export async function countRecords(datasetId: string, filter: RecordQuery): Promise<number> {
  return aggregateTotal(records(), { query: `SELECT VALUE COUNT(1) FROM c WHERE ${RECORD_WHERE} AND ${filter.where}`, parameters: scoped(datasetId, filter.parameters) }, datasetId);
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

/** One page of records: `{ id, v }` each. */
export function queryRecordPage(datasetId: string, query: RecordPageQuery, options: { limit: number; continuation?: string }): Promise<Page<RowDoc>> {
  const top = query.top === undefined ? '' : `TOP ${Math.floor(query.top)} `;
  const sql = `SELECT ${top}c.id, ${query.projection} AS v FROM c WHERE ${RECORD_WHERE} AND ${query.where}${query.orderBy ? ` ${query.orderBy}` : ''}`;
  return queryPage<RowDoc>(records(), { query: sql, parameters: scoped(datasetId, query.parameters) }, { ...options, partitionKey: datasetId });
}

/** One aggregate row (`SELECT COUNT(1) AS n, SUM(…) AS s0 …`) over the records matching a filter. */
export async function aggregateRecords(datasetId: string, select: string, filter: RecordQuery): Promise<Record<string, number | undefined>> {
  // Several aggregates without VALUE: valid only unplanned, so always within the dataset's partition.
  const row = await aggregateRow<Record<string, number>>(records(), { query: `SELECT ${select} FROM c WHERE ${RECORD_WHERE} AND ${filter.where}`, parameters: scoped(datasetId, filter.parameters) }, datasetId);
  return row ?? {};
}

/**
 * One aggregate row per value of `groupBy` (a column reference), in one query: `SELECT <groupBy>
 * AS g, COUNT(1) AS n, … GROUP BY <groupBy>`. Rows missing the column form one group without `g`.
 * Within the dataset's partition, as every query here (Cosmos DB runs it there without a plan, and
 * allows no ORDER BY with GROUP BY: the caller orders the groups).
 */
export async function aggregateRecordGroups(datasetId: string, groupBy: string, select: string, filter: RecordQuery): Promise<Record<string, CellValue | number | undefined>[]> {
  const sql = `SELECT ${groupBy} AS g, ${select} FROM c WHERE ${RECORD_WHERE} AND ${filter.where} GROUP BY ${groupBy}`;
  return aggregateRows<Record<string, CellValue | number | undefined>>(records(), { query: sql, parameters: scoped(datasetId, filter.parameters) }, datasetId);
}
