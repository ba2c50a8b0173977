import { isAdmin } from '../auth/auth.service';
import type { Principal } from '../auth/auth.schema';
import { getEntry } from '../catalogue/catalogue.service';
import { errors, isAppError } from '../errors';
import { decodeCursor, encodeCursor } from '../http/pagination';
import { type CompiledFilter, columnRef, compileFilter } from '../query/filter.compiler';
import type { ColumnDef, Filter } from '../query/filter.schema';
import { filterFromUrl } from '../query/filter.url';
import { csvLine } from './csv';
import {
  type BrowseQuery,
  type Column,
  type DatasetSchema,
  DatasetSchemaBody,
  type DatasetSchemaInput,
  type IngestResult,
  MAX_PAGE_ROWS,
  type Metric,
  METRICS,
  type OrderBy,
  type QueryBody,
  type RecordRow,
  type RecordsPage,
  type StatsBody,
  type StatsGroup,
  type StatsResult,
} from './dataset.schema';
import { type BodyFormat, ingestRows, MAX_TRACKED_DISTINCT, type Observed, rollbackIngest, tracksDistinct } from './ingest';
import {
  aggregateRecords,
  type CellValue,
  cosmosRecordWriter,
  countRecords,
  deleteRecordIds,
  emptyProfile,
  type ProfileDoc,
  queryRecordPage,
  type RecordPageQuery,
  type RecordWriter,
  readProfileDoc,
  readSchemaDoc,
  recordIds,
  type SchemaDoc,
  writeProfileDoc,
  writeSchemaDoc,
} from './records.repository';
import { aggregateSelect, columnStats, type StatsColumn } from './records.stats';

const PREFIX = 'c.values';
/** Aggregate and count queries run this many at a time (one per group or facet value). */
const QUERY_CONCURRENCY = 8;
const MAX_GROUPS = 1000;
const MAX_FACET_VALUES = 100;
/** The iris_api profile pages with TOP: its cost grows with the page, so it stops here (cursors do not). */
const MAX_IRIS_OFFSET = 10_000;
/** Distinct values kept in a profile document, all columns together (a document holds at most 2 MB). */
const MAX_PROFILE_CHARS = 1_000_000;

// ---- access ------------------------------------------------------------------------------------

/** Reading follows the catalogue: the dataset's entry must be visible to the caller (404 otherwise). */
async function readable(datasetId: string, principal: Principal | undefined): Promise<void> {
  await getEntry('datasets', datasetId, principal);
}

/** Changing records or the schema: the entry's owner (a contributor) or an admin. */
async function writable(datasetId: string, principal: Principal | undefined): Promise<void> {
  if (!principal) throw errors.unauthenticated();
  const entry = await getEntry('datasets', datasetId, principal);
  if (!isAdmin(principal) && entry.owner !== principal.id) {
    throw errors.forbidden(`Only the owner of dataset '${datasetId}' or an admin may change its records and schema.`);
  }
}

async function schemaOf(datasetId: string): Promise<{ doc: SchemaDoc; etag: string }> {
  const found = await readSchemaDoc(datasetId);
  if (!found) throw errors.notFound('record schema for dataset', datasetId);
  return found;
}

function columnDefs(columns: readonly Column[]): ColumnDef[] {
  return columns.map((column) => ({ name: column.name, type: column.type, values: column.values, required: column.required }));
}

