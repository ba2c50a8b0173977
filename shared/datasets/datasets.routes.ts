import { type Representation, renderBrowse, representation } from '../http/records.render';
import { ifMatch, quoteEtag } from '../http/etag';
import { created, ok, type Reply } from '../http/reply';
import { defineRoute, type ResponseSpec } from '../http/route';
import {
  BrowseJson,
  BrowseQuery,
  DatasetParams,
  DatasetSchema,
  DatasetSchemaBody,
  DeleteResult,
  INGEST_LIMIT_BYTES,
  INGEST_TYPES,
  IngestQuery,
  IngestResult,
  QueryBody,
  RecordsPage,
  StatsBody,
  StatsResult,
} from './dataset.schema';
import { formatOf } from './ingest';
import { browseRecords } from './records.browse';
import { queryRecords, recordStats } from './records.query';
import { deleteRecords, getSchema, ingestRecords, putSchema } from './records.service';

/**
 * Hosted datasets: the records of a catalogue dataset. Reading follows the catalogue entry's
 * visibility (anonymous callers may query a published dataset); writing is for its owner or an admin.
 * Registered by `functions/datasets.ts` from name, method, path and access alone and loaded here on
 * their first request: a cold start builds none of these schemas.
 */

const tags = ['records'];

export const putRecordSchemaRoute = defineRoute({
  name: 'putRecordSchema',
  method: 'PUT',
  path: 'v1/datasets/{id}/schema',
  summary: 'Declare the columns of a hosted dataset (refused with 409 while it holds records)',
  tags,
  access: ['contributor'],
  headers: { 'If-Match': 'optional' },
  params: DatasetParams,
  body: DatasetSchemaBody,
  responses: {
    200: { description: 'The schema was replaced (or was already this).', schema: DatasetSchema },
    201: { description: 'The schema was declared.', schema: DatasetSchema },
    409: { description: 'The dataset holds records validated against its current columns, or the schema changed meanwhile.' },
    412: { description: '`If-Match` does not match the schema’s ETag.' },
    507: { description: 'The storage of the dataset’s document is full (Cosmos DB’s logical partition limit); nothing was stored.' },
  },
  handle: async ({ params, body, principal, request }) => {
    const result = await putSchema(principal, params.id, body, ifMatch(request.headers));
    const location = `/api/v1/datasets/${params.id}/schema`;
    const etag = quoteEtag(result.version);
    return result.created ? created(result.schema, location, etag) : ok(result.schema, { ETag: etag });
  },
});

export const getRecordSchemaRoute = defineRoute({
  name: 'getRecordSchema',
  method: 'GET',
  path: 'v1/datasets/{id}/schema',
  summary: 'The columns of a hosted dataset and how many records it holds',
  tags,
  access: 'optional',
  params: DatasetParams,
  responses: { 200: { description: 'The schema.', schema: DatasetSchema } },
  handle: async ({ params, principal }) => {
    const { schema, version } = await getSchema(principal, params.id);
    return ok(schema, { ETag: quoteEtag(version), 'Cache-Control': 'no-cache' });
  },
});

export const ingestRecordsRoute = defineRoute({
  name: 'ingestRecords',
  method: 'POST',
  path: 'v1/datasets/{id}/records',
  summary: 'Add rows (CSV with a header, a JSON array or NDJSON), validated against the schema; all or nothing unless onError=skip',
  tags,
  access: ['contributor'],
  params: DatasetParams,
  query: IngestQuery,
  rawBody: true,
  consumes: INGEST_TYPES,
  bodyLimitBytes: INGEST_LIMIT_BYTES,
  responses: {
    200: { description: 'Nothing was stored: every row was rejected (onError=skip).', schema: IngestResult },
    201: { description: 'The rows were stored.', schema: IngestResult },
    409: { description: 'The schema or the dataset changed while the rows were being stored; nothing was stored.' },
    507: { description: 'A bucket of the dataset reached Cosmos DB’s logical partition limit; nothing was stored.' },
  },
  handle: async ({ params, query, rawBody, principal, request }) => {
    const result = await ingestRecords(principal, params.id, rawBody, formatOf(request.headers.get('content-type')), query.onError);
    return result.inserted > 0 ? created(result, `/api/v1/datasets/${params.id}/records`) : ok(result);
  },
});

