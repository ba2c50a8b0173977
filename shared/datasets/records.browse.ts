import type { Principal } from '../auth/auth.schema';
import { errors } from '../errors';
import { encodeCursor } from '../query/cursor';
import { compileFilter } from '../query/filter.compiler';
import { filterFromUrl } from '../query/filter.url';
import { evaluateFilter } from '../query/filter.evaluate';
import { type PlannedQuery, plan, PREFIX, toRow } from '../query/record.planner';
import { type BrowseQuery, MAX_PAGE_ROWS, type OrderBy, type RecordRow } from './dataset.schema';
import { columnDefs, readable, schemaOf } from './records.access';
import { type Facet, type FacetCounts, facetCounts, facetCountsOf, facetsAsked } from './records.facets';
import { collectPage } from './records.query';
import { countRecords } from './records.repository';
import type { RecordScope } from './records.layout';
import { everyRow, residualPage, type RowTest } from './records.residual';

// GET …/records?…: the query as URL parameters (Datasette-style). How the rows are represented
// (JSON shapes, CSV, NDJSON) and the URLs of pages and facets are the HTTP layer's.

export interface BrowseResult {
  /** The columns of each row, in order. */
  select: string[];
  items: RecordRow[];
  /** The cursor of the next page; null on the last page and when streaming. */
  nextCursor: string | null;
  count?: number;
  /** Per facet, keyed by the URL parameter that selects one of its values (`species`, `taken__date`). */
  facets?: Record<string, FacetCounts>;
}

/** The controls the service reads; the representation's (`_format`, `_shape`, `_nl`) are the HTTP layer's, passed through. */
const CONTROLS = new Set(['_sort', '_sort_desc', '_size', '_next', '_col', '_nocol', '_facet', '_facet_date', '_facet_array', '_count', '_stream']);
const REPRESENTATION = new Set(['_format', '_shape', '_nl']);

function single(controls: Map<string, string[]>, name: string): string | undefined {
  const values = controls.get(name);
  if (values && values.length > 1) throw errors.invalidInput(`/${name}`, 'give it once');
  return values?.[0];
}

function flag(controls: Map<string, string[]>, name: string): boolean {
  const value = single(controls, name);
  if (value === undefined) return false;
  if (['true', '1', 'on', 'yes'].includes(value.toLowerCase())) return true;
  if (['false', '0', 'off', 'no'].includes(value.toLowerCase())) return false;
  throw errors.invalidInput(`/${name}`, 'is true or false');
}

/** `_col` less `_nocol` (Datasette's pair): undefined (every column) when neither is given. */
function withoutColumns(all: string[], chosen: string[] | undefined, dropped: string[] | undefined): string[] | undefined {
  if (!dropped) return chosen;
  const unknown = dropped.filter((name) => !all.includes(name));
  if (unknown.length > 0) throw errors.invalidInput('/_nocol', `unknown column '${unknown[0] ?? ''}'; columns: ${all.join(', ')}`);
  const kept = (chosen ?? all).filter((name) => !dropped.includes(name));
  if (kept.length === 0) throw errors.invalidInput('/_nocol', 'leaves no column to return');
  return kept;
}

/**
 * A page of the rows that match the URL's filter (see `BrowseQuery`), with facets and a count on
 * request; with `_stream`, every matching row. `representable` is called once the dataset and the
 * parameters are known good (so a 404 or 400 comes before a 406), and throws when the caller's
 * representation cannot carry what was asked (a stream of JSON).
 */
