import { errors, type FieldError } from '../errors';
import type { ColumnDef, Filter, Scalar } from './filter.schema';

/**
 * The filter language as URL parameters, Datasette's table arguments (json_api.rst), for people and
 * spreadsheets: `?sepal_length__gte=5&species__in=setosa,versicolor&petal_width=0.2`. A parameter
 * is `<column>__<operator>=<value>` (no operator: `exact`); parameters starting with `_` are the
 * caller's controls (`_sort`, `_size`, …), which is why column names never start with one. Where
 * Datasette's operator is SQLite `LIKE` (contains, startswith, endswith) it compares without case.
 */
export const URL_OPERATORS = [
  'exact',
  'not',
  'gt',
  'gte',
  'lt',
  'lte',
  'in',
  'notin',
  'contains',
  'notcontains',
  'startswith',
  'endswith',
  'like',
  'notlike',
  'glob',
  'isnull',
  'notnull',
  'isblank',
  'notblank',
  'date',
  'arraycontains',
] as const;
export type UrlOperator = (typeof URL_OPERATORS)[number];
const OPERATOR_SET: ReadonlySet<string> = new Set(URL_OPERATORS);
const isOperator = (text: string): text is UrlOperator => OPERATOR_SET.has(text);

export interface UrlFilter {
  /** `{ and: [...] }` of every filter parameter, or undefined when there are none. */
  filter: Filter | undefined;
  /** Maps a path inside `filter` (as the compiler reports it) to the query parameter it came from. */
  pointer: (path: readonly (string | number)[]) => string;
  /** The `_`-prefixed parameters, each as the list of its values. */
  controls: Map<string, string[]>;
}

const TRUE_TEXT = new Set(['true', '1', 'yes']);
const FALSE_TEXT = new Set(['false', '0', 'no']);

/** A URL value as the column's type; undefined when it is not one. */
export function parseUrlValue(column: ColumnDef, text: string): Scalar | undefined {
  switch (column.type) {
    case 'number': {
      const value = text.trim() === '' ? Number.NaN : Number(text);
      return Number.isFinite(value) ? value : undefined;
    }
    case 'integer': {
      const value = /^\s*-?\d+\s*$/.test(text) ? Number(text) : Number.NaN;
      return Number.isSafeInteger(value) ? value : undefined;
    }
    case 'boolean': {
      const lower = text.trim().toLowerCase();
      return TRUE_TEXT.has(lower) ? true : FALSE_TEXT.has(lower) ? false : undefined;
    }
    case 'string':
    case 'datetime':
      return text;
  }
}

/** `a,b,c` or a JSON array `["a,b","c"]` (for values containing commas). */
function listOf(text: string): string[] | undefined {
  if (text.trimStart().startsWith('[')) {
    try {
      const parsed: unknown = JSON.parse(text);
      if (Array.isArray(parsed) && parsed.every((item) => ['string', 'number', 'boolean'].includes(typeof item))) {
        return parsed.map((item) => String(item));
      }
    } catch {
      // fall through: reported below
    }
    return undefined;
  }
  return text.split(',');
}

/** Datasette's negated LIKE: a missing value is neither like nor not like anything (SQL NULL). */
function present(name: string, filter: Filter): Filter {
  return { and: [{ column: name, exists: true }, { not: filter }] };
}

/** `__date=2024-05-01`: the UTC day of a datetime column, or text starting with that date. */
function onDate(column: ColumnDef, text: string): Filter | string {
  const day = /^\d{4}-\d{2}-\d{2}$/.test(text) ? Date.parse(`${text}T00:00:00Z`) : Number.NaN;
  if (Number.isNaN(day)) return 'date takes a date, YYYY-MM-DD';
  if (column.type === 'string') return { column: column.name, startsWith: text };
  if (column.type !== 'datetime') return `date is for datetime and text columns; '${column.name}' holds ${column.type} values`;
  return { column: column.name, gte: new Date(day).toISOString(), lt: new Date(day + 86_400_000).toISOString() };
}

/** The flag operators: `__isnull=1`, `__notblank=true`, …; Datasette's docs write 1. */
function flagged(operator: 'isnull' | 'notnull' | 'isblank' | 'notblank', name: string, text: string): Filter | string {
  const lower = text.trim().toLowerCase();
  if (!TRUE_TEXT.has(lower) && !FALSE_TEXT.has(lower)) return `${operator} takes 1 or true (0 or false inverts it)`;
  const on = TRUE_TEXT.has(lower);
  switch (operator) {
    case 'isnull':
      return { column: name, exists: !on };
    case 'notnull':
      return { column: name, exists: on };
    case 'isblank':
      return { column: name, blank: on };
    case 'notblank':
      return { column: name, blank: !on };
  }
}