function columnNamed(schema: SchemaDoc, name: string, pointer: string): Column {
  const column = schema.columns.find((candidate) => candidate.name === name);
  if (!column) throw errors.invalidField(pointer, `unknown column '${name}'; columns: ${schema.columns.map((c) => c.name).join(', ')}`);
  return column;
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

// ---- schema ------------------------------------------------------------------------------------

function schemaView(doc: SchemaDoc, recordCount: number): DatasetSchema {
  return {
    datasetId: doc.datasetId,
    columns: doc.columns,
    ...(doc.label === undefined ? {} : { label: doc.label }),
    recordCount,
    updatedAt: doc.updatedAt,
    updatedBy: doc.updatedBy,
  };
}

/** The representation's ETag: the schema document's, and the record count it reports (which ingest changes). */
const schemaEtag = (documentEtag: string, recordCount: number) => `"${documentEtag.replace(/"/g, '')}:${recordCount}"`;

export async function getSchema(datasetId: string, principal: Principal | undefined): Promise<{ schema: DatasetSchema; etag: string }> {
  await readable(datasetId, principal);
  const { doc, etag } = await schemaOf(datasetId);
  const count = await countRecords(datasetId, { where: 'true', parameters: [] });
  return { schema: schemaView(doc, count), etag: schemaEtag(etag, count) };
}

function sameSchema(doc: SchemaDoc, body: DatasetSchemaBody): boolean {
  return JSON.stringify({ columns: doc.columns, label: doc.label }) === JSON.stringify({ columns: body.columns, label: body.label });
}

/** Declares or replaces the columns; 409 while records exist, 412 when `ifMatch` is stale. */
async function declareSchema(
  datasetId: string,
  body: DatasetSchemaBody,
  updatedBy: string,
  ifMatch: string | undefined,
): Promise<{ schema: DatasetSchema; etag: string; created: boolean }> {
  const existing = await readSchemaDoc(datasetId);
  const count = await countRecords(datasetId, { where: 'true', parameters: [] });
  if (ifMatch !== undefined && (!existing || (ifMatch !== '*' && schemaEtag(existing.etag, count) !== ifMatch))) throw errors.preconditionFailed();
  if (existing && sameSchema(existing.doc, body)) return { schema: schemaView(existing.doc, count), etag: schemaEtag(existing.etag, count), created: false };
  if (count > 0) {
    throw errors.conflict(`Dataset '${datasetId}' holds ${count} records validated against its current columns; delete them before changing the schema.`);
  }
  const doc: SchemaDoc = {
    id: '__schema__',
    datasetId,
    docType: 'schema',
    columns: body.columns,
    ...(body.label === undefined ? {} : { label: body.label }),
    updatedAt: new Date().toISOString(),
    updatedBy,
  };
  const etag = await writeSchemaDoc(doc, existing ? existing.etag : null);
  if (etag === false) throw errors.conflict('The schema was changed at the same time; read it again and retry.');
  await resetProfile(datasetId);
  return { schema: schemaView(doc, 0), etag: schemaEtag(etag, 0), created: !existing };
}

/**
 * Declares (or replaces) the columns of a hosted dataset: its owner or an admin. Replacing them
 * while records exist is a 409: the stored rows were validated against the old columns.
 */
export async function putSchema(
  datasetId: string,
  body: DatasetSchemaBody,
  principal: Principal | undefined,
  ifMatch: string | undefined,
): Promise<{ schema: DatasetSchema; etag: string; created: boolean }> {
  await writable(datasetId, principal);
  return declareSchema(datasetId, body, principal?.id ?? 'system', ifMatch);
}

/** Declares a schema with no caller (the local seed, benchmarks): the same checks, no ownership. */
export async function putSchemaAsSystem(datasetId: string, body: DatasetSchemaInput): Promise<void> {
  await declareSchema(datasetId, DatasetSchemaBody.parse(body), 'system', undefined);
}

// ---- profile (distinct values and shifts, kept at ingest) --------------------------------------

async function resetProfile(datasetId: string): Promise<void> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const current = await readProfileDoc(datasetId);
    if ((await writeProfileDoc(emptyProfile(datasetId), current ? current.etag : null)) !== false) return;
  }
  throw errors.conflict('The dataset is being changed by another request; retry.');
}

