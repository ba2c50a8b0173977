import { randomUUID } from 'node:crypto';
import { StringDecoder } from 'node:string_decoder';
import { errors, type FieldError } from '../errors';
import { config } from '../config';
import { nestsDeeperThan } from '../json/json-depth';
import { normaliseDatetime } from '../query/filter.compiler';
import { CsvParser, RowsSyntaxError } from './csv';
import type { Column, IngestResult, RowError } from './dataset.schema';
import { JsonArraySplitter, type JsonElement, NdjsonSplitter } from './json-rows';
import { type Allocation, partitionKeyOf, placer, rowBytes } from './records.layout';
import { BULK_BATCH, type CellValue, deleteRecordIds, type RecordDoc, type RecordWriter, recordKeys, ThrottleBudget, ThrottledError } from './records.repository';

/**
 * Ingest: rows sent as CSV, a JSON array or NDJSON, validated against the dataset's columns, written
 * with Cosmos DB bulk operations. All or nothing by default: the whole body is validated before the
 * first write, and if a write fails midway, what this request wrote is deleted before answering.
 * The body is read incrementally twice (validate, then write), so memory holds a batch of rows, not
 * the parsed body.
 */

export type BodyFormat = 'csv' | 'json' | 'ndjson';

export function formatOf(contentType: string | null): BodyFormat {
  const type = contentType?.split(';')[0]?.trim().toLowerCase();
  return type === 'text/csv' ? 'csv' : type === 'application/x-ndjson' ? 'ndjson' : 'json';
}

/** One row as read: its fields by column name (strings from CSV), or why it could not be read. */
interface RawRow {
  row: number;
  line: number;
  fields?: Record<string, unknown>;
  error?: string;
}

const CHUNK_CHARS = 256 * 1024;
const MAX_TEXT = 4096;
const MAX_REPORTED = 100;
const WRITE_CONCURRENCY = 4;
/** A row's document must fit Cosmos DB's 2 MB item limit; what a row can be is checked before anything is written. */
const MAX_ROW_BYTES = 2 * 1024 * 1024;

async function* textChunks(body: Buffer): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  for (let start = 0; start < body.length; start += CHUNK_CHARS) {
    yield decoder.write(body.subarray(start, start + CHUNK_CHARS));
    // Let other requests run between chunks of a large body.
    await new Promise((resolve) => setImmediate(resolve));
  }
  const rest = decoder.end();
  if (rest) yield rest;
}

function syntaxError(error: unknown): never {
  if (error instanceof RowsSyntaxError) {
    throw errors.invalidInput(`/line/${error.line}`, error.message);
  }
  throw error;
}

function checkHeader(header: string[], columns: readonly Column[]): void {
  const known = new Set(columns.map((column) => column.name));
  const problems: FieldError[] = [];
  const seen = new Set<string>();
  header.forEach((name, index) => {
    if (!known.has(name)) problems.push({ pointer: `/header/${index}`, message: `'${name}' is not a column of this dataset; columns: ${[...known].join(', ')}` });
    if (seen.has(name)) problems.push({ pointer: `/header/${index}`, message: `'${name}' appears twice` });
    seen.add(name);
  });
  for (const column of columns) {
    if (column.required && !seen.has(column.name)) problems.push({ pointer: '/header', message: `the required column '${column.name}' is missing` });
  }
  if (problems.length > 0) throw errors.invalidInputs(problems, `The CSV header does not match the dataset's columns: ${problems.map((p) => p.message).join('; ')}`);
}

async function* csvRows(body: Buffer, columns: readonly Column[]): AsyncGenerator<RawRow> {
  const parser = new CsvParser();
  let header: string[] | undefined;
  let row = 0;
  const rowsOf = (records: ReturnType<CsvParser['push']>): RawRow[] =>
    records.flatMap((record): RawRow[] => {
      if (!header) {
        header = record.fields.map((name) => name.trim());
        checkHeader(header, columns);
        return [];
      }
      row += 1;
      if (record.fields.length !== header.length) {
        return [{ row, line: record.line, error: `has ${record.fields.length} fields; the header has ${header.length}` }];
      }
      const names = header;
      return [{ row, line: record.line, fields: Object.fromEntries(record.fields.map((value, index) => [names[index] ?? '', value])) }];
    });
  try {
    for await (const chunk of textChunks(body)) yield* rowsOf(parser.push(chunk));
    yield* rowsOf(parser.end());
  } catch (error) {
    syntaxError(error);
  }
  if (!header) throw errors.invalidInput('', 'the CSV is empty: send a header line with the column names, then one line per row');
}

