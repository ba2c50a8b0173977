import { z } from 'zod';
import { ColumnType, Filter } from '../query/filter.schema';

/**
 * Hosted datasets: a catalogue dataset that holds records. Its column schema, and the payloads of
 * the records API (ingest, query, stats, the URL form) — the single source of validation, types and
 * OpenAPI for `functions/datasets.ts`.
 */

/** A column name: also safe inside SQL (`c.values["name"]`); never starts with `_`, which URL controls use. */
export const ColumnName = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/, 'a column name is a letter, then letters, digits or "_" (at most 64)');

export const Column = z
  .strictObject({
    name: ColumnName,
    type: ColumnType,
    required: z.boolean().default(true).describe('Every row has a value (default). Optional columns may be left empty.'),
    values: z
      .array(z.union([z.string().min(1).max(256), z.number().int()]))
      .min(1)
      .max(1000)
      .optional()
      .describe('The allowed values of a categorical column (string or integer): rows and filters with other values are refused.'),
    description: z.string().max(1000).optional(),
    unit: z.string().max(64).optional().describe('Unit of measurement, e.g. `cm`.'),
  })
  .superRefine((column, ctx) => {
    if (!column.values) return;
    if (column.type !== 'string' && column.type !== 'integer') {
      ctx.addIssue({ code: 'custom', path: ['values'], message: 'allowed values are for string and integer columns' });
      return;
    }
    const wanted = column.type === 'string' ? 'string' : 'number';
    const bad = column.values.findIndex((value) => typeof value !== wanted);
    if (bad >= 0) ctx.addIssue({ code: 'custom', path: ['values', bad], message: `must be a ${column.type}` });
    if (new Set(column.values).size !== column.values.length) ctx.addIssue({ code: 'custom', path: ['values'], message: 'values must be unique' });
  })
  .meta({ id: 'DatasetColumn' });
export type Column = z.infer<typeof Column>;

export const DatasetSchemaBody = z
  .strictObject({
    columns: z.array(Column).min(1).max(100),
    label: ColumnName.optional().describe('The column holding the label (the target a model predicts), e.g. `species`.'),
  })
  .superRefine((schema, ctx) => {
    const seen = new Set<string>();
    schema.columns.forEach((column, index) => {
      if (seen.has(column.name)) ctx.addIssue({ code: 'custom', path: ['columns', index, 'name'], message: `column '${column.name}' is declared twice` });
      seen.add(column.name);
    });
    if (schema.label !== undefined && !seen.has(schema.label)) {
      ctx.addIssue({ code: 'custom', path: ['label'], message: `'${schema.label}' is not one of the columns` });
    }
  })
  .meta({ id: 'DatasetSchemaInput', description: 'The column schema of a hosted dataset.' });
export type DatasetSchemaBody = z.infer<typeof DatasetSchemaBody>;
/** As written (defaults not applied yet). */
export type DatasetSchemaInput = z.input<typeof DatasetSchemaBody>;

export const DatasetSchema = z
  .object({
    datasetId: z.string(),
    columns: z.array(Column),
    label: z.string().optional(),
    recordCount: z.number().int().describe('Records stored now.'),
    updatedAt: z.iso.datetime(),
    updatedBy: z.string(),
  })
  .meta({ id: 'DatasetSchema' });
export type DatasetSchema = z.infer<typeof DatasetSchema>;

export const DatasetParams = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'is not a catalogue id'),
});

// ---- ingest -------------------------------------------------------------------------------------

export const INGEST_TYPES = ['text/csv', 'application/json', 'application/x-ndjson'];
/** Bodies up to 50 MB: ingest reads them incrementally, so memory holds rows, not the parsed body. */
export const INGEST_LIMIT_BYTES = 50 * 1024 * 1024;

export const IngestQuery = z.strictObject({
  onError: z
    .enum(['fail', 'skip'])
    .default('fail')
    .describe('fail: one bad row refuses the whole request and nothing is stored. skip: the good rows are stored, the bad ones reported.'),
});