function mergedProfile(base: ProfileDoc, observed: Observed): ProfileDoc {
  const next: ProfileDoc = { ...base, distinct: { ...base.distinct }, overflow: [...base.overflow], shift: { ...base.shift }, updatedAt: new Date().toISOString() };
  for (const [name, values] of observed.distinct) {
    if (next.overflow.includes(name)) continue;
    const union = new Set<CellValue>([...(next.distinct[name] ?? []), ...values]);
    if (union.size > MAX_TRACKED_DISTINCT) {
      next.overflow.push(name);
      delete next.distinct[name];
    } else next.distinct[name] = [...union].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }
  // Keep the document small: give up tracking the widest columns first.
  while (JSON.stringify(next.distinct).length > MAX_PROFILE_CHARS) {
    const widest = Object.entries(next.distinct).sort((a, b) => JSON.stringify(b[1]).length - JSON.stringify(a[1]).length)[0];
    if (!widest) break;
    next.overflow.push(widest[0]);
    delete next.distinct[widest[0]];
  }
  for (const [name, sums] of observed.sums) {
    if (next.shift[name] === undefined && sums.n > 0) next.shift[name] = sums.sum / sums.n;
  }
  return next;
}

/** Folds what an ingest saw into the profile (optimistic concurrency: concurrent ingests both land). */
async function updateProfile(datasetId: string, observed: Observed): Promise<void> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const current = await readProfileDoc(datasetId);
    const next = mergedProfile(current?.doc ?? emptyProfile(datasetId), observed);
    if ((await writeProfileDoc(next, current ? current.etag : null)) !== false) return;
  }
  throw errors.conflict('The dataset is being changed by other requests; retry.');
}

// ---- ingest and delete ---------------------------------------------------------------------------

/**
 * Ingests rows (CSV with a header, a JSON array or NDJSON). All or nothing unless `onError` is
 * `skip`; see `ingestRows`.
 */
export async function ingestRecords(
  datasetId: string,
  body: Buffer,
  format: BodyFormat,
  onError: 'fail' | 'skip',
  principal: Principal | undefined,
  writer: RecordWriter = cosmosRecordWriter,
): Promise<IngestResult> {
  await writable(datasetId, principal);
  return ingestAsSystem(datasetId, body, format, onError, writer);
}

/** Ingest with no caller (the local seed and benchmarks): the same validation and writes. */
export async function ingestAsSystem(
  datasetId: string,
  body: Buffer,
  format: BodyFormat,
  onError: 'fail' | 'skip',
  writer: RecordWriter = cosmosRecordWriter,
): Promise<IngestResult> {
  const schema = await schemaOf(datasetId);
  const outcome = await ingestRows(datasetId, schema.doc.columns, body, format, onError, writer);
  if (outcome.inserted > 0) {
    // Rows validated against columns that were replaced meanwhile must not stay.
    const now = await readSchemaDoc(datasetId);
    if (!now || now.etag !== schema.etag) {
      await rollbackIngest(datasetId, outcome.ingestId);
      throw errors.conflict('The dataset’s schema changed while the rows were being stored; nothing was stored.');
    }
    try {
      await updateProfile(datasetId, outcome.observed);
    } catch (error) {
      // Rows whose values the profile does not know would drop out of groups and facets.
      await rollbackIngest(datasetId, outcome.ingestId);
      throw error;
    }
  }
  return { inserted: outcome.inserted, rejected: outcome.rejected, errors: outcome.errors };
}

/** How many records a hosted dataset holds (no access check: for the seed and benchmarks). */
export function hostedRecordCount(datasetId: string): Promise<number> {
  return countRecords(datasetId, { where: 'true', parameters: [] });
}

export async function deleteRecords(datasetId: string, principal: Principal | undefined): Promise<{ deleted: number }> {
  await writable(datasetId, principal);
  await schemaOf(datasetId);
  const ids = await recordIds(datasetId);
  await deleteRecordIds(datasetId, ids);
  await resetProfile(datasetId);
  return { deleted: ids.length };
}

// ---- query -------------------------------------------------------------------------------------

interface PlannedQuery {
  page: RecordPageQuery;
  select: string[];
  /** What a cursor is bound to. */
  scope: unknown;
}

