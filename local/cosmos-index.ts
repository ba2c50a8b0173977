import type { ItemsMap, StoredItem } from './cosmos-store';

/**
 * Each documents map's documents by partition, in `_rid` order, kept up to date at write time: a
 * query over one partition (or the whole container) starts from its list instead of reading every
 * document of the container to group them and then every `_rid` of the partition to sort them,
 * which a million-document container paid after each write (6.7 s for a first page).
 *
 * The map is keyed by `_rid` (the library's `Items._data`), so a write names its `_rid`; only its
 * partition needs the document. Writes are noted per partition and applied when the list is next
 * read: replaced documents in place (binary search over the `_rid`s), new ones sorted among
 * themselves and merged, deleted ones left out. That reads no stored document, and builds new arrays,
 * so a query still running in chunks over the old list keeps its snapshot.
 */

/**
 * Writes noted before they are merged into the list: at least this many, and a sixteenth of the list,
 * so an ingest copies the list a few dozen times in all (not once per 8,192 rows of a million) and
 * the first query after it merges at most a sixteenth.
 */
const MERGE_AT = 8192;

/**
 * The numbers that order `_rid`s as the library's `<` on strings does, or undefined if they do not
 * fit a double. A container's `_rid`s have one length and differ only in a few characters (the
 * document counter): those characters, 7 bits each (ASCII), make a number with the same order.
 */
function ridKeys(rids: readonly string[]): Float64Array | undefined {
  const first = rids[0] ?? '';
  let prefix = first;
  let suffix = first;
  for (const rid of rids) {
    if (rid.length !== first.length) return undefined;
    while (!rid.startsWith(prefix)) prefix = prefix.slice(0, -1);
    while (!rid.endsWith(suffix)) suffix = suffix.slice(1);
  }
  const start = prefix.length;
  const end = first.length - suffix.length;
  // 7 characters of 7 bits: 49 bits, exact in a double.
  if (end - start > 7) return undefined;
  const keys = new Float64Array(rids.length);
  for (let j = 0; j < rids.length; j += 1) {
    const rid = rids[j] as string;
    let key = 0;
    for (let i = start; i < end; i += 1) {
      const code = rid.charCodeAt(i);
      if (code > 127) return undefined;
      key = key * 128 + code;
    }
    keys[j] = key;
  }
  return keys;
}

/**
 * The positions of `rids` in `_rid` order. A million `_rid`s sort as numbers in a fraction of the
 * time they take as strings (seconds of the server's one thread, with health probes waiting).
 */
function ridOrder(rids: readonly string[]): number[] {
  const keys = ridKeys(rids);
  if (!keys) return rids.map((_, i) => i).sort((a, b) => ((rids[a] as string) < (rids[b] as string) ? -1 : 1));
  const at = new Map<number, number>();
  for (let i = 0; i < keys.length; i += 1) at.set(keys[i] as number, i);
  keys.sort();
  return Array.from(keys, (key) => at.get(key) as number);
}

class RidOrdered {
  items: StoredItem[] = [];
  rids: string[] = [];
  /** Writes not applied yet: `_rid` → the new item, or undefined for a delete. */
  private readonly pending = new Map<string, StoredItem | undefined>();

  note(rid: string, item: StoredItem | undefined): void {
    this.pending.set(rid, item);
    // Applied in batches as writes come: an ingest leaves the first query a small merge, not a million-row sort.
    if (this.pending.size >= Math.max(MERGE_AT, this.rids.length / 16)) this.apply();
  }

  /** Starts from these documents, in any order. */
  reset(rids: string[], items: StoredItem[]): void {
    const order = ridOrder(rids);
    this.rids = order.map((i) => rids[i] as string);
    this.items = order.map((i) => items[i] as StoredItem);
    this.pending.clear();
  }

  current(): StoredItem[] {
    if (this.pending.size > 0) this.apply();
    return this.items;
  }