export async function browseRecords(
  principal: Principal | undefined,
  datasetId: string,
  query: BrowseQuery,
  representable: (asked: { stream: boolean }) => void,
): Promise<BrowseResult> {
  await readable(principal, datasetId);
  const { doc: schema } = await schemaOf(datasetId);
  const columns = columnDefs(schema.columns);
  const present = Object.fromEntries(Object.entries(query).filter((entry): entry is [string, string | string[]] => entry[1] !== undefined));
  const url = filterFromUrl(present, columns);
  const unknown = [...url.controls.keys()].filter((name) => !CONTROLS.has(name) && !REPRESENTATION.has(name));
  if (unknown.length > 0) {
    throw errors.invalidInputs(
      unknown.map((name) => ({ pointer: `/${name}`, message: `unknown parameter; controls are ${[...CONTROLS, ...REPRESENTATION].join(', ')}` })),
      `Unknown parameters: ${unknown.join(', ')}.`,
    );
  }
  const controls = url.controls;
  const sortAsc = single(controls, '_sort');
  const sortDesc = single(controls, '_sort_desc');
  if (sortAsc !== undefined && sortDesc !== undefined) throw errors.invalidInput('/_sort_desc', 'give _sort or _sort_desc, not both');
  let orderBy: OrderBy | undefined;
  const sort = sortAsc ?? sortDesc;
  if (sort !== undefined) {
    orderBy = sort.startsWith('-') ? { column: sort.slice(1), direction: 'desc' } : { column: sort, direction: sortDesc !== undefined ? 'desc' : 'asc' };
  }
  const sizeText = single(controls, '_size');
  // `_size=max` is Datasette's largest page.
  const size = sizeText === undefined ? 100 : sizeText === 'max' ? MAX_PAGE_ROWS : Number(sizeText);
  if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE_ROWS) throw errors.invalidInput('/_size', `is a whole number from 1 to ${MAX_PAGE_ROWS}, or max`);
  const selected = withoutColumns(
    schema.columns.map((column) => column.name),
    controls.get('_col')?.flatMap((value) => value.split(',')).filter(Boolean),
    controls.get('_nocol')?.flatMap((value) => value.split(',')).filter(Boolean),
  );
  const stream = flag(controls, '_stream');
  // Read before any query starts: a bad flag thrown while a page is being fetched would leave that
  // fetch's rejection unobserved.
  const wantsCount = flag(controls, '_count');
  const cursor = single(controls, '_next');
  const pointer = (field: string) => `/${field === 'select' ? '_col' : field === 'orderBy' ? (sortDesc !== undefined ? '_sort_desc' : '_sort') : field}`;

  const compiled = compileFilter(url.filter, columns, { prefix: PREFIX, pointer: url.pointer, residual: true });
  const planned = plan(datasetId, schema, compiled, url.filter, selected, orderBy, pointer);
  const facets = facetsAsked(schema, controls);
  representable({ stream });
  // A residual filter is finished here, on every value of a row (whatever `_col` returns).
  const test: RowTest | undefined = compiled.residual ? (values) => evaluateFilter(url.filter, columns, values) : undefined;
  const reading = test ? { ...planned, page: { ...planned.page, projection: PREFIX } } : planned;

  if (stream) {
    // Every matching row, page after page (Datasette's `_stream=on`).
    const items = (await everyRow(schema, reading.page, test)).map((doc) => toRow(doc, planned.select));
    return { select: planned.select, items, nextCursor: null };
  }

  const [page, count, counted] = test
    ? await residualAnswer(schema, reading, size, cursor, test, wantsCount, facets)
    : await Promise.all([
        collectPage(schema, planned, size, cursor, '/_next'),
        wantsCount ? countRecords(schema, compiled) : Promise.resolve(undefined),
        Promise.all(facets.map(async (facet) => [facet.param, await facetCounts(schema, facet, compiled)] as const)),
      ]);
  return {
    select: planned.select,
    items: page.items,
    nextCursor: page.continuation ? encodeCursor(page.continuation, planned.scope) : null,
    ...(count === undefined ? {} : { count }),
    ...(facets.length > 0 ? { facets: Object.fromEntries(counted) } : {}),
  };
}

/** The page, count and facets of a residual filter: counts and facets from one pass over every matching row. */
async function residualAnswer(scope: RecordScope, query: PlannedQuery, size: number, cursor: string | undefined, test: RowTest, wantsCount: boolean, facets: Facet[]) {
  const [page, rows] = await Promise.all([
    residualPage(scope, query, size, cursor, '/_next', test),
    wantsCount || facets.length > 0 ? everyRow(scope, { ...query.page, orderBy: '' }, test) : Promise.resolve([]),
  ]);
  const values = rows.map((row) => row.v);
  return [page, wantsCount ? rows.length : undefined, facets.map((facet) => [facet.param, facetCountsOf(values, facet)] as const)] as const;
}