/** The SQL parts of a page query (projection, ORDER BY) from the schema; `pointer` names a field in errors. */
function plan(
  datasetId: string,
  schema: SchemaDoc,
  filter: CompiledFilter,
  rawFilter: Filter | undefined,
  select: string[] | undefined,
  orderBy: OrderBy | undefined,
  pointer: (field: string) => string,
): PlannedQuery {
  const columns = (select ?? schema.columns.map((column) => column.name)).map((name, index) =>
    columnNamed(schema, name, select ? `${pointer('select')}/${index}` : pointer('select')),
  );
  const projection = select ? `{${columns.map((column) => `"${column.name}": ${columnRef(PREFIX, column)}`).join(', ')}}` : PREFIX;
  let order = '';
  if (orderBy) {
    const column = columnNamed(schema, orderBy.column, pointer('orderBy'));
    if (!column.required) {
      throw errors.invalidField(pointer('orderBy'), `'${column.name}' is optional: rows without a value would drop out of a sort; sort by a required column`);
    }
    order = `ORDER BY ${columnRef(PREFIX, column)} ${orderBy.direction === 'desc' ? 'DESC' : 'ASC'}`;
  }
  return {
    page: { ...filter, projection, orderBy: order },
    select: columns.map((column) => column.name),
    scope: { d: datasetId, f: rawFilter ?? null, s: select ?? null, o: orderBy ?? null },
  };
}

function toRow(doc: { id: string; v: Record<string, CellValue> }, select: readonly string[]): RecordRow {
  const row: RecordRow = { _id: doc.id };
  for (const name of select) {
    const value = doc.v?.[name];
    if (value !== undefined && value !== null) row[name] = value;
  }
  return row;
}

/** The iris_api fields as a filter on the label column and per-column bounds, with where each part came from. */
function irisFilter(body: Pick<QueryBody, 'species' | 'lower' | 'upper'>, schema: SchemaDoc): { filter: Filter | undefined; pointer: (path: readonly (string | number)[]) => string } {
  const parts: Filter[] = [];
  const sources: { species?: true; column?: string; lower: boolean; upper: boolean }[] = [];
  if (body.species !== undefined) {
    if (!schema.label) throw errors.invalidField('/body/species', 'this dataset has no label column; use `filter`');
    parts.push({ column: schema.label, in: Array.isArray(body.species) ? body.species : [body.species] });
    sources.push({ species: true, lower: false, upper: false });
  }
  const bounded = [...new Set([...Object.keys(body.lower ?? {}), ...Object.keys(body.upper ?? {})])];
  for (const column of bounded) {
    const lower = body.lower?.[column];
    const upper = body.upper?.[column];
    parts.push({ column, ...(lower === undefined ? {} : { gte: lower }), ...(upper === undefined ? {} : { lte: upper }) });
    sources.push({ column, lower: lower !== undefined, upper: upper !== undefined });
  }
  return {
    filter: parts.length > 0 ? { and: parts } : undefined,
    pointer: (path) => {
      const source = typeof path[1] === 'number' ? sources[path[1]] : undefined;
      if (!source) return '/body';
      if (source.species) return typeof path[3] === 'number' ? `/body/species/${path[3]}` : '/body/species';
      const side = path[2] === 'lte' || !source.lower ? 'upper' : 'lower';
      return `/body/${side}/${source.column ?? ''}`;
    },
  };
}

/** The continuation inside a cursor, with a 400 that names the parameter the cursor came in. */
function continuationOf(cursor: string | undefined, scope: unknown, pointer: string): string | undefined {
  try {
    return decodeCursor(cursor, scope);
  } catch (error) {
    if (isAppError(error) && error.status === 400) throw errors.invalidField(pointer, error.errors?.[0]?.message ?? 'is not a cursor this API issued');
    throw error;
  }
}

async function collectPage(
  datasetId: string,
  query: PlannedQuery,
  limit: number,
  cursor: string | undefined,
  cursorPointer: string,
): Promise<{ items: RecordRow[]; continuation: string | undefined }> {
  const page = await queryRecordPage(datasetId, query.page, { limit, continuation: continuationOf(cursor, query.scope, cursorPointer) });
  return { items: page.items.map((doc) => toRow(doc, query.select)), continuation: page.continuation };
}