function textPredicate(name: string, operator: UrlOperator, text: string): Filter | undefined {
  switch (operator) {
    case 'contains':
      return { column: name, contains: text, ignoreCase: true };
    case 'notcontains':
      return present(name, { column: name, contains: text, ignoreCase: true });
    case 'startswith':
      return { column: name, startsWith: text, ignoreCase: true };
    case 'endswith':
      return { column: name, endsWith: text, ignoreCase: true };
    case 'like':
      return { column: name, like: text };
    case 'notlike':
      return present(name, { column: name, like: text });
    case 'glob':
      return { column: name, glob: text };
    default:
      return undefined;
  }
}

function predicate(column: ColumnDef, operator: UrlOperator, text: string): Filter | string {
  const name = column.name;
  if (operator === 'isnull' || operator === 'notnull' || operator === 'isblank' || operator === 'notblank') return flagged(operator, name, text);
  if (operator === 'date') return onDate(column, text);
  if (operator === 'arraycontains') return `columns of hosted datasets hold single values, not arrays: '${name}' has no array to look in`;
  const textual = textPredicate(name, operator, text);
  if (textual) return textual;
  if (operator === 'in' || operator === 'notin') {
    const items = listOf(text);
    if (!items || items.length === 0) return 'expected a comma-separated list or a JSON array';
    const values = items.map((item) => parseUrlValue(column, item));
    const bad = values.findIndex((value) => value === undefined);
    if (bad >= 0) return `'${items[bad] ?? ''}' is not a ${column.type} value`;
    return operator === 'in' ? { column: name, in: values as Scalar[] } : { column: name, notIn: values as Scalar[] };
  }
  const value = parseUrlValue(column, text);
  if (value === undefined) return `'${text}' is not a ${column.type} value`;
  switch (operator) {
    case 'exact':
      return { column: name, eq: value };
    case 'not':
      return { column: name, ne: value };
    default:
      if (typeof value === 'boolean') return `column '${name}' holds true/false: use exact or not`;
      return { column: name, [operator]: value };
  }
}

/**
 * Reads the filter parameters of a query string against a column schema: unknown columns,
 * operators and values that are not of the column's type are refused with one 400 naming each
 * parameter. Compile the result with `compileFilter(result.filter, columns, { …, pointer: result.pointer })`.
 *
 * @example filterFromUrl({ sepal_length__gte: '5', _size: '50' }, columns)
 * // filter: { and: [{ column: 'sepal_length', gte: 5 }] }, controls: Map { '_size' => ['50'] }
 */
export function filterFromUrl(query: Record<string, string | string[]>, columns: readonly ColumnDef[]): UrlFilter {
  const byName = new Map(columns.map((column) => [column.name, column]));
  const parts: Filter[] = [];
  const sources: string[] = [];
  const controls = new Map<string, string[]>();
  const problems: FieldError[] = [];
  for (const [key, raw] of Object.entries(query)) {
    const values = Array.isArray(raw) ? raw : [raw];
    if (key.startsWith('_')) {
      controls.set(key, values);
      continue;
    }
    const split = key.lastIndexOf('__');
    const named = byName.has(key) || split <= 0 ? key : key.slice(0, split);
    const operator = named === key ? 'exact' : key.slice(split + 2);
    const column = byName.get(named);
    if (!column) {
      problems.push({ pointer: `/${key}`, message: `unknown column '${named}'; columns: ${[...byName.keys()].join(', ')}` });
      continue;
    }
    if (!isOperator(operator)) {
      problems.push({ pointer: `/${key}`, message: `unknown operator '__${operator}' on column '${named}'; operators: ${URL_OPERATORS.join(', ')}` });
      continue;
    }
    for (const text of values) {
      const result = predicate(column, operator, text);
      if (typeof result === 'string') problems.push({ pointer: `/${key}`, message: result });
      else {
        parts.push(result);
        sources.push(key);
      }
    }
  }
  if (problems.length > 0) {
    throw errors.invalidInputs(problems);
  }
  return {
    filter: parts.length > 0 ? { and: parts } : undefined,
    pointer: (path) => (path[0] === 'and' && typeof path[1] === 'number' ? `/${sources[path[1]] ?? ''}` : ''),
    controls,
  };
}