async function* jsonRows(body: Buffer, format: 'json' | 'ndjson'): AsyncGenerator<RawRow> {
  const splitter = format === 'json' ? new JsonArraySplitter() : new NdjsonSplitter();
  const { maxJsonDepth } = config().http;
  let row = 0;
  const rowsOf = (elements: JsonElement[]): RawRow[] =>
    elements.map((element) => {
      row += 1;
      // A row of scalars is 2 levels deep; deeper ones would only overflow the recursive code that reports them.
      if (nestsDeeperThan(element.text, maxJsonDepth)) return { row, line: element.line, error: `is nested more than ${maxJsonDepth} levels deep` };
      let value: unknown;
      try {
        value = JSON.parse(element.text);
      } catch {
        return { row, line: element.line, error: 'is not valid JSON' };
      }
      if (value === null || typeof value !== 'object' || Array.isArray(value)) return { row, line: element.line, error: 'is not a JSON object' };
      return { row, line: element.line, fields: value as Record<string, unknown> };
    });
  try {
    for await (const chunk of textChunks(body)) yield* rowsOf(splitter.push(chunk));
    if (splitter instanceof NdjsonSplitter) yield* rowsOf(splitter.end());
    else splitter.end();
  } catch (error) {
    syntaxError(error);
  }
}

export function readRows(body: Buffer, format: BodyFormat, columns: readonly Column[]): AsyncGenerator<RawRow> {
  return format === 'csv' ? csvRows(body, columns) : jsonRows(body, format);
}

type Cell = { value: CellValue | undefined } | { problem: string };

/** One value as its column's type: CSV text is parsed, JSON must already be of the type. */
export function cellOf(column: Column, raw: unknown, textual: boolean): Cell {
  if (raw === undefined || raw === null || (textual && raw === '')) {
    return column.required ? { problem: 'is required' } : { value: undefined };
  }
  const shown = JSON.stringify(raw).slice(0, 80);
  let value: CellValue | undefined;
  switch (column.type) {
    case 'number': {
      const number = textual && typeof raw === 'string' ? (raw.trim() === '' ? Number.NaN : Number(raw)) : raw;
      value = typeof number === 'number' && Number.isFinite(number) ? number : undefined;
      break;
    }
    case 'integer': {
      const number = textual && typeof raw === 'string' ? (/^\s*[-+]?\d+\s*$/.test(raw) ? Number(raw) : Number.NaN) : raw;
      value = typeof number === 'number' && Number.isSafeInteger(number) ? number : undefined;
      break;
    }
    case 'boolean': {
      if (typeof raw === 'boolean') value = raw;
      else if (textual && typeof raw === 'string') {
        const lower = raw.trim().toLowerCase();
        value = lower === 'true' || lower === '1' ? true : lower === 'false' || lower === '0' ? false : undefined;
      }
      break;
    }
    case 'string':
      if (typeof raw === 'string' && raw.length > MAX_TEXT) return { problem: `is longer than ${MAX_TEXT} characters` };
      value = typeof raw === 'string' ? raw : undefined;
      break;
    case 'datetime':
      value = typeof raw === 'string' ? normaliseDatetime(raw.trim()) : undefined;
      break;
  }
  if (value === undefined) return { problem: `${shown} is not ${column.type === 'integer' ? 'an integer' : column.type === 'datetime' ? 'an ISO 8601 date' : `a ${column.type}`}` };
  if (column.values && typeof value !== 'boolean' && !column.values.includes(value)) {
    return { problem: `${shown} is not one of the allowed values (${column.values.slice(0, 10).join(', ')}${column.values.length > 10 ? ', …' : ''})` };
  }
  return { value };
}