export const RowError = z
  .object({
    row: z.number().int().describe('1-based row of the body (the header of a CSV is not a row).'),
    line: z.number().int().describe('1-based line of the body the row starts on.'),
    column: z.string().optional(),
    message: z.string(),
  })
  .meta({ id: 'RowError' });
export type RowError = z.infer<typeof RowError>;

export const IngestResult = z
  .object({
    inserted: z.number().int(),
    rejected: z.number().int(),
    errors: z.array(RowError).describe('The first 100 problems of the rejected rows (with onError=skip).'),
  })
  .meta({ id: 'IngestResult' });
export type IngestResult = z.infer<typeof IngestResult>;

export const DeleteResult = z.object({ deleted: z.number().int() }).meta({ id: 'RecordsDeleted' });

// ---- query --------------------------------------------------------------------------------------

export const OrderBy = z
  .strictObject({ column: ColumnName, direction: z.enum(['asc', 'desc']).default('asc') })
  .meta({ id: 'RecordsOrderBy' });
export type OrderBy = z.infer<typeof OrderBy>;

/** Rows are small, so a page may hold up to 1,000 of them (Datasette's limit), not the 100 of resource lists. */
export const MAX_PAGE_ROWS = 1000;
const IrisBounds = z.record(ColumnName, z.number()).refine((bounds) => Object.keys(bounds).length <= 100, 'at most 100 columns');

/** The iris_api request body: `species`, `lower`/`upper` bounds per column, `page`/`per_page`. */
const irisFields = {
  species: z
    .union([z.string().min(1).max(256), z.array(z.string().min(1).max(256)).min(1).max(100)])
    .optional()
    .describe('iris_api profile: one or more values of the label column.'),
  lower: IrisBounds.optional().describe('iris_api profile: inclusive lower bound per column.'),
  upper: IrisBounds.optional().describe('iris_api profile: inclusive upper bound per column.'),
};
const IRIS_KEYS = ['species', 'lower', 'upper', 'page', 'per_page'] as const;

function oneProfile(native: readonly string[]) {
  return (body: Record<string, unknown>, ctx: z.RefinementCtx) => {
    const iris = IRIS_KEYS.filter((key) => body[key] !== undefined);
    const own = native.filter((key) => body[key] !== undefined);
    if (iris.length > 0 && own.length > 0) {
      ctx.addIssue({
        code: 'custom',
        path: [iris[0] ?? ''],
        message: `the iris_api fields (${IRIS_KEYS.join(', ')}) cannot be mixed with ${own.join(', ')}; use \`filter\` alone`,
      });
    }
  };
}

export const QueryBody = z
  .strictObject({
    filter: Filter.optional(),
    select: z.array(ColumnName).min(1).max(100).optional().describe('Columns to return (default: all).'),
    orderBy: OrderBy.optional().describe('Sort by one column that every row has (default: storage order).'),
    limit: z.number().int().min(1).max(MAX_PAGE_ROWS).default(100).describe(`Rows per page (1–${MAX_PAGE_ROWS}).`),
    cursor: z.string().min(1).max(8192).optional().describe('The `nextCursor` of the previous page, with the same filter, select and orderBy.'),
    count: z.boolean().default(false).describe('Also count every row matching the filter.'),
    ...irisFields,
    page: z.number().int().min(1).max(10_000).optional().describe('iris_api profile: page number, from 1.'),
    per_page: z.number().int().min(1).max(MAX_PAGE_ROWS).optional().describe('iris_api profile: rows per page.'),
  })
  .superRefine(oneProfile(['filter', 'select', 'orderBy', 'cursor']))
  .meta({
    id: 'RecordsQuery',
    description:
      'A query: `filter`, `select`, `orderBy`, `limit`, `cursor`, `count`. The iris_api body (`species`, `lower`, `upper`, `page`, ' +
      '`per_page`) is accepted too, as a compatibility profile: `species` filters the label column.',
  });
export type QueryBody = z.infer<typeof QueryBody>;