/** `POST …/records/query`: a page of rows matching a filter, in the native or the iris_api shape. */
export async function queryRecords(datasetId: string, body: QueryBody, principal: Principal | undefined): Promise<RecordsPage> {
  await readable(datasetId, principal);
  const { doc: schema } = await schemaOf(datasetId);
  const columns = columnDefs(schema.columns);
  const iris = body.species !== undefined || body.lower !== undefined || body.upper !== undefined || body.page !== undefined || body.per_page !== undefined;
  if (iris) {
    const { filter: raw, pointer } = irisFilter(body, schema);
    const compiled = compileFilter(raw, columns, { prefix: PREFIX, pointer });
    const query = plan(datasetId, schema, compiled, raw, undefined, undefined, (field) => `/body/${field}`);
    const page = body.page ?? 1;
    const perPage = body.per_page ?? MAX_PAGE_ROWS;
    if (page * perPage > MAX_IRIS_OFFSET) {
      throw errors.invalidField('/body/page', `page × per_page may be at most ${MAX_IRIS_OFFSET}; page through larger results with \`limit\` and \`cursor\``);
    }
    // One row past the page tells whether there is a next one.
    const upTo = { ...query.page, top: page * perPage + 1 };
    const rows: RecordRow[] = [];
    let continuation: string | undefined;
    do {
      const next = await queryRecordPage(datasetId, upTo, { limit: MAX_PAGE_ROWS, continuation });
      rows.push(...next.items.map((doc) => toRow(doc, query.select)));
      continuation = next.continuation;
    } while (continuation && rows.length <= page * perPage);
    return {
      items: rows.slice((page - 1) * perPage, page * perPage),
      nextCursor: null,
      page,
      nextPage: rows.length > page * perPage ? page + 1 : null,
      ...(body.count ? { count: await countRecords(datasetId, compiled) } : {}),
    };
  }
  const compiled = compileFilter(body.filter, columns, { prefix: PREFIX });
  const query = plan(datasetId, schema, compiled, body.filter, body.select, body.orderBy, (field) => `/body/${field}`);
  const [page, count] = await Promise.all([
    collectPage(datasetId, query, body.limit, body.cursor, '/body/cursor'),
    body.count ? countRecords(datasetId, compiled) : Promise.resolve(undefined),
  ]);
  return {
    items: page.items,
    nextCursor: page.continuation ? encodeCursor(page.continuation, query.scope) : null,
    ...(count === undefined ? {} : { count }),
  };
}

// ---- stats -------------------------------------------------------------------------------------

/** The values a categorical column's groups (and facets) are taken from: allowed values, true/false, or the distinct values kept at ingest. */
async function groupValues(datasetId: string, column: Column, pointer: string): Promise<CellValue[]> {
  if (column.type === 'boolean') return [true, false];
  if (column.values) return [...column.values];
  if (!tracksDistinct(column)) {
    throw errors.invalidField(pointer, `'${column.name}' holds ${column.type} values and is not categorical: group by a string, integer or boolean column`);
  }
  const profile = (await readProfileDoc(datasetId))?.doc;
  if (profile?.overflow.includes(column.name)) {
    throw errors.invalidField(pointer, `'${column.name}' has more than ${MAX_TRACKED_DISTINCT} distinct values; it cannot be grouped`);
  }
  return profile?.distinct[column.name] ?? [];
}

function withCondition(filter: CompiledFilter, condition: string, parameters: CompiledFilter['parameters']): CompiledFilter {
  return { where: filter.where === 'true' ? condition : `${filter.where} AND ${condition}`, parameters: [...filter.parameters, ...parameters] };
}

