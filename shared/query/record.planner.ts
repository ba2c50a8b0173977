import { ownValue } from '../json/own';
import type { Column, OrderBy, RecordRow } from '../datasets/dataset.schema';
import type { CellValue, RecordPageQuery } from '../datasets/records.repository';
import { errors } from '../errors';
import { type CompiledFilter, columnRef } from './filter.compiler';
import type { Filter } from './filter.schema';

// How a records query becomes Cosmos DB SQL: the projection and the ORDER BY.

/** Where a record document keeps its values (`c.values.<column>`). */
export const PREFIX = 'c.values';

/** The columns of a dataset, as the planner needs them. */
interface Schema {
  columns: readonly Column[];
}

export function columnNamed(schema: Schema, name: string, pointer: string): Column {
  const column = schema.columns.find((candidate) => candidate.name === name);
  if (!column) throw errors.invalidInput(pointer, `unknown column '${name}'; columns: ${schema.columns.map((c) => c.name).join(', ')}`);
  return column;
}

export interface PlannedQuery {
  page: RecordPageQuery;
  select: string[];
  /** What a cursor is bound to. */
  scope: unknown;
}

/** The SQL parts of a page query (projection, ORDER BY) from the schema; `pointer` names a field of the caller's input in errors. */
export function plan(
  datasetId: string,
  schema: Schema,
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
      throw errors.invalidInput(pointer('orderBy'), `'${column.name}' is optional: rows without a value would drop out of a sort; sort by a required column`);
    }
    order = `ORDER BY ${columnRef(PREFIX, column)} ${orderBy.direction === 'desc' ? 'DESC' : 'ASC'}`;
  }
  return {
    page: { ...filter, projection, orderBy: order },
    select: columns.map((column) => column.name),
    scope: { d: datasetId, f: rawFilter ?? null, s: select ?? null, o: orderBy ?? null },
  };
}

export function toRow(doc: { id: string; v: Record<string, CellValue> }, select: readonly string[]): RecordRow {
  const row: RecordRow = { _id: doc.id };
  for (const name of select) {
    const value = ownValue(doc.v, name);
    if (value !== undefined && value !== null) row[name] = value;
  }
  return row;
}
