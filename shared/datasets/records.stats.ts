import { columnRef, type SqlParameter } from '../query/filter.compiler';
import type { ColumnStats, Metric } from './dataset.schema';

/**
 * Statistics computed inside Cosmos DB in one pass: per column `COUNT`, `SUM`, `MIN`, `MAX` and the
 * sums of `(x − k)` and `(x − k)²`, where `k` is a value near the column's mean kept at ingest.
 * The sample variance is then `(Σ(x−k)² − (Σ(x−k))²/n) / (n − 1)`: the shifted-data formula, exact
 * for any `k`, and free of the catastrophic cancellation of `Σx² − (Σx)²/n` when `k` is near the
 * mean (the differences are small, so their squares lose nothing).
 */

export interface StatsColumn {
  name: string;
  /** The shift `k`: any value works; one near the mean keeps every digit. */
  shift: number;
}

export interface AggregateSelect {
  select: string;
  parameters: SqlParameter[];
}

function needs(metrics: readonly Metric[]) {
  const has = (metric: Metric) => metrics.includes(metric);
  return {
    count: has('count') || has('mean') || has('stddev'),
    sum: has('sum'),
    shifted: has('mean') || has('stddev'),
    squares: has('stddev'),
    min: has('min'),
    max: has('max'),
  };
}

/**
 * The SELECT list of one aggregate query over `columns`: `COUNT(1) AS n` plus, per column `i`,
 * only what the metrics need. Values missing from a row are skipped by every aggregate.
 *
 * @example aggregateSelect('c.values', [{ name: 'x', shift: 5 }], ['mean']).select
 * // 'COUNT(1) AS n, COUNT(c.values["x"]) AS c0, SUM(c.values["x"] - @k0) AS d0'
 */
export function aggregateSelect(prefix: string, columns: readonly StatsColumn[], metrics: readonly Metric[]): AggregateSelect {
  const want = needs(metrics);
  const parts = ['COUNT(1) AS n'];
  const parameters: SqlParameter[] = [];
  columns.forEach((column, i) => {
    const x = columnRef(prefix, { name: column.name });
    const k = `@k${i}`;
    if (want.count) parts.push(`COUNT(${x}) AS c${i}`);
    if (want.sum) parts.push(`SUM(${x}) AS s${i}`);
    if (want.shifted) parts.push(`SUM(${x} - ${k}) AS d${i}`);
    if (want.squares) parts.push(`SUM((${x} - ${k}) * (${x} - ${k})) AS q${i}`);
    if (want.min) parts.push(`MIN(${x}) AS lo${i}`);
    if (want.max) parts.push(`MAX(${x}) AS hi${i}`);
    if (want.shifted || want.squares) parameters.push({ name: k, value: column.shift });
  });
  return { select: parts.join(', '), parameters };
}

const numberOr = (value: unknown, fallback: number): number => (typeof value === 'number' && Number.isFinite(value) ? value : fallback);

/** The metrics of column `i` from the aggregate row of `aggregateSelect`. */
export function columnStats(row: Record<string, unknown>, i: number, shift: number, metrics: readonly Metric[]): ColumnStats {
  const n = numberOr(row[`c${i}`], 0);
  const d = numberOr(row[`d${i}`], 0);
  const q = numberOr(row[`q${i}`], 0);
  const result: ColumnStats = {};
  for (const metric of metrics) {
    switch (metric) {
      case 'count':
        result.count = n;
        break;
      case 'sum':
        result.sum = numberOr(row[`s${i}`], 0);
        break;
      case 'mean':
        result.mean = n > 0 ? shift + d / n : null;
        break;
      case 'stddev':
        result.stddev = n > 1 ? Math.sqrt(Math.max(0, (q - (d * d) / n) / (n - 1))) : null;
        break;
      case 'min':
        result.min = n > 0 ? numberOr(row[`lo${i}`], Number.NaN) : null;
        break;
      case 'max':
        result.max = n > 0 ? numberOr(row[`hi${i}`], Number.NaN) : null;
        break;
    }
  }
  return result;
}

/**
 * The same metrics computed from values in memory (two passes: mean, then squared deviations):
 * the baseline the benchmark compares the pushed-down query with.
 */
export function statsInMemory(values: readonly number[], metrics: readonly Metric[]): ColumnStats {
  const n = values.length;
  let sum = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const value of values) {
    sum += value;
    if (value < min) min = value;
    if (value > max) max = value;
  }
  const mean = n > 0 ? sum / n : null;
  let squares = 0;
  if (mean !== null) for (const value of values) squares += (value - mean) * (value - mean);
  const result: ColumnStats = {};
  for (const metric of metrics) {
    if (metric === 'count') result.count = n;
    if (metric === 'sum') result.sum = sum;
    if (metric === 'mean') result.mean = mean;
    if (metric === 'min') result.min = n > 0 ? min : null;
    if (metric === 'max') result.max = n > 0 ? max : null;
    if (metric === 'stddev') result.stddev = n > 1 ? Math.sqrt(squares / (n - 1)) : null;
  }
  return result;
}
