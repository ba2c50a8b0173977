import type { Principal } from '../auth/auth.schema';
import { errors } from '../errors';
import { encodeCursor } from '../query/cursor';
import { compileFilter } from '../query/filter.compiler';
import { filterFromUrl } from '../query/filter.url';
import { columnNamed, groupCondition, plan, PREFIX, toRow } from '../query/record.planner';
import { type BrowseQuery, MAX_PAGE_ROWS, type OrderBy, type RecordRow } from './dataset.schema';
import { columnDefs, mapLimit, readable, schemaOf } from './records.access';
import { groupValues } from './records.profile';
import { collectPage, MAX_FACET_VALUES, QUERY_CONCURRENCY } from './records.query';
import type { BrowseFormat } from './records.render';
import { type CellValue, countRecords, queryRecordPage } from './records.repository';

// GET …/records?…: the query as URL parameters (Datasette-style).

export interface BrowseResult {
  format: BrowseFormat;
  /** The columns of each row, in order. */
  select: string[];
  items: RecordRow[];
  /** The cursor of the next page; null on the last page and when streaming. */
  nextCursor: string | null;
  count?: number;
  facets?: Record<string, { value: CellValue; count: number }[]>;
}

const CONTROLS = new Set(['_sort', '_sort_desc', '_size', '_next', '_col', '_nocol', '_facet', '_count', '_format', '_stream']);

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

/** `_col` less `_nocol` (Datasette's pair): undefined (every column) when neither is given. */
function withoutColumns(all: string[], chosen: string[] | undefined, dropped: string[] | undefined): string[] | undefined {
  if (!dropped) return chosen;
  const unknown = dropped.filter((name) => !all.includes(name));
  if (unknown.length > 0) throw errors.invalidField('/query/_nocol', `unknown column '${unknown[0] ?? ''}'; columns: ${all.join(', ')}`);
  const kept = (chosen ?? all).filter((name) => !dropped.includes(name));
  if (kept.length === 0) throw errors.invalidField('/query/_nocol', 'leaves no column to return');
  return kept;
}

/**
 * A page of the rows that match the URL's filter (see `BrowseQuery`), with facets and a count on
 * request; with `_stream`, every matching row. `format` is asked for once the dataset and the
 * parameters are known good, so a 404 or 400 comes before a 406.
 */
export async function browseRecords(datasetId: string, query: BrowseQuery, principal: Principal | undefined, format: () => BrowseFormat): Promise<BrowseResult> {
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
  const chosen = format();
  const sortAsc = single(controls, '_sort');
  const sortDesc = single(controls, '_sort_desc');
  if (sortAsc !== undefined && sortDesc !== undefined) throw errors.invalidField('/query/_sort_desc', 'give _sort or _sort_desc, not both');
  let orderBy: OrderBy | undefined;
  const sort = sortAsc ?? sortDesc;
  if (sort !== undefined) {
    orderBy = sort.startsWith('-') ? { column: sort.slice(1), direction: 'desc' } : { column: sort, direction: sortDesc !== undefined ? 'desc' : 'asc' };
  }
  const sizeText = single(controls, '_size');
  // `_size=max` is Datasette's largest page.
  const size = sizeText === undefined ? 100 : sizeText === 'max' ? MAX_PAGE_ROWS : Number(sizeText);
  if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE_ROWS) throw errors.invalidField('/query/_size', `is a whole number from 1 to ${MAX_PAGE_ROWS}, or max`);
  const selected = withoutColumns(
    schema.columns.map((column) => column.name),
    controls.get('_col')?.flatMap((value) => value.split(',')).filter(Boolean),
    controls.get('_nocol')?.flatMap((value) => value.split(',')).filter(Boolean),
  );
  const stream = flag(controls, '_stream');
  // Read before any query starts: a bad flag thrown while a page is being fetched would leave that
  // fetch's rejection unobserved.
  const wantsCount = flag(controls, '_count');
  if (stream && chosen === 'json') throw errors.invalidField('/query/_stream', 'streams CSV or NDJSON (set _format or Accept); JSON comes a page at a time');
  const cursor = single(controls, '_next');
  const pointer = (field: string) => `/query/${field === 'select' ? '_col' : field === 'orderBy' ? (sortDesc !== undefined ? '_sort_desc' : '_sort') : field}`;

  const compiled = compileFilter(url.filter, columns, { prefix: PREFIX, pointer: url.pointer });
  const planned = plan(datasetId, schema, compiled, url.filter, selected, orderBy, pointer);
  const facetNames = controls.get('_facet') ?? [];
  const facetColumns = facetNames.map((name, index) => columnNamed(schema, name, facetNames.length > 1 ? `/query/_facet/${index}` : '/query/_facet'));
  const facetValues = await Promise.all(facetColumns.map((column) => groupValues(schema, column, '/query/_facet')));
  facetValues.forEach((values, index) => {
    if (values.length > MAX_FACET_VALUES) throw errors.invalidField('/query/_facet', `'${facetColumns[index]?.name ?? ''}' has more than ${MAX_FACET_VALUES} values to count`);
  });

  if (stream) {
    // Every matching row, page after page (Datasette's `_stream=on`).
    const items: RecordRow[] = [];
    let continuation: string | undefined;
    do {
      const page = await queryRecordPage(schema, planned.page, { limit: MAX_PAGE_ROWS, continuation });
      items.push(...page.items.map((doc) => toRow(doc, planned.select)));
      continuation = page.continuation;
    } while (continuation);
    return { format: chosen, select: planned.select, items, nextCursor: null };
  }

  const [page, count, facets] = await Promise.all([
    collectPage(schema, planned, size, cursor, '/query/_next'),
    wantsCount ? countRecords(schema, compiled) : Promise.resolve(undefined),
    Promise.all(
      facetColumns.map(async (column, index) => {
        const counted = await mapLimit(facetValues[index] ?? [], QUERY_CONCURRENCY, async (value) => ({
          value,
          count: await countRecords(schema, groupCondition(compiled, column, value)),
        }));
        return [column.name, counted.filter((facet) => facet.count > 0).sort((a, b) => b.count - a.count)] as const;
      }),
    ),
  ]);
  return {
    format: chosen,
    select: planned.select,
    items: page.items,
    nextCursor: page.continuation ? encodeCursor(page.continuation, planned.scope) : null,
    ...(count === undefined ? {} : { count }),
    ...(facetColumns.length > 0 ? { facets: Object.fromEntries(facets) } : {}),
  };
}
