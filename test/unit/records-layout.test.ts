import { describe, expect, it } from 'vitest';
import { bucketCount, combineAggregates, partitionKeys, placer } from '../../shared/datasets/records.layout';

describe('records layout (buckets of a hosted dataset)', () => {
  it('counts one bucket for an empty or small dataset and one more per bucketBytes started', () => {
    expect(bucketCount({ bucketBytes: 1000, allocatedBytes: 0 })).toBe(1);
    expect(bucketCount({ bucketBytes: 1000, allocatedBytes: 1000 })).toBe(1);
    expect(bucketCount({ bucketBytes: 1000, allocatedBytes: 1001 })).toBe(2);
    expect(partitionKeys({ datasetId: 'd', layout: { bucketBytes: 1000, allocatedBytes: 2500 } })).toEqual(['d:0', 'd:1', 'd:2']);
  });

  it('places each row in the bucket where it starts, in the order rows come', () => {
    const sut = placer({ start: 900, bucketBytes: 1000 });
    expect([sut(300), sut(300), sut(1500), sut(10)]).toEqual([0, 1, 1, 3]);
  });

  it('combines per-bucket aggregate rows: counts and sums add, lo is the least, hi the greatest, absent values skipped', () => {
    const sut = combineAggregates([
      { n: 3, c0: 3, s0: 6, d0: -1.5, q0: 2.25, lo0: 1, hi0: 3 },
      { n: 2, c0: 1, s0: 10, d0: 0.5, q0: 0.25, lo0: 10, hi0: 10 },
      { n: 0, c0: 0 },
    ]);
    expect(sut).toEqual({ n: 5, c0: 4, s0: 16, d0: -1, q0: 2.5, lo0: 1, hi0: 10 });
  });
});
