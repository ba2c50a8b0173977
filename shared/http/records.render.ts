import { ownValue } from '../json/own';
import { csvLine } from '../datasets/csv';
import type { BrowseShape, RecordRow } from '../datasets/dataset.schema';
import type { BrowseResult } from '../datasets/records.browse';
import { errors } from '../errors';
import { negotiate } from './negotiate';
import type { Reply } from './reply';

// The representations of the records URL form (Datasette's): JSON in four shapes, newline-delimited
// JSON, CSV; and the URLs in them (the next page, each facet value's toggle).

export type BrowseFormat = 'json' | 'csv' | 'ndjson';

const MEDIA: Record<BrowseFormat, string> = { json: 'application/json', csv: 'text/csv', ndjson: 'application/x-ndjson' };

const OFFERS = [
  { mediaType: MEDIA.json, value: 'json' },
  { mediaType: MEDIA.csv, value: 'csv' },
  { mediaType: MEDIA.ndjson, value: 'ndjson' },
  { mediaType: 'application/jsonl', value: 'ndjson' },
] as const;

export interface Representation {
  format: BrowseFormat;
  shape: BrowseShape;
  /** `_nl=on`: the `array` shape as one JSON object per line. */
  lines: boolean;
}

export interface RepresentationAsked {
  accept: string | null;
  format: BrowseFormat | undefined;
  shape: BrowseShape | undefined;
  nl: string | undefined;
  /** The format a `.json` / `.csv` URL names. */
  extension?: 'json' | 'csv';
  stream: boolean;
}

function on(value: string | undefined): boolean {
  if (value === undefined) return false;
  if (['true', '1', 'on', 'yes'].includes(value.toLowerCase())) return true;
  if (['false', '0', 'off', 'no'].includes(value.toLowerCase())) return false;
  throw errors.invalidField('/query/_nl', 'is on or off');
}

/**
 * The representation from the URL's extension, else `_format`, else `_shape` (which is JSON's),
 * else `Accept` (406 when none fits); 400 for combinations that cannot be given.
 *
 * @example representation({ accept: null, format: undefined, shape: 'array', nl: 'on', stream: false }) // { format: 'json', shape: 'array', lines: true }
 */
export function representation(asked: RepresentationAsked): Representation {
  if (asked.extension && asked.format && asked.format !== asked.extension) {
    throw errors.invalidField('/query/_format', `contradicts the .${asked.extension} of the URL`);
  }
  const lines = on(asked.nl);
  const format = asked.extension ?? asked.format ?? (asked.shape ? 'json' : negotiate<BrowseFormat>(asked.accept, OFFERS, Object.values(MEDIA)));
  if (asked.shape && format !== 'json') throw errors.invalidField('/query/_shape', `shapes JSON; this answer is ${format.toUpperCase()}`);
  if (lines && asked.shape !== 'array') throw errors.invalidField('/query/_nl', 'is for _shape=array (one row object per line)');
  if (asked.stream && format === 'json') throw errors.invalidField('/query/_stream', 'streams CSV or NDJSON (set _format or Accept); JSON comes a page at a time');
  return { format, shape: asked.shape ?? 'objects', lines };
}

/**
 * Rows as CSV (a header line first) or NDJSON, with only the columns (no `_id`), so they can be
 * sent back to the ingest endpoint as they are.
 *
 * @example renderRows('csv', ['species'], [{ _id: 'r1', species: 'setosa' }]) // 'species\r\nsetosa\r\n'
 */
export function renderRows(format: Exclude<BrowseFormat, 'json'>, select: readonly string[], items: readonly RecordRow[]): string {
  if (format === 'csv') return csvLine(select) + items.map((item) => csvLine(select.map((name) => ownValue(item, name)))).join('');
  return items
    .map((item) => {
      const { _id, ...values } = item;
      return `${JSON.stringify(values)}\n`;
    })
    .join('');
}

/** The request's path and query with `change` applied and `_next` dropped unless `change` sets it. */
function relative(requestUrl: URL, change: (params: URLSearchParams) => void): string {
  const link = new URL(requestUrl);
  link.searchParams.delete('_next');
  change(link.searchParams);
  return `${link.pathname}${link.search}`;
}

/**
 * Datasette's facet values: `selected` when the URL filters by that value, and `toggleUrl`, this
 * URL with that filter added (or removed when selected), from the first page.
 */
function facetsWithToggles(facets: NonNullable<BrowseResult['facets']>, requestUrl: URL) {
  return Object.fromEntries(
    Object.entries(facets).map(([param, counts]) => [
      param,
      counts.map(({ value, count }) => {
        const text = String(value);
        const selected = requestUrl.searchParams.getAll(param).includes(text);
        const toggleUrl = relative(requestUrl, (params) => (selected ? params.delete(param, text) : params.append(param, text)));
        return { value, count, selected, toggleUrl };
      }),
    ]),
  );
}

function shaped(page: BrowseResult, shape: BrowseShape, next: string | null, requestUrl: URL): unknown {
  if (shape === 'array') return page.items;
  if (shape === 'object') return Object.fromEntries(page.items.map((row) => [row._id, row]));
  const extras = {
    nextCursor: page.nextCursor,
    next,
    ...(page.count === undefined ? {} : { count: page.count }),
    ...(page.facets === undefined ? {} : { facets: facetsWithToggles(page.facets, requestUrl) }),
  };
  if (shape === 'objects') return { items: page.items, ...extras };
  const columns = ['_id', ...page.select];
  return { columns, rows: page.items.map((row) => columns.map((name) => ownValue(row, name) ?? null)), ...extras };
}

/** The page as the representation asks, with `Link: <next>; rel="next"` when there is a next page. */
export function renderBrowse(page: BrowseResult, chosen: Representation, requestUrl: string): Reply {
  const url = new URL(requestUrl);
  const next = page.nextCursor === null ? null : relative(url, (params) => params.set('_next', page.nextCursor ?? ''));
  const media = chosen.lines ? MEDIA.ndjson : MEDIA[chosen.format];
  const headers: Record<string, string> = { 'Content-Type': `${media}; charset=utf-8`, Vary: 'Accept' };
  if (next) headers.Link = `<${next}>; rel="next"`;
  if (chosen.format !== 'json') return { status: 200, body: renderRows(chosen.format, page.select, page.items), headers };
  if (chosen.lines) return { status: 200, body: page.items.map((row) => `${JSON.stringify(row)}\n`).join(''), headers };
  return { status: 200, body: shaped(page, chosen.shape, next, url), headers };
}
