import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { aggregateSelect, columnStats, statsInMemory } from '../../shared/datasets/records.stats';

/** What Cosmos DB returns for `aggregateSelect` over these values (summed in order, as it does). */
function aggregateRow(values: number[], shift: number): Record<string, number> {
  let s = 0;
  let d = 0;
  let q = 0;
  for (const x of values) {
    s += x;
    d += x - shift;
    q += (x - shift) * (x - shift);
  }
  return { n: values.length, c0: values.length, s0: s, d0: d, q0: q, lo0: Math.min(...values), hi0: Math.max(...values) };
}

function twoPassStddev(values: number[]): number {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return Math.sqrt(values.reduce((a, x) => a + (x - mean) ** 2, 0) / (values.length - 1));
}

describe('aggregateSelect', () => {
  it('asks only for the sums the metrics need', () => {
    const sut = aggregateSelect('c.values', [{ name: 'x', shift: 5 }], ['mean']);
    expect(sut.select).toBe('COUNT(1) AS n, COUNT(c.values["x"]) AS c0, SUM(c.values["x"] - @k0) AS d0');
    expect(sut.parameters).toEqual([{ name: '@k0', value: 5 }]);
    expect(aggregateSelect('c.values', [{ name: 'x', shift: 0 }], ['min', 'max']).select).toBe('COUNT(1) AS n, MIN(c.values["x"]) AS lo0, MAX(c.values["x"]) AS hi0');
  });
});

describe('columnStats', () => {
  it('gives the sample stddev of a shifted one-pass sum equal to a two-pass computation', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -1e3, max: 1e3, noNaN: true }), { minLength: 2, maxLength: 200 }),
        fc.double({ min: -1e3, max: 1e3, noNaN: true }),
        (values, offset) => {
          const shifted = values.map((v) => v + offset);
          const shift = shifted[0] ?? 0;
          const sut = columnStats(aggregateRow(shifted, shift), 0, shift, ['stddev', 'mean']);
          const expected = twoPassStddev(shifted);
          expect(Math.abs((sut.stddev ?? 0) - expected)).toBeLessThanOrEqual(1e-9 * Math.max(1, expected));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('stays exact where Σx² − (Σx)²/n cancels catastrophically (large mean, small spread)', () => {
    const values = Array.from({ length: 1000 }, (_, i) => 1e9 + (i % 10) * 0.001);
    const naive = (() => {
      const n = values.length;
      const s = values.reduce((a, b) => a + b, 0);
      const ss = values.reduce((a, b) => a + b * b, 0);
      return Math.sqrt(Math.max(0, (ss - (s * s) / n) / (n - 1)));
    })();
    const shift = values.slice(0, 100).reduce((a, b) => a + b, 0) / 100;
    const sut = columnStats(aggregateRow(values, shift), 0, shift, ['stddev']).stddev ?? 0;
    const expected = twoPassStddev(values);
    expect(Math.abs(sut - expected) / expected).toBeLessThan(1e-6);
    expect(Math.abs(naive - expected) / expected).toBeGreaterThan(1e-3);
  });

  it('gives null for the mean, min and max of nothing and the stddev of fewer than two values', () => {
    expect(columnStats({ n: 0, c0: 0, d0: 0, q0: 0 }, 0, 0, ['count', 'mean', 'min', 'max', 'stddev'])).toEqual({ count: 0, mean: null, min: null, max: null, stddev: null });
    expect(columnStats(aggregateRow([4], 4), 0, 4, ['mean', 'stddev'])).toEqual({ mean: 4, stddev: null });
  });

  it('agrees with the in-memory baseline', () => {
    const values = [5.1, 4.9, 4.7, 4.6, 5.0];
    const sut = columnStats(aggregateRow(values, 5), 0, 5, ['count', 'mean', 'min', 'max', 'sum', 'stddev']);
    const baseline = statsInMemory(values, ['count', 'mean', 'min', 'max', 'sum', 'stddev']);
    expect(sut.count).toBe(baseline.count);
    expect(sut.mean).toBeCloseTo(baseline.mean ?? 0, 12);
    expect(sut.stddev).toBeCloseTo(baseline.stddev ?? 0, 12);
    expect([sut.min, sut.max]).toEqual([baseline.min, baseline.max]);
  });
});
