import { negotiate } from '../http/negotiate';
import { csvLine } from './csv';
import type { RecordRow } from './dataset.schema';

// The representations of a page of records in the URL form: JSON, or the bare rows as CSV or NDJSON.

export type BrowseFormat = 'json' | 'csv' | 'ndjson';

export const MEDIA: Record<BrowseFormat, string> = { json: 'application/json', csv: 'text/csv', ndjson: 'application/x-ndjson' };

const OFFERS = [
  { mediaType: MEDIA.json, value: 'json' },
  { mediaType: MEDIA.csv, value: 'csv' },
  { mediaType: MEDIA.ndjson, value: 'ndjson' },
  { mediaType: 'application/jsonl', value: 'ndjson' },
] as const;

/** The representation from `_format`, else from `Accept`; 406 when none fits. */
export function browseFormat(accept: string | null, format: BrowseFormat | undefined): BrowseFormat {
  return format ?? negotiate<BrowseFormat>(accept, OFFERS, Object.values(MEDIA));
}

/**
 * Rows as CSV (a header line first) or NDJSON, with only the columns (no `_id`), so they can be
 * sent back to the ingest endpoint as they are.
 *
 * @example renderRows('csv', ['species'], [{ _id: 'r1', species: 'setosa' }]) // 'species\r\nsetosa\r\n'
 */
export function renderRows(format: Exclude<BrowseFormat, 'json'>, select: readonly string[], items: readonly RecordRow[]): string {
  if (format === 'csv') return csvLine(select) + items.map((item) => csvLine(select.map((name) => item[name]))).join('');
  return items
    .map((item) => {
      const { _id, ...values } = item;
      return `${JSON.stringify(values)}\n`;
    })
    .join('');
}
