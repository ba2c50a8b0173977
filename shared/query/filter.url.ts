import { errors, type FieldError } from '../errors';
import type { ColumnDef, Filter, Scalar } from './filter.schema';

/**
 * The filter language as URL parameters, Datasette-style, for people and spreadsheets:
 * `?sepal_length__gte=5&species__in=setosa,versicolor&petal_width=0.2`. A parameter is
 * `<column>__<operator>=<value>` (no operator: `exact`); parameters starting with `_` are the
 * caller's controls (`_sort`, `_size`, …), which is why column names never start with one.
 */
export const URL_OPERATORS = ['exact', 'not', 'gt', 'gte', 'lt', 'lte', 'in', 'notin', 'contains', 'startswith', 'isnull'] as const;
export type UrlOperator = (typeof URL_OPERATORS)[number];

const OPERATOR_SUFFIX = new RegExp(`^(.+)__(${URL_OPERATORS.join('|')})$`);

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

function predicate(column: ColumnDef, operator: UrlOperator, text: string): Filter | string {
  const name = column.name;
  if (operator === 'isnull') {
    const lower = text.trim().toLowerCase();
    if (!TRUE_TEXT.has(lower) && !FALSE_TEXT.has(lower)) return 'isnull takes true or false';
    return { column: name, exists: !TRUE_TEXT.has(lower) };
  }
  if (operator === 'contains' || operator === 'startswith') {
    return operator === 'contains' ? { column: name, contains: text } : { column: name, startsWith: text };
  }
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
    const match = OPERATOR_SUFFIX.exec(key);
    const name = match?.[1] ?? key;
    const operator = (match?.[2] ?? 'exact') as UrlOperator;
    const column = byName.get(name);
    if (!column) {
      problems.push({ pointer: `/query/${key}`, message: `unknown column '${name}'; columns: ${[...byName.keys()].join(', ')}` });
      continue;
    }
    for (const text of values) {
      const result = predicate(column, operator, text);
      if (typeof result === 'string') problems.push({ pointer: `/query/${key}`, message: result });
      else {
        parts.push(result);
        sources.push(key);
      }
    }
  }
  if (problems.length > 0) {
    throw errors.validation(problems, problems.map((problem) => `${problem.pointer}: ${problem.message}`).join('; '));
  }
  return {
    filter: parts.length > 0 ? { and: parts } : undefined,
    pointer: (path) => (path[0] === 'and' && typeof path[1] === 'number' ? `/query/${sources[path[1]] ?? ''}` : '/query'),
    controls,
  };
}
