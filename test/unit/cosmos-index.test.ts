import { describe, expect, it } from 'vitest';
import { documentsInRidOrder, ensureIndexed, noteWrite } from '../../local/cosmos-index';
import type { Doc, ItemsMap, StoredItem } from '../../local/cosmos-store';

/**
 * The embedded Cosmos DB server's per-partition index (`local/cosmos-index.ts`) over a documents map
 * shaped as the library's (`_rid` → item): built from what the map holds, then kept through writes
 * (creates past the merge batch, replaces, deletes, a move between partitions) with no stored
 * document read when a query asks for a partition. Counts and orders, never timings.
 */

let reads = 0;
const item = (doc: Doc): StoredItem => ({
  read: () => {
    reads += 1;
    return doc;
  },
});

/** `_rid`s of one length differing in a few characters, as the library makes them (not in counter order). */
const ridOf = (n: number) => {
  const bytes = Buffer.alloc(16);
  bytes.write('collrid!');
  bytes.writeInt32LE(n, 8);
  return bytes.toString('base64');
};

function documentsMap(): ItemsMap {
  const data = new Map<string, StoredItem>();
  return { _data: data, _getPartition: (doc: Doc) => doc.p } as unknown as ItemsMap;
}

function write(items: ItemsMap, doc: Doc): void {
  const stored = item(doc);
  noteWrite(items._data, doc._rid as string, stored);
  items._data.set(doc._rid as string, stored);
}

function remove(items: ItemsMap, rid: string): void {
  noteWrite(items._data, rid, undefined);
  items._data.delete(rid);
}

/** What the index must answer: the map's documents of that partition (all for undefined), sorted with `<` on `_rid`. */
function expected(items: ItemsMap, partition?: string): (Doc | undefined)[] {
  return [...items._data.values()]
    .map((stored) => stored.read() as Doc)
    .filter((doc) => partition === undefined || doc.p === partition)
    .sort((a, b) => ((a._rid as string) < (b._rid as string) ? -1 : 1));
}

const docsOf = (items: ItemsMap, partition?: string) => documentsInRidOrder(items, partition).map((stored) => stored.read());

describe('the per-partition index in _rid order', () => {
  it('is built from the documents a map already holds', () => {
    const items = documentsMap();
    for (let i = 1; i <= 3000; i++) items._data.set(ridOf(i), item({ id: `d${i}`, _rid: ridOf(i), p: i % 3 === 0 ? 'a' : 'b' }));
    expect(docsOf(items, 'a')).toEqual(expected(items, 'a'));
    expect(docsOf(items)).toEqual(expected(items));
    expect(docsOf(items, 'none')).toEqual([]);
  });

  it('follows creates, replaces, deletes and a move between partitions without reading stored documents at the query', () => {
    const items = documentsMap();
    ensureIndexed(items);
    // More creates than one merge batch, so both the batched and the pending merge run.
    for (let i = 1; i <= 20_000; i++) write(items, { id: `d${i}`, _rid: ridOf(i), p: i % 4 === 0 ? 'a' : 'b' });
    write(items, { id: 'd8', _rid: ridOf(8), p: 'a', changed: true });
    write(items, { id: 'd12', _rid: ridOf(12), p: 'b' });
    remove(items, ridOf(16));
    write(items, { id: 'late', _rid: ridOf(20_001), p: 'a' });
    reads = 0;
    const partition = documentsInRidOrder(items, 'a');
    const all = documentsInRidOrder(items, undefined);
    expect(reads).toBe(0);
    expect(partition.map((stored) => stored.read())).toEqual(expected(items, 'a'));
    expect(all.map((stored) => stored.read())).toEqual(expected(items));
    expect(docsOf(items, 'b')).toEqual(expected(items, 'b'));
    expect(docsOf(items, 'a').find((doc) => doc?.id === 'd8')).toMatchObject({ changed: true });
  });
});