export const deleteRecordsRoute = defineRoute({
  name: 'deleteRecords',
  method: 'DELETE',
  path: 'v1/datasets/{id}/records',
  summary: 'Delete every record of a hosted dataset (the schema stays)',
  tags,
  access: ['contributor'],
  params: DatasetParams,
  responses: { 200: { description: 'How many records were deleted.', schema: DeleteResult }, 409: { description: 'The dataset is being changed by another request.' } },
  handle: async ({ params, principal }) => ok(await deleteRecords(principal, params.id)),
});

export const queryRecordsRoute = defineRoute({
  name: 'queryRecords',
  method: 'POST',
  path: 'v1/datasets/{id}/records/query',
  summary: 'Rows matching a filter, a page at a time (the iris_api body is accepted too)',
  tags,
  access: 'optional',
  params: DatasetParams,
  body: QueryBody,
  responses: { 200: { description: 'A page of rows.', schema: RecordsPage } },
  handle: async ({ params, body, principal }) => ok(await queryRecords(principal, params.id, body)),
});

export const recordStatsRoute = defineRoute({
  name: 'recordStats',
  method: 'POST',
  path: 'v1/datasets/{id}/records/stats',
  summary: 'count, mean, min, max, sum and stddev per numeric column, per group, computed inside Cosmos DB',
  tags,
  access: 'optional',
  params: DatasetParams,
  body: StatsBody,
  responses: { 200: { description: 'The statistics of each group with rows.', schema: StatsResult } },
  handle: async ({ params, body, principal }) => ok(await recordStats(principal, params.id, body)),
});

/** The URL form at `records`, and at `records.json` / `records.csv` (Datasette's extensions), which fix the format. */
function browseRoute(name: string, extension: 'json' | 'csv' | undefined, summary: string, ok200: ResponseSpec) {
  return defineRoute({
    name,
    method: 'GET',
    path: `v1/datasets/{id}/records${extension ? `.${extension}` : ''}`,
    summary,
    tags,
    access: 'optional',
    params: DatasetParams,
    query: BrowseQuery,
    responses: { 200: ok200 },
    handle: async ({ params, query, principal, request }): Promise<Reply> => {
      let chosen: Representation | undefined;
      const page = await browseRecords(principal, params.id, query, ({ stream }) => {
        chosen = representation({ accept: request.headers.get('accept'), format: query._format, shape: query._shape, nl: query._nl, extension, stream });
      });
      if (!chosen) throw new Error('browseRecords returned without asking for the representation');
      return renderBrowse(page, chosen, request.url);
    },
  });
}

const NDJSON = 'application/x-ndjson';
export const browseRecordsRoute = browseRoute('browseRecords', undefined, 'The query as URL parameters (Datasette-style), as JSON (in four shapes), CSV or NDJSON', {
  description: 'A page of rows as JSON (`_shape`), or rows as CSV or NDJSON (`Accept`, `_format`, or `_shape=array&_nl=on`).',
  schema: BrowseJson,
  alsoAs: ['text/csv', NDJSON],
});
export const browseRecordsJsonRoute = browseRoute('browseRecordsJson', 'json', 'The URL form as JSON whatever `Accept` says (Datasette’s `.json`)', {
  description: 'A page of rows as JSON (`_shape`), or one row object per line with `_shape=array&_nl=on`.',
  schema: BrowseJson,
  alsoAs: [NDJSON],
});
export const browseRecordsCsvRoute = browseRoute('browseRecordsCsv', 'csv', 'The URL form as CSV whatever `Accept` says (Datasette’s `.csv`)', {
  description: 'The rows as CSV, a header line first.',
  contentType: 'text/csv',
});
