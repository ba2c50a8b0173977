import {
  BrowsePage,
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
} from '../shared/datasets/dataset.schema';
import { formatOf } from '../shared/datasets/ingest';
import { browseRecords } from '../shared/datasets/records.browse';
import { queryRecords, recordStats } from '../shared/datasets/records.query';
import { browseFormat, MEDIA, renderRows } from '../shared/datasets/records.render';
import { deleteRecords, getSchema, ingestRecords, putSchema } from '../shared/datasets/records.service';
import { created, ok } from '../shared/http/reply';
import { route } from '../shared/http/route';

// Hosted datasets: the records of a catalogue dataset. Reading follows the catalogue entry's
// visibility (anonymous callers may query a published dataset); writing is for its owner or an admin.
const tags = ['records'];

route({
  name: 'putRecordSchema',
  method: 'PUT',
  path: 'v1/datasets/{id}/schema',
  summary: 'Declare the columns of a hosted dataset (refused with 409 while it holds records)',
  tags,
  access: ['contributor'],
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
    const result = await putSchema(params.id, body, principal, request.headers.get('if-match') ?? undefined);
    const location = `/api/v1/datasets/${params.id}/schema`;
    return result.created ? created(result.schema, location, result.etag) : ok(result.schema, { ETag: result.etag });
  },
});

route({
  name: 'getRecordSchema',
  method: 'GET',
  path: 'v1/datasets/{id}/schema',
  summary: 'The columns of a hosted dataset and how many records it holds',
  tags,
  access: 'optional',
  params: DatasetParams,
  responses: { 200: { description: 'The schema.', schema: DatasetSchema } },
  handle: async ({ params, principal }) => {
    const { schema, etag } = await getSchema(params.id, principal);
    return ok(schema, { ETag: etag, 'Cache-Control': 'no-cache' });
  },
});

route({
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
    const result = await ingestRecords(params.id, rawBody, formatOf(request.headers.get('content-type')), query.onError, principal);
    return result.inserted > 0 ? created(result, `/api/v1/datasets/${params.id}/records`) : ok(result);
  },
});

route({
  name: 'deleteRecords',
  method: 'DELETE',
  path: 'v1/datasets/{id}/records',
  summary: 'Delete every record of a hosted dataset (the schema stays)',
  tags,
  access: ['contributor'],
  params: DatasetParams,
  responses: { 200: { description: 'How many records were deleted.', schema: DeleteResult }, 409: { description: 'The dataset is being changed by another request.' } },
  handle: async ({ params, principal }) => ok(await deleteRecords(params.id, principal)),
});

route({
  name: 'queryRecords',
  method: 'POST',
  path: 'v1/datasets/{id}/records/query',
  summary: 'Rows matching a filter, a page at a time (the iris_api body is accepted too)',
  tags,
  access: 'optional',
  params: DatasetParams,
  body: QueryBody,
  responses: { 200: { description: 'A page of rows.', schema: RecordsPage } },
  handle: async ({ params, body, principal }) => ok(await queryRecords(params.id, body, principal)),
});

route({
  name: 'recordStats',
  method: 'POST',
  path: 'v1/datasets/{id}/records/stats',
  summary: 'count, mean, min, max, sum and stddev per numeric column, per group, computed inside Cosmos DB',
  tags,
  access: 'optional',
  params: DatasetParams,
  body: StatsBody,
  responses: { 200: { description: 'The statistics of each group with rows.', schema: StatsResult } },
  handle: async ({ params, body, principal }) => ok(await recordStats(params.id, body, principal)),
});

route({
  name: 'browseRecords',
  method: 'GET',
  path: 'v1/datasets/{id}/records',
  summary: 'The query as URL parameters (Datasette-style), as JSON, CSV or NDJSON',
  tags,
  access: 'optional',
  params: DatasetParams,
  query: BrowseQuery,
  responses: {
    200: { description: 'A page of rows (JSON), or rows as CSV or NDJSON (`Accept` or `_format`).', schema: BrowsePage, alsoAs: ['text/csv', 'application/x-ndjson'] },
  },
  handle: async ({ params, query, principal, request }) => {
    const page = await browseRecords(params.id, query, principal, () => browseFormat(request.headers.get('accept'), query._format));
    const next = page.nextCursor === null ? null : nextPageUrl(request.url, page.nextCursor);
    const headers: Record<string, string> = { 'Content-Type': `${MEDIA[page.format]}; charset=utf-8`, Vary: 'Accept' };
    if (next) headers.Link = `<${next}>; rel="next"`;
    if (page.format !== 'json') return { status: 200, body: renderRows(page.format, page.select, page.items), headers };
    const { items, nextCursor, count, facets } = page;
    const body = { items, nextCursor, next, ...(count === undefined ? {} : { count }), ...(facets === undefined ? {} : { facets }) };
    return { status: 200, body, headers };
  },
});

/** The request's URL (path and query) with `_next` set: the next page, for `next` and `Link`. */
function nextPageUrl(requestUrl: string, cursor: string): string {
  const link = new URL(requestUrl);
  link.searchParams.set('_next', cursor);
  return `${link.pathname}${link.search}`;
}