export const RecordRow = z
  .record(z.string(), z.union([z.string(), z.number(), z.boolean()]))
  .meta({ id: 'RecordRow', description: 'One row: `_id` (the record id) and the selected columns; missing values are left out.' });
export type RecordRow = Record<string, string | number | boolean>;

export const RecordsPage = z
  .object({
    items: z.array(RecordRow),
    nextCursor: z.string().nullable().describe('Pass as `cursor` for the next page; null on the last page.'),
    count: z.number().int().optional().describe('Rows matching the filter (with `count: true`).'),
    page: z.number().int().optional().describe('iris_api profile: this page.'),
    nextPage: z.number().int().nullable().optional().describe('iris_api profile: the next page, or null on the last.'),
  })
  .meta({ id: 'RecordsPage' });
export type RecordsPage = z.infer<typeof RecordsPage>;

// ---- stats --------------------------------------------------------------------------------------

export const Metric = z.enum(['count', 'mean', 'min', 'max', 'sum', 'stddev']).meta({
  id: 'StatsMetric',
  description: 'count: values present. stddev: the sample standard deviation (n − 1), null below two values.',
});
export type Metric = z.infer<typeof Metric>;
export const METRICS = Metric.options;

export const StatsBody = z
  .strictObject({
    filter: Filter.optional(),
    groupBy: ColumnName.optional().describe('A categorical column: string or integer with allowed values or few distinct values, or boolean.'),
    metrics: z.array(Metric).min(1).max(6).optional().describe('Default: all.'),
    columns: z.array(ColumnName).min(1).max(100).optional().describe('Numeric columns to describe (default: every number and integer column).'),
    ...irisFields,
    page: z.unknown().optional(),
    per_page: z.unknown().optional(),
  })
  .superRefine(oneProfile(['filter', 'groupBy']))
  .superRefine((body, ctx) => {
    for (const key of ['page', 'per_page'] as const) {
      if (body[key] !== undefined) {
        ctx.addIssue({ code: 'custom', path: [key], message: 'statistics are not paginated: every group is in one reply' });
      }
    }
  })
  .meta({
    id: 'RecordsStatsQuery',
    description:
      'Statistics per numeric column, optionally per group, computed inside Cosmos DB. The iris_api body (`species`, `lower`, `upper`) ' +
      'is accepted too, and is grouped by the label column.',
  });
export type StatsBody = z.infer<typeof StatsBody>;

export const ColumnStats = z
  .object({
    count: z.number().int().optional(),
    mean: z.number().nullable().optional(),
    min: z.number().nullable().optional(),
    max: z.number().nullable().optional(),
    sum: z.number().optional(),
    stddev: z.number().nullable().optional(),
  })
  .meta({ id: 'ColumnStats' });
export type ColumnStats = z.infer<typeof ColumnStats>;

export const StatsGroup = z
  .object({
    value: z.union([z.string(), z.number(), z.boolean()]).nullable().describe('The group’s value of `groupBy`; null for rows without one, or without groupBy.'),
    count: z.number().int().describe('Rows in the group.'),
    columns: z.record(z.string(), ColumnStats),
  })
  .meta({ id: 'StatsGroup' });
export type StatsGroup = z.infer<typeof StatsGroup>;

export const StatsResult = z
  .object({ groupBy: z.string().nullable(), groups: z.array(StatsGroup).describe('Groups with at least one row.') })
  .meta({ id: 'RecordsStats' });
export type StatsResult = z.infer<typeof StatsResult>;

// ---- the URL form -------------------------------------------------------------------------------

const urlText = z.string().max(8192);
const repeatable = z.union([urlText, z.array(urlText).max(50)]);

export const BrowseShape = z.enum(['objects', 'arrays', 'array', 'object']);
export type BrowseShape = z.infer<typeof BrowseShape>;

