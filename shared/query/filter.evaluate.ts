import { normaliseDatetime } from './filter.compiler';
import type { RE2JS } from 're2js';
import { parsePattern, patternRegex } from './filter.pattern';
import type { ColumnDef, Filter, Scalar } from './filter.schema';

/** Compiled patterns, so that finishing a residual filter over many rows compiles each pattern once. */
const compiledPatterns = new Map<string, RE2JS | undefined>();
const MAX_COMPILED_PATTERNS = 256;

function patternOf(kind: 'like' | 'glob', pattern: string): RE2JS | undefined {
  const key = `${kind}:${pattern}`;
  if (compiledPatterns.has(key)) return compiledPatterns.get(key);
  const tokens = parsePattern(kind, pattern);
  const compiled = typeof tokens === 'string' ? undefined : patternRegex(tokens);
  if (compiledPatterns.size >= MAX_COMPILED_PATTERNS) compiledPatterns.clear();
  compiledPatterns.set(key, compiled);
  return compiled;
}

/**
 * The filter language's semantics in memory: what the compiled SQL selects, row by row. It is the
 * reference the property tests hold Cosmos DB to, and a fallback for callers that filter a handful
 * of documents already in hand. Assumes the filter compiled against `columns` (so it is valid).
 *
 * @example evaluateFilter({ column: 'species', in: ['setosa'] }, columns, { species: 'setosa' }) // true
 */
export function evaluateFilter(filter: Filter | undefined, columns: readonly ColumnDef[], row: Record<string, unknown>): boolean {
  if (filter === undefined) return true;
  const byName = new Map(columns.map((column) => [column.name, column]));
  return evaluate(filter, byName, row);
}

function valueAt(row: Record<string, unknown>, column: ColumnDef): unknown {
  let value: unknown = row;
  for (const segment of column.path ?? [column.name]) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
    value = (value as Record<string, unknown>)[segment];
  }
  return value;
}

function normalised(column: ColumnDef, value: Scalar): Scalar {
  return column.type === 'datetime' && typeof value === 'string' ? (normaliseDatetime(value) ?? value) : value;
}

/** Cosmos DB compares values of one type only; anything else (or a missing value) never matches. */
function sameType(a: unknown, b: Scalar): a is Scalar {
  return a !== null && a !== undefined && typeof a === typeof b;
}

function evaluate(filter: Filter, columns: Map<string, ColumnDef>, row: Record<string, unknown>): boolean {
  if (filter.and) return filter.and.every((part) => evaluate(part, columns, row));
  if (filter.or) return filter.or.some((part) => evaluate(part, columns, row));
  if (filter.not) return !evaluate(filter.not, columns, row);
  const column = columns.get(filter.column ?? '');
  if (!column) return false;
  const value = valueAt(row, column);
  const present = value !== undefined && value !== null;
  if (filter.exists !== undefined) return present === filter.exists;
  if (filter.blank !== undefined) {
    const text = column.type === 'string';
    return filter.blank ? !present || (text && value === '') : present && (!text || (typeof value === 'string' && value !== ''));
  }
  const is = (expected: Scalar) => sameType(value, normalised(column, expected)) && value === normalised(column, expected);
  if (filter.eq !== undefined) return is(filter.eq);
  if (filter.ne !== undefined) return sameType(value, filter.ne) && !is(filter.ne);
  if (filter.in !== undefined) return filter.in.some(is);
  if (filter.notIn !== undefined) return filter.notIn.length > 0 && sameType(value, filter.notIn[0] as Scalar) && !filter.notIn.some(is);
  if (filter.contains !== undefined || filter.startsWith !== undefined || filter.endsWith !== undefined) {
    if (typeof value !== 'string') return false;
    const fold = (text: string) => (filter.ignoreCase ? text.toLowerCase() : text);
    if (filter.contains !== undefined) return fold(value).includes(fold(filter.contains));
    if (filter.startsWith !== undefined) return fold(value).startsWith(fold(filter.startsWith));
    return fold(value).endsWith(fold(filter.endsWith ?? ''));
  }
  if (filter.like !== undefined || filter.glob !== undefined) {
    if (typeof value !== 'string') return false;
    const regex = filter.like !== undefined ? patternOf('like', filter.like.toLowerCase()) : patternOf('glob', filter.glob ?? '');
    return regex !== undefined && regex.matches(filter.like !== undefined ? value.toLowerCase() : value);
  }
  const lower = filter.gt ?? filter.gte;
  const upper = filter.lt ?? filter.lte;
  if (lower !== undefined) {
    const bound = normalised(column, lower);
    if (!sameType(value, bound)) return false;
    if (filter.gt !== undefined ? !(value > bound) : !(value >= bound)) return false;
  }
  if (upper !== undefined) {
    const bound = normalised(column, upper);
    if (!sameType(value, bound)) return false;
    if (filter.lt !== undefined ? !(value < bound) : !(value <= bound)) return false;
  }
  return lower !== undefined || upper !== undefined;
}