/** The rows of one group: `= @g`, or, for rows without a value, `NOT IS_DEFINED`. */
function groupCondition(filter: CompiledFilter, column: Column, value: CellValue | null): CompiledFilter {
  const ref = columnRef(PREFIX, column);
  return value === null ? withCondition(filter, `NOT IS_DEFINED(${ref})`, []) : withCondition(filter, `${ref} = @g`, [{ name: '@g', value }]);
}

/**
 * `POST …/records/stats`: count, mean, min, max, sum and stddev per numeric column, per group,
 * each group one aggregate query inside Cosmos DB (the embedded emulator has no GROUP BY).
 */
export async function recordStats(datasetId: string, body: StatsBody, principal: Principal | undefined): Promise<StatsResult> {
  await readable(datasetId, principal);
  const { doc: schema } = await schemaOf(datasetId);
  const columns = columnDefs(schema.columns);
  const iris = body.species !== undefined || body.lower !== undefined || body.upper !== undefined;
  let compiled: CompiledFilter;
  let groupBy: Column | undefined;
  if (iris) {
    const { filter, pointer } = irisFilter(body, schema);
    compiled = compileFilter(filter, columns, { prefix: PREFIX, pointer });
    if (!schema.label) throw errors.invalidField('/body/species', 'this dataset has no label column to group by; use `filter` and `groupBy`');
    groupBy = columnNamed(schema, schema.label, '/body/species');
  } else {
    compiled = compileFilter(body.filter, columns, { prefix: PREFIX });
    groupBy = body.groupBy === undefined ? undefined : columnNamed(schema, body.groupBy, '/body/groupBy');
  }
  const metrics: Metric[] = body.metrics ? [...new Set(body.metrics)] : [...METRICS];
  const described = (body.columns ?? schema.columns.filter((c) => c.type === 'number' || c.type === 'integer').map((c) => c.name)).map((name, index) => {
    const column = columnNamed(schema, name, body.columns ? `/body/columns/${index}` : '/body/columns');
    if (column.type !== 'number' && column.type !== 'integer') {
      throw errors.invalidField(`/body/columns/${index}`, `'${name}' holds ${column.type} values; statistics are for number and integer columns`);
    }
    return column;
  });
  const profile = (await readProfileDoc(datasetId))?.doc;
  const statsColumns: StatsColumn[] = described.map((column) => ({ name: column.name, shift: profile?.shift[column.name] ?? 0 }));
  const aggregate = aggregateSelect(PREFIX, statsColumns, metrics);

  let groups: (CellValue | null)[] = [null];
  if (groupBy) {
    groups = await groupValues(datasetId, groupBy, iris ? '/body/species' : '/body/groupBy');
    if (!groupBy.required) groups = [...groups, null];
    if (groups.length > MAX_GROUPS) throw errors.invalidField('/body/groupBy', `'${groupBy.name}' has more than ${MAX_GROUPS} groups`);
  }
  const by = groupBy;
  const results = await mapLimit(groups, QUERY_CONCURRENCY, async (value): Promise<StatsGroup> => {
    const where = by ? groupCondition(compiled, by, value) : compiled;
    const row = await aggregateRecords(datasetId, aggregate.select, { where: where.where, parameters: [...where.parameters, ...aggregate.parameters] });
    const stats: StatsGroup['columns'] = {};
    statsColumns.forEach((column, i) => {
      stats[column.name] = columnStats(row, i, column.shift, metrics);
    });
    return { value, count: typeof row.n === 'number' ? row.n : 0, columns: stats };
  });
  return { groupBy: groupBy?.name ?? null, groups: results.filter((group) => group.count > 0 || !groupBy) };
}

// ---- the URL form (Datasette-style) --------------------------------------------------------------

export type BrowseFormat = 'json' | 'csv' | 'ndjson';
const MEDIA: Record<BrowseFormat, string> = { json: 'application/json', csv: 'text/csv', ndjson: 'application/x-ndjson' };