/** The URL form: filter parameters `<column>__<op>=<value>` (any name not starting with `_`) and the `_` controls. */
export const BrowseQuery = z
  .object({
    _sort: urlText.optional().describe('Sort by this column (one every row has), ascending; `-column` for descending.'),
    _sort_desc: urlText.optional().describe('Sort by this column, descending.'),
    _size: urlText.optional().describe('Rows per page, 1–1000 or `max` (1000); default 100.'),
    _next: urlText.optional().describe('The cursor of the next page (the `nextCursor` of this one).'),
    _col: repeatable.optional().describe('Columns to return, repeated or comma-separated (default: all).'),
    _nocol: repeatable.optional().describe('Columns to leave out, repeated or comma-separated.'),
    _facet: repeatable.optional().describe('A column whose values to count among the matching rows (the 100 most frequent); repeatable.'),
    _facet_date: repeatable.optional().describe('A datetime column whose UTC days to count among the matching rows; repeatable.'),
    _facet_array: repeatable.optional().describe('Refused: hosted columns hold single values, not arrays.'),
    _count: urlText.optional().describe('`true`: also count every matching row.'),
    _format: z.enum(['json', 'csv', 'ndjson']).optional().describe('The representation, overriding `Accept` (for spreadsheets, which cannot set it).'),
    _shape: BrowseShape.optional().describe(
      'The JSON: `objects` (default: `items` and the page’s links), `arrays` (`columns` once, each row an array), `array` (the bare array of rows), ' +
        '`object` (rows keyed by their `_id`).',
    ),
    _nl: urlText.optional().describe('`on` with `_shape=array`: one row object per line (NDJSON, with `_id`).'),
    _stream: urlText.optional().describe('`on`: every matching row as CSV or NDJSON, not one page.'),
  })
  .catchall(repeatable)
  .describe(
    'Any other parameter filters: `<column>__<op>=<value>` with op exact (the default when there is none), not, gt, gte, lt, lte, ' +
      'in and notin (comma-separated or a JSON array), contains, notcontains, startswith, endswith (these three without case, as ' +
      'SQLite LIKE), like, notlike (SQLite LIKE: % and _, without case), glob (SQLite GLOB: *, ?, [...], with case; several runs between ' +
      'wildcards are pre-filtered in SQL and finished in memory, so a page may be shorter than _size), ' +
      'isnull, notnull, isblank, notblank (1/true), date (YYYY-MM-DD: the UTC day of a datetime column).',
  );
export type BrowseQuery = z.infer<typeof BrowseQuery>;

export const FacetValue = z
  .object({
    value: z.union([z.string(), z.number(), z.boolean()]),
    count: z.number().int(),
    selected: z.boolean().describe('The URL filters by this value.'),
    toggleUrl: z.string().describe('This URL with the filter by this value added, or removed when selected (Datasette’s `toggle_url`).'),
  })
  .meta({ id: 'FacetValue' });

const pageLinks = {
  nextCursor: z.string().nullable().describe('The `_next` of the next page; null on the last page.'),
  next: z.string().nullable().describe('The URL of the next page, or null.'),
  count: z.number().int().optional().describe('Rows matching the filter (with `_count=true`).'),
  facets: z
    .record(z.string(), z.array(FacetValue))
    .optional()
    .describe('Per `_facet` column (and `<column>__date` per `_facet_date`): the values, most frequent first, and how many matching rows have each.'),
};

export const BrowsePage = z.object({ items: z.array(RecordRow), ...pageLinks }).meta({ id: 'RecordsBrowsePage' });

export const BrowseArraysPage = z
  .object({
    columns: z.array(z.string()).describe('`_id`, then the selected columns: the order of each row’s values.'),
    rows: z.array(z.array(z.union([z.string(), z.number(), z.boolean()]).nullable())).describe('Each row’s values; null where a row has none.'),
    ...pageLinks,
  })
  .meta({ id: 'RecordsBrowseArrays' });

/** Every JSON shape of the URL form (`_shape`). */
export const BrowseJson = z.union([
  BrowsePage,
  BrowseArraysPage,
  z.array(RecordRow).describe('`_shape=array`: the rows.'),
  z.record(z.string(), RecordRow).describe('`_shape=object`: the rows by `_id`.'),
]);