  private apply(): void {
    const replaced = new Map<number, StoredItem>();
    const removed = new Set<number>();
    const added: string[] = [];
    const addedItems = new Map<string, StoredItem>();
    for (const [rid, item] of this.pending) {
      const at = this.find(rid);
      if (at >= 0) {
        if (item) replaced.set(at, item);
        else removed.add(at);
      } else if (item) {
        added.push(rid);
        addedItems.set(rid, item);
      }
    }
    this.pending.clear();
    // `_rid`s compare as the library compares them, with `<` on strings: the default sort's order.
    added.sort();
    const items: StoredItem[] = [];
    const rids: string[] = [];
    let next = 0;
    const take = (rid: string, item: StoredItem) => {
      rids.push(rid);
      items.push(item);
    };
    // Only creates (an ingest): no lookup per listed document.
    const unchanged = replaced.size === 0 && removed.size === 0;
    for (let i = 0; i < this.rids.length; i += 1) {
      const rid = this.rids[i] as string;
      while (next < added.length && (added[next] as string) < rid) take(added[next] as string, addedItems.get(added[next++] as string) as StoredItem);
      if (unchanged) take(rid, this.items[i] as StoredItem);
      else if (!removed.has(i)) take(rid, replaced.get(i) ?? (this.items[i] as StoredItem));
    }
    while (next < added.length) take(added[next] as string, addedItems.get(added[next++] as string) as StoredItem);
    this.items = items;
    this.rids = rids;
  }

  private find(rid: string): number {
    let low = 0;
    let high = this.rids.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((this.rids[middle] as string) < rid) low = middle + 1;
      else high = middle;
    }
    return this.rids[low] === rid ? low : -1;
  }
}

interface ContainerIndex {
  owner: ItemsMap;
  all: RidOrdered;
  byValue: Map<unknown, RidOrdered>;
  /** Each indexed `_rid`'s partition key value, so a delete finds its partition without the document. */
  partitionOf: Map<string, unknown>;
}

const indexes = new WeakMap<Map<string, StoredItem>, ContainerIndex>();

function partitionList(index: ContainerIndex, value: unknown): RidOrdered {
  let list = index.byValue.get(value);
  if (!list) {
    list = new RidOrdered();
    index.byValue.set(value, list);
  }
  return list;
}

/** Notes a write of the documents map `data` (`item` undefined: a delete), if the map is indexed. */
export function noteWrite(data: Map<string, StoredItem>, rid: string, item: StoredItem | undefined): void {
  const index = indexes.get(data);
  if (!index) return;
  const doc = item?.read();
  const value = doc ? index.owner._getPartition(doc) : undefined;
  const before = index.partitionOf.get(rid);
  if (index.partitionOf.has(rid) && (!item || before !== value)) partitionList(index, before).note(rid, undefined);
  index.all.note(rid, item);
  if (item) {
    partitionList(index, value).note(rid, item);
    index.partitionOf.set(rid, value);
  } else {
    index.partitionOf.delete(rid);
  }
}

/** Forgets the map's index (the map was cleared): the next read builds it again. */
export function dropIndex(data: Map<string, StoredItem>): void {
  indexes.delete(data);
}

/** Indexes the map from what it holds now; later writes must reach `noteWrite`. */
function build(items: ItemsMap): ContainerIndex {
  const index: ContainerIndex = { owner: items, all: new RidOrdered(), byValue: new Map(), partitionOf: new Map() };
  const byValue = new Map<unknown, { rids: string[]; items: StoredItem[] }>();
  for (const [rid, item] of items._data) {
    const doc = item.read();
    const value = doc ? items._getPartition(doc) : undefined;
    let partition = byValue.get(value);
    if (!partition) {
      partition = { rids: [], items: [] };
      byValue.set(value, partition);
    }
    partition.rids.push(rid);
    partition.items.push(item);
    index.partitionOf.set(rid, value);
  }
  index.all.reset([...items._data.keys()], [...items._data.values()]);
  for (const [value, partition] of byValue) partitionList(index, value).reset(partition.rids, partition.items);
  indexes.set(items._data, index);
  return index;
}

/** Starts keeping the documents map's index (cheap on an empty map: call it before the first write). */
export function ensureIndexed(items: ItemsMap): void {
  if (!indexes.has(items._data)) build(items);
}

/** The documents a query runs over, in `_rid` order: the container's, or one partition's. */
export function documentsInRidOrder(items: ItemsMap, partition: unknown): StoredItem[] {
  const index = indexes.get(items._data) ?? build(items);
  if (partition === undefined) return index.all.current();
  return index.byValue.get(partition)?.current() ?? [];
}