/** The representation from `_format`, else from `Accept` (q-values honoured); 406 when none fits. */
export function negotiate(accept: string | null, format: string | undefined): BrowseFormat {
  if (format !== undefined) {
    if (format === 'json' || format === 'csv' || format === 'ndjson') return format;
    throw errors.invalidField('/query/_format', 'is json, csv or ndjson');
  }
  if (!accept) return 'json';
  const ranges = accept
    .split(',')
    .map((part, index) => {
      const [type = '', ...params] = part.split(';').map((piece) => piece.trim().toLowerCase());
      const q = Number(params.find((param) => param.startsWith('q='))?.slice(2) ?? '1');
      return { type, q: Number.isFinite(q) ? q : 0, index };
    })
    .filter((range) => range.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index);
  for (const range of ranges) {
    if (range.type === 'application/json' || range.type === 'application/*' || range.type === '*/*') return 'json';
    if (range.type === 'text/csv' || range.type === 'text/*') return 'csv';
    if (range.type === 'application/x-ndjson' || range.type === 'application/jsonl') return 'ndjson';
  }
  throw errors.notAcceptable(Object.values(MEDIA));
}

export interface BrowseResult {
  format: BrowseFormat;
  contentType: string;
  /** JSON page, or the CSV/NDJSON text. */
  body: unknown;
  /** URL (path and query) of the next page, for `Link`. */
  next: string | null;
}

const CONTROLS = new Set(['_sort', '_sort_desc', '_size', '_next', '_col', '_facet', '_count', '_format', '_stream']);

function single(controls: Map<string, string[]>, name: string): string | undefined {
  const values = controls.get(name);
  if (values && values.length > 1) throw errors.invalidField(`/query/${name}`, 'give it once');
  return values?.[0];
}

function flag(controls: Map<string, string[]>, name: string): boolean {
  const value = single(controls, name);
  if (value === undefined) return false;
  if (['true', '1', 'on', 'yes'].includes(value.toLowerCase())) return true;
  if (['false', '0', 'off', 'no'].includes(value.toLowerCase())) return false;
  throw errors.invalidField(`/query/${name}`, 'is true or false');
}

function rowsAs(format: BrowseFormat, select: readonly string[], items: readonly RecordRow[], header: boolean): string {
  if (format === 'csv') {
    const lines = items.map((item) => csvLine(select.map((name) => item[name])));
    return (header ? csvLine(select) : '') + lines.join('');
  }
  return items
    .map((item) => {
      const { _id, ...values } = item;
      return `${JSON.stringify(values)}\n`;
    })
    .join('');
}

/**
 * `GET …/records?…`: the query as URL parameters (see `BrowseQuery`), answered as JSON (with
 * `next`, `Link` and facets), CSV or NDJSON. CSV and NDJSON carry only the columns, so they can be
 * sent back to the ingest endpoint as they are.
 */
