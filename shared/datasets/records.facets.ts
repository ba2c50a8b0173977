import { errors } from '../errors';
import type { CompiledFilter } from '../query/filter.compiler';
import { columnRef } from '../query/filter.compiler';
import { columnNamed, PREFIX } from '../query/record.planner';
import type { Column } from './dataset.schema';
import { aggregateRecordGroups, type CellValue } from './records.repository';
import type { RecordScope } from './records.layout';

// Datasette's facets on the URL form: `_facet` (a column's values) and `_facet_date` (a datetime
// column's UTC days), counted among the matching rows by one GROUP BY inside Cosmos DB each.

/** Values listed per facet: the most frequent, as Datasette's `_facet_size` cuts its lists. */
export const MAX_FACET_VALUES = 100;

export interface Facet {
  /** The URL parameter that selects one value: `species`, or `taken__date` for a date facet. */
  param: string;
  column: Column;
  byDay: boolean;
}

export type FacetCounts = { value: CellValue; count: number }[];

/** The facets a URL asks for, checked against the schema; errors name the parameter (and its index when repeated). */
export function facetsAsked(schema: { columns: readonly Column[] }, controls: Map<string, string[]>): Facet[] {
  if (controls.has('_facet_array')) throw errors.invalidInput('/_facet_array', 'hosted columns hold single values, not arrays: use _facet');
  const named = (control: '_facet' | '_facet_date') => {
    const names = controls.get(control) ?? [];
    return names.map((name, index) => ({ column: columnNamed(schema, name, names.length > 1 ? `/${control}/${index}` : `/${control}`), index, names }));
  };
  const byValue = named('_facet').map(({ column }) => ({ param: column.name, column, byDay: false }));
  const byDay = named('_facet_date').map(({ column, index, names }) => {
    if (column.type !== 'datetime') {
      throw errors.invalidInput(names.length > 1 ? `/_facet_date/${index}` : '/_facet_date', `'${column.name}' holds ${column.type} values; _facet_date is for datetime columns`);
    }
    return { param: `${column.name}__date`, column, byDay: true };
  });
  return [...byValue, ...byDay];
}

/**
 * How many matching rows have each value (or UTC day) of the facet's column, most first, ties by
 * value; rows without a value are not a facet value. Datetimes are stored as UTC ISO 8601 text, so
 * a day is the first ten characters.
 */
export async function facetCounts(scope: RecordScope, facet: Facet, filter: CompiledFilter): Promise<FacetCounts> {
  const ref = columnRef(PREFIX, facet.column);
  const rows = await aggregateRecordGroups(scope, facet.byDay ? `SUBSTRING(${ref}, 0, 10)` : ref, 'COUNT(1) AS n', filter);
  return ranked(rows.flatMap((row) => (row.g !== undefined && row.g !== null && typeof row.n === 'number' && row.n > 0 ? [{ value: row.g, count: row.n }] : [])));
}

/** `facetCounts` over rows already in hand (a residual filter's matching rows). */
export function facetCountsOf(rows: readonly Record<string, CellValue>[], facet: Facet): FacetCounts {
  const counts = new Map<CellValue, number>();
  for (const row of rows) {
    const value = row[facet.column.name];
    if (value === undefined || value === null) continue;
    const key = facet.byDay && typeof value === 'string' ? value.slice(0, 10) : value;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return ranked([...counts].map(([value, count]) => ({ value, count })));
}

function ranked(counts: FacetCounts): FacetCounts {
  return counts.sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0)).slice(0, MAX_FACET_VALUES);
}