/** A row's values by column, or its problems (unknown fields, missing, mistyped or disallowed values). */
export function validateRow(
  fields: Record<string, unknown>,
  columns: readonly Column[],
  textual: boolean,
): { values: Record<string, CellValue> } | { problems: { column?: string; message: string }[] } {
  const values: Record<string, CellValue> = {};
  const problems: { column?: string; message: string }[] = [];
  const known = new Set(columns.map((column) => column.name));
  for (const name of Object.keys(fields)) {
    if (!known.has(name)) problems.push({ column: name, message: `'${name}' is not a column of this dataset` });
  }
  for (const column of columns) {
    const cell = cellOf(column, fields[column.name], textual);
    if ('problem' in cell) problems.push({ column: column.name, message: cell.problem });
    else if (cell.value !== undefined) values[column.name] = cell.value;
  }
  return problems.length > 0 ? { problems } : { values };
}

/** What ingest saw of the good rows: folded into the dataset's profile after a successful write. */
export interface Observed {
  distinct: Map<string, Set<CellValue>>;
  sums: Map<string, { n: number; sum: number }>;
}

/** Columns whose distinct values are tracked, for grouping and facets: string and integer columns without allowed values. */
export function tracksDistinct(column: Column): boolean {
  return (column.type === 'string' || column.type === 'integer') && !column.values;
}

export const MAX_TRACKED_DISTINCT = 1000;

interface Validation {
  rows: number;
  /** What the good rows count for in the dataset's layout (records.layout.ts). */
  bytes: number;
  bad: Set<number>;
  reported: RowError[];
  observed: Observed;
}

async function validateAll(datasetId: string, body: Buffer, format: BodyFormat, columns: readonly Column[]): Promise<Validation> {
  const result: Validation = { rows: 0, bytes: 0, bad: new Set(), reported: [], observed: { distinct: new Map(), sums: new Map() } };
  const tracked = columns.filter(tracksDistinct);
  const numeric = columns.filter((column) => column.type === 'number' || column.type === 'integer');
  for (const column of tracked) result.observed.distinct.set(column.name, new Set());
  for (const column of numeric) result.observed.sums.set(column.name, { n: 0, sum: 0 });
  const report = (error: RowError) => {
    if (result.reported.length < MAX_REPORTED) result.reported.push(error);
  };
  for await (const raw of readRows(body, format, columns)) {
    result.rows = raw.row;
    if (!raw.fields) {
      result.bad.add(raw.row);
      report({ row: raw.row, line: raw.line, message: `row ${raw.row} (line ${raw.line}) ${raw.error ?? 'is not valid'}` });
      continue;
    }
    const checked = validateRow(raw.fields, columns, format === 'csv');
    if ('problems' in checked) {
      result.bad.add(raw.row);
      for (const problem of checked.problems) {
        report({ row: raw.row, line: raw.line, column: problem.column, message: `row ${raw.row} (line ${raw.line}): ${problem.column ?? ''} ${problem.message}`.trim() });
      }
      continue;
    }
    const bytes = rowBytes(datasetId, checked.values);
    if (bytes > MAX_ROW_BYTES) {
      result.bad.add(raw.row);
      report({ row: raw.row, line: raw.line, message: `row ${raw.row} (line ${raw.line}) is ${bytes} bytes stored; a row may be at most ${MAX_ROW_BYTES}` });
      continue;
    }
    result.bytes += bytes;
    for (const column of tracked) {
      const value = checked.values[column.name];
      const seen = result.observed.distinct.get(column.name);
      if (value !== undefined && seen && seen.size <= MAX_TRACKED_DISTINCT) seen.add(value);
    }
    for (const column of numeric) {
      const value = checked.values[column.name];
      const sums = result.observed.sums.get(column.name);
      if (typeof value === 'number' && sums) {
        sums.n += 1;
        sums.sum += value;
      }
    }
  }
  return result;
}

/** Deletes every record one ingest request wrote (in the buckets it wrote to). */
export async function rollbackIngest(datasetId: string, ingestId: string, buckets: readonly number[]): Promise<void> {
  await deleteRecordIds(datasetId, await recordKeys(datasetId, buckets, ingestId));
}

/** The buckets rows placed from `allocation` over `bytes` can be in. */
function bucketsOf(allocation: Allocation, bytes: number): number[] {
  const first = Math.floor(allocation.start / allocation.bucketBytes);
  const last = Math.floor((allocation.start + Math.max(0, bytes - 1)) / allocation.bucketBytes);
  return Array.from({ length: last - first + 1 }, (_, index) => first + index);
}

/** Cosmos DB's storage limits (a document over 2 MB, a full logical partition): the caller is told which, not to retry. */
const isStorageLimit = (error: unknown): boolean => {
  const { code, substatus } = (error ?? {}) as { code?: unknown; substatus?: unknown };
  return code === 413 || (code === 403 && substatus === 1014);
};

