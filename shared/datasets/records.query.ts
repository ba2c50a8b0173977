import type { Principal } from '../auth/auth.schema';
import { errors, isAppError } from '../errors';
import { decodeCursor, encodeCursor } from '../query/cursor';
import { type CompiledFilter, columnRef, compileFilter } from '../query/filter.compiler';
import type { Filter } from '../query/filter.schema';
import { columnNamed, type PlannedQuery, plan, PREFIX, toRow } from '../query/record.planner';
import {
  type Column,
  MAX_PAGE_ROWS,
  type Metric,
  METRICS,
  type QueryBody,
  type RecordRow,
  type RecordsPage,
  type StatsBody,
  type StatsGroup,
  type StatsResult,
} from './dataset.schema';
import { columnDefs, readableSchema } from './records.access';
import type { RecordScope } from './records.layout';
import { groupValues } from './records.profile';
import { aggregateRecordGroups, aggregateRecords, type CellValue, countRecords, queryRecordPage, type SchemaDoc } from './records.repository';
import { aggregateSelect, columnStats, type StatsColumn } from './records.stats';

// POST …/records/query and …/records/stats: the filter language in a body (and the iris_api shape).

export const MAX_GROUPS = 1000;
/** The iris_api profile pages with TOP: its cost grows with the page, so it stops here (cursors do not). */
const MAX_IRIS_OFFSET = 10_000;

/** The iris_api fields as a filter on the label column and per-column bounds, with where each part came from. */
function irisFilter(body: Pick<QueryBody, 'species' | 'lower' | 'upper'>, schema: SchemaDoc): { filter: Filter | undefined; pointer: (path: readonly (string | number)[]) => string } {
  const parts: Filter[] = [];
  const sources: { species?: true; column?: string; lower: boolean; upper: boolean }[] = [];
  if (body.species !== undefined) {
    if (!schema.label) throw errors.invalidInput('/species', 'this dataset has no label column; use `filter`');
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
      if (!source) return '';
      if (source.species) return typeof path[3] === 'number' ? `/species/${path[3]}` : '/species';
      const side = path[2] === 'lte' || !source.lower ? 'upper' : 'lower';
      return `/${side}/${source.column ?? ''}`;
    },
  };
}

/** The continuation inside a cursor, with a 400 that names the parameter the cursor came in. */
export function continuationOf(cursor: string | undefined, scope: unknown, pointer: string): string | undefined {
  try {
    return decodeCursor(cursor, scope);
  } catch (error) {
    if (isAppError(error) && error.status === 400) throw errors.invalidInput(pointer, error.errors?.[0]?.message ?? 'is not a cursor this API issued');
    throw error;
  }
}

export async function collectPage(
  scope: RecordScope,
  query: PlannedQuery,
  limit: number,
  cursor: string | undefined,
  cursorPointer: string,
): Promise<{ items: RecordRow[]; continuation: string | undefined }> {
  const page = await queryRecordPage(scope, query.page, { limit, continuation: continuationOf(cursor, query.scope, cursorPointer) });
  return { items: page.items.map((doc) => toRow(doc, query.select)), continuation: page.continuation };
}

/** `POST …/records/query`: a page of rows matching a filter, in the native or the iris_api shape. */
export async function queryRecords(principal: Principal | undefined, datasetId: string, body: QueryBody): Promise<RecordsPage> {
  const { doc: schema } = await readableSchema(principal, datasetId);
  const columns = columnDefs(schema.columns);
  const iris = body.species !== undefined || body.lower !== undefined || body.upper !== undefined || body.page !== undefined || body.per_page !== undefined;
  if (iris) {
    const { filter: raw, pointer } = irisFilter(body, schema);
    const compiled = compileFilter(raw, columns, { prefix: PREFIX, pointer });
    const query = plan(datasetId, schema, compiled, raw, undefined, undefined, (field) => `/${field}`);
    const page = body.page ?? 1;
    const perPage = body.per_page ?? MAX_PAGE_ROWS;
    if (page * perPage > MAX_IRIS_OFFSET) {
      throw errors.invalidInput('/page', `page × per_page may be at most ${MAX_IRIS_OFFSET}; page through larger results with \`limit\` and \`cursor\``);
    }
    // One row past the page tells whether there is a next one.
    const upTo = { ...query.page, top: page * perPage + 1 };
    const rows: RecordRow[] = [];
    let continuation: string | undefined;
    do {
      const next = await queryRecordPage(schema, upTo, { limit: MAX_PAGE_ROWS, continuation });
      rows.push(...next.items.map((doc) => toRow(doc, query.select)));
      continuation = next.continuation;
    } while (continuation && rows.length <= page * perPage);
    return {
      items: rows.slice((page - 1) * perPage, page * perPage),
      nextCursor: null,
      page,
      nextPage: rows.length > page * perPage ? page + 1 : null,
      ...(body.count ? { count: await countRecords(schema, compiled) } : {}),
    };
  }
  const compiled = compileFilter(body.filter, columns, { prefix: PREFIX });
  const query = plan(datasetId, schema, compiled, body.filter, body.select, body.orderBy, (field) => `/${field}`);
  const [page, count] = await Promise.all([
    collectPage(schema, query, body.limit, body.cursor, '/cursor'),
    body.count ? countRecords(schema, compiled) : Promise.resolve(undefined),
  ]);
  return {
    items: page.items,
    nextCursor: page.continuation ? encodeCursor(page.continuation, query.scope) : null,
    ...(count === undefined ? {} : { count }),
  };
}