export async function browseRecords(
  datasetId: string,
  query: BrowseQuery,
  accept: string | null,
  requestUrl: string,
  principal: Principal | undefined,
): Promise<BrowseResult> {
  await readable(datasetId, principal);
  const { doc: schema } = await schemaOf(datasetId);
  const columns = columnDefs(schema.columns);
  const present = Object.fromEntries(Object.entries(query).filter((entry): entry is [string, string | string[]] => entry[1] !== undefined));
  const url = filterFromUrl(present, columns);
  const unknown = [...url.controls.keys()].filter((name) => !CONTROLS.has(name));
  if (unknown.length > 0) {
    throw errors.validation(
      unknown.map((name) => ({ pointer: `/query/${name}`, message: `unknown parameter; controls are ${[...CONTROLS].join(', ')}` })),
      `Unknown parameters: ${unknown.join(', ')}.`,
    );
  }
  const controls = url.controls;
  const format = negotiate(accept, single(controls, '_format'));
  const sortAsc = single(controls, '_sort');
  const sortDesc = single(controls, '_sort_desc');
  if (sortAsc !== undefined && sortDesc !== undefined) throw errors.invalidField('/query/_sort_desc', 'give _sort or _sort_desc, not both');
  let orderBy: OrderBy | undefined;
  const sort = sortAsc ?? sortDesc;
  if (sort !== undefined) {
    orderBy = sort.startsWith('-') ? { column: sort.slice(1), direction: 'desc' } : { column: sort, direction: sortDesc !== undefined ? 'desc' : 'asc' };
  }
  const sizeText = single(controls, '_size');
  const size = sizeText === undefined ? 100 : Number(sizeText);
  if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE_ROWS) throw errors.invalidField('/query/_size', `is a whole number from 1 to ${MAX_PAGE_ROWS}`);
  const selected = controls.get('_col')?.flatMap((value) => value.split(',')).filter(Boolean);
  const stream = flag(controls, '_stream');
  // Read before any query starts: a bad flag thrown while a page is being fetched would leave that
  // fetch's rejection unobserved.
  const wantsCount = flag(controls, '_count');
  if (stream && format === 'json') throw errors.invalidField('/query/_stream', 'streams CSV or NDJSON (set _format or Accept); JSON comes a page at a time');
  const cursor = single(controls, '_next');
  const pointer = (field: string) => `/query/${field === 'select' ? '_col' : field === 'orderBy' ? (sortDesc !== undefined ? '_sort_desc' : '_sort') : field}`;

  const compiled = compileFilter(url.filter, columns, { prefix: PREFIX, pointer: url.pointer });
  const planned = plan(datasetId, schema, compiled, url.filter, selected, orderBy, pointer);
  const facetNames = controls.get('_facet') ?? [];
  const facetColumns = facetNames.map((name, index) => columnNamed(schema, name, facetNames.length > 1 ? `/query/_facet/${index}` : '/query/_facet'));
  const facetValues = await Promise.all(facetColumns.map((column) => groupValues(datasetId, column, '/query/_facet')));
  facetValues.forEach((values, index) => {
    if (values.length > MAX_FACET_VALUES) throw errors.invalidField('/query/_facet', `'${facetColumns[index]?.name ?? ''}' has more than ${MAX_FACET_VALUES} values to count`);
  });

  if (stream) {
    // Every matching row, page after page (Datasette's `_stream=on`).
    const parts: string[] = [];
    let continuation: string | undefined;
    let first = true;
    do {
      const page = await queryRecordPage(datasetId, planned.page, { limit: MAX_PAGE_ROWS, continuation });
      parts.push(rowsAs(format, planned.select, page.items.map((doc) => toRow(doc, planned.select)), first));
      first = false;
      continuation = page.continuation;
    } while (continuation);
    return { format, contentType: `${MEDIA[format]}; charset=utf-8`, body: parts.join(''), next: null };
  }

  const [page, count, facets] = await Promise.all([
    collectPage(datasetId, planned, size, cursor, '/query/_next'),
    wantsCount ? countRecords(datasetId, compiled) : Promise.resolve(undefined),
    Promise.all(
      facetColumns.map(async (column, index) => {
        const counted = await mapLimit(facetValues[index] ?? [], QUERY_CONCURRENCY, async (value) => ({
          value,
          count: await countRecords(datasetId, groupCondition(compiled, column, value)),
        }));
        return [column.name, counted.filter((facet) => facet.count > 0).sort((a, b) => b.count - a.count)] as const;
      }),
    ),
  ]);
  let next: string | null = null;
  if (page.continuation) {
    const link = new URL(requestUrl);
    link.searchParams.set('_next', encodeCursor(page.continuation, planned.scope));
    next = `${link.pathname}${link.search}`;
  }
  if (format !== 'json') return { format, contentType: `${MEDIA[format]}; charset=utf-8`, body: rowsAs(format, planned.select, page.items, true), next };
  return {
    format,
    contentType: 'application/json; charset=utf-8',
    body: {
      items: page.items,
      nextCursor: page.continuation ? encodeCursor(page.continuation, planned.scope) : null,
      next,
      ...(count === undefined ? {} : { count }),
      ...(facetColumns.length > 0 ? { facets: Object.fromEntries(facets) } : {}),
    },
    next,
  };
}