export interface IngestOutcome extends IngestResult {
  ingestId: string;
  observed: Observed;
  /** Rows validated for writing; fewer were inserted when throttling outlasted the budget. */
  writable: number;
  /** The buckets this ingest's rows are in: where a rollback looks. */
  buckets: number[];
  /** Set when Cosmos DB throttled past INGEST_THROTTLE_BUDGET: the wait it asked for, in ms. */
  throttledMs?: number;
}

/**
 * Validates every row of `body`, then reserves room for the good ones (`reserve`: where in the
 * dataset's layout they go) and writes them. With `onError: 'fail'` one bad row is a 400 listing
 * the bad rows (the first 100 problems) and nothing is written.
 */
export async function ingestRows(
  datasetId: string,
  columns: readonly Column[],
  body: Buffer,
  format: BodyFormat,
  onError: 'fail' | 'skip',
  writer: RecordWriter,
  reserve: (bytes: number) => Promise<Allocation>,
): Promise<IngestOutcome> {
  const validation = await validateAll(datasetId, body, format, columns);
  if (validation.rows === 0) throw errors.invalidInput('', 'there are no rows to ingest');
  const rejected = validation.bad.size;
  if (rejected > 0 && onError === 'fail') {
    const fieldErrors = validation.reported.map((error) => ({
      pointer: `/row/${error.row}${error.column ? `/${error.column}` : ''}`,
      message: error.message,
    }));
    throw errors.invalidInputs(
      fieldErrors,
      `${rejected} of ${validation.rows} rows are not valid (rows ${[...validation.bad].slice(0, 20).join(', ')}${rejected > 20 ? ', …' : ''}); ` +
        'nothing was stored. Fix them, or send ?onError=skip to store the good rows.',
    );
  }
  const ingestId = randomUUID();
  const outcome: IngestOutcome = { inserted: 0, rejected, errors: validation.reported, ingestId, observed: validation.observed, writable: validation.rows - rejected, buckets: [] };
  if (rejected === validation.rows) return outcome;
  const allocation = await reserve(validation.bytes);
  outcome.buckets = bucketsOf(allocation, validation.bytes);
  const place = placer(allocation);
  const throttle = new ThrottleBudget(config().ingest.throttleBudgetSeconds * 1000);

  const inFlight = new Set<Promise<void>>();
  let failure: unknown;
  const flush = (docs: RecordDoc[]) => {
    const write = writer
      .insert(datasetId, docs, throttle)
      .then(() => {
        outcome.inserted += docs.length;
      })
      .catch((error: unknown) => {
        failure ??= error;
      })
      .finally(() => inFlight.delete(write));
    inFlight.add(write);
  };
  let batch: RecordDoc[] = [];
  for await (const raw of readRows(body, format, columns)) {
    if (failure) break;
    if (!raw.fields || validation.bad.has(raw.row)) continue;
    const checked = validateRow(raw.fields, columns, format === 'csv');
    if (!('values' in checked)) continue;
    // Placed in the order validation counted the rows, so they fill exactly the reserved offsets.
    const bucket = place(rowBytes(datasetId, checked.values));
    batch.push({ id: randomUUID(), pk: partitionKeyOf(datasetId, bucket), datasetId, docType: 'record', ingestId, values: checked.values });
    if (batch.length === BULK_BATCH) {
      flush(batch);
      batch = [];
      while (inFlight.size >= WRITE_CONCURRENCY) await Promise.race(inFlight);
    }
  }
  if (batch.length > 0 && !failure) flush(batch);
  await Promise.all(inFlight);
  // Throttling is not a failure of the rows: what was stored stays (deleting it would be as many
  // throttled writes again, and lose work the caller paid for); the caller is told how far it got.
  if (failure instanceof ThrottledError) return { ...outcome, throttledMs: failure.retryAfterMs };
  if (failure) {
    await rollbackIngest(datasetId, ingestId, outcome.buckets);
    // After the rollback, the limit itself (problem.ts renders it): retrying would meet it again.
    if (isStorageLimit(failure)) throw failure;
    throw errors.unavailable('Storing the rows failed midway; what this request had written was removed, so nothing was stored. Try again.', 5);
  }
  return outcome;
}