/** The groups a GROUP BY answered, in the order the column's values are known (`null`, rows without it, last), empty groups left out. */
function orderedGroups(known: readonly (CellValue | null)[], rows: readonly Record<string, unknown>[]): { value: CellValue | null; row: Record<string, unknown> }[] {
  const byValue = new Map<CellValue | null, Record<string, unknown>>();
  for (const row of rows) byValue.set(row.g === undefined ? null : (row.g as CellValue), row);
  const order = [...known, ...[...byValue.keys()].filter((value) => !known.includes(value))];
  return order.flatMap((value) => {
    const row = byValue.get(value);
    return row && typeof row.n === 'number' && row.n > 0 ? [{ value, row }] : [];
  });
}

/**
 * `POST …/records/stats`: count, mean, min, max, sum and stddev per numeric column, per group: one
 * aggregate query inside Cosmos DB per bucket for all groups (GROUP BY), whatever their number,
 * after one read of the entry and the dataset document at once (its profile gives the groups).
 */
export async function recordStats(principal: Principal | undefined, datasetId: string, body: StatsBody): Promise<StatsResult> {
  const { doc: schema } = await readableSchema(principal, datasetId);
  const columns = columnDefs(schema.columns);
  const iris = body.species !== undefined || body.lower !== undefined || body.upper !== undefined;
  let compiled: CompiledFilter;
  let groupBy: Column | undefined;
  if (iris) {
    const { filter, pointer } = irisFilter(body, schema);
    compiled = compileFilter(filter, columns, { prefix: PREFIX, pointer });
    if (!schema.label) throw errors.invalidInput('/species', 'this dataset has no label column to group by; use `filter` and `groupBy`');
    groupBy = columnNamed(schema, schema.label, '/species');
  } else {
    compiled = compileFilter(body.filter, columns, { prefix: PREFIX });
    groupBy = body.groupBy === undefined ? undefined : columnNamed(schema, body.groupBy, '/groupBy');
  }
  const metrics: Metric[] = body.metrics ? [...new Set(body.metrics)] : [...METRICS];
  const described = (body.columns ?? schema.columns.filter((c) => c.type === 'number' || c.type === 'integer').map((c) => c.name)).map((name, index) => {
    const column = columnNamed(schema, name, body.columns ? `/columns/${index}` : '/columns');
    if (column.type !== 'number' && column.type !== 'integer') {
      throw errors.invalidInput(`/columns/${index}`, `'${name}' holds ${column.type} values; statistics are for number and integer columns`);
    }
    return column;
  });
  const statsColumns: StatsColumn[] = described.map((column) => ({ name: column.name, shift: schema.profile.shift[column.name] ?? 0 }));
  const aggregate = aggregateSelect(PREFIX, statsColumns, metrics);
  const filter = { where: compiled.where, parameters: [...compiled.parameters, ...aggregate.parameters] };
  const group = (value: CellValue | null, row: Record<string, unknown>): StatsGroup => {
    const stats: StatsGroup['columns'] = {};
    statsColumns.forEach((column, i) => {
      stats[column.name] = columnStats(row, i, column.shift, metrics);
    });
    return { value, count: typeof row.n === 'number' ? row.n : 0, columns: stats };
  };
  if (!groupBy) return { groupBy: null, groups: [group(null, await aggregateRecords(schema, aggregate.select, filter))] };

  // The known values give the groups their order and bound their number (checked before querying).
  let known: (CellValue | null)[] = groupValues(schema, groupBy, iris ? '/species' : '/groupBy');
  if (!groupBy.required) known = [...known, null];
  if (known.length > MAX_GROUPS) throw errors.invalidInput('/groupBy', `'${groupBy.name}' has more than ${MAX_GROUPS} groups`);
  const rows = await aggregateRecordGroups(schema, columnRef(PREFIX, groupBy), aggregate.select, filter);
  return { groupBy: groupBy.name, groups: orderedGroups(known, rows).map(({ value, row }) => group(value, row)) };
}
