import { describe, expect, it } from 'vitest';
import { MAX_EMPTY_PAGE_READS, readAggregateRow, readAggregateTotal, readNonEmptyPage } from '../../shared/azure/cosmos';

/**
 * The paging and aggregate loops over a query iterator. A cross-partition query with
 * `enableQueryControl` reads one partition range per `fetchNext`, so a range with no match yields
 * an empty page that still carries a continuation; the embedded Cosmos server has a single range
 * and never does that, so these drive the loops with a scripted iterator of the SDK's shape
 * (`fetchNext` / `hasMoreResults`), recording every read.
 */
interface Response<T> {
  resources: T[];
  continuationToken?: string;
}

function scripted<T>(responses: Response<T>[]): { fetchNext(): Promise<Response<T>>; hasMoreResults(): boolean; reads: number } {
  const iterator = {
    reads: 0,
    hasMoreResults: () => iterator.reads < responses.length,
    async fetchNext(): Promise<Response<T>> {
      const next = responses[iterator.reads];
      iterator.reads += 1;
      if (!next) throw new Error('read past the end');
      return next;
    },
  };
  return iterator;
}

describe('readNonEmptyPage', () => {
  it('keeps reading past empty pages that carry a continuation', async () => {
    const iterator = scripted([{ resources: [], continuationToken: 'a' }, { resources: [], continuationToken: 'b' }, { resources: [1, 2], continuationToken: 'c' }]);
    await expect(readNonEmptyPage(iterator)).resolves.toEqual({ items: [1, 2], continuation: 'c' });
    expect(iterator.reads).toBe(3);
  });

  it('returns an empty last page without a continuation (the end)', async () => {
    const iterator = scripted<number>([{ resources: [], continuationToken: 'a' }, { resources: [] }]);
    await expect(readNonEmptyPage(iterator)).resolves.toEqual({ items: [], continuation: undefined });
  });

  it('does not read ahead once it has items', async () => {
    const iterator = scripted([{ resources: [1], continuationToken: 'a' }, { resources: [2] }]);
    await expect(readNonEmptyPage(iterator)).resolves.toEqual({ items: [1], continuation: 'a' });
    expect(iterator.reads).toBe(1);
  });

  it('gives up after a bounded number of reads, handing back the cursor to resume from', async () => {
    const endless = { reads: 0, hasMoreResults: () => true, async fetchNext(): Promise<Response<number>> { endless.reads += 1; return { resources: [], continuationToken: `t${endless.reads}` }; } };
    const page = await readNonEmptyPage(endless);
    expect(endless.reads).toBe(MAX_EMPTY_PAGE_READS);
    expect(page).toEqual({ items: [], continuation: `t${MAX_EMPTY_PAGE_READS}` });
  });
});

describe('readAggregateTotal', () => {
  it('sums the partial results of every page', async () => {
    const iterator = scripted([{ resources: [3], continuationToken: 'a' }, { resources: [], continuationToken: 'b' }, { resources: [4] }]);
    await expect(readAggregateTotal(iterator)).resolves.toBe(7);
    expect(iterator.reads).toBe(3);
  });

  it('is 0 over no rows (SUM over nothing returns no value)', async () => {
    await expect(readAggregateTotal(scripted<number>([{ resources: [] }]))).resolves.toBe(0);
  });
});

describe('readAggregateRow', () => {
  it('reads past empty pages to the one row', async () => {
    const iterator = scripted([{ resources: [], continuationToken: 'a' }, { resources: [{ n: 2, s0: 5 }] }]);
    await expect(readAggregateRow(iterator)).resolves.toEqual({ n: 2, s0: 5 });
  });

  it('refuses partial rows (a planned, cross-partition query) instead of returning one of them', async () => {
    const iterator = scripted([{ resources: [{ n: 1 }], continuationToken: 'a' }, { resources: [{ n: 2 }] }]);
    await expect(readAggregateRow(iterator)).rejects.toThrow(/partial/);
  });
});
