/**
 * The in-memory model of `@vercel/cosmosdb-server`, as far as the local stack reaches into it: an
 * account holds `Items` maps (databases → collections → documents / user-defined functions), each
 * a `Map` from `_rid` to an item plus an index from (partition, unique key) to `_rid`. Every write
 * of the library goes through `Items.prototype._set` (create, replace, upsert, patch, batch) or
 * `Items.prototype.delete`, which is where persistence (`cosmos-journal.ts`) and TTL
 * (`cosmos-ttl.ts`) hook in. Typed here because the library ships no types for its internals.
 */
export type Doc = Record<string, unknown> & { id?: string; _rid?: string; _self?: string; _ts?: number; ttl?: unknown };

export interface StoredItem {
  read(): Doc | undefined;
}

export interface ItemsMap {
  _data: Map<string, StoredItem>;
  _ridCount: number;
  _parent: StoredItem;
  _set(data: Doc): Doc;
  delete(idOrRid: string, partition: unknown): void;
  _item(keyPath: string, value: unknown, partition: unknown): StoredItem;
  _getPartition(data: Doc): unknown;
  query(...args: unknown[]): unknown;
  /** The library's parsed query (cached per map): its AST and the JavaScript it compiles to. */
  _getQuery(sql: string): { ast: unknown; code: string };
  read(...args: unknown[]): unknown;
}

export interface DatabaseItem extends StoredItem {
  collections: ItemsMap;
}

export interface CollectionItem extends StoredItem {
  documents: ItemsMap;
  userDefinedFunctions: ItemsMap;
}

export interface Account {
  databases: ItemsMap;
}

/** The maps a journal record can name; partition key ranges are derived, never stored. */
export type Kind = 'dbs' | 'colls' | 'docs' | 'udfs';

const KINDS: Record<string, Kind> = { Databases: 'dbs', Collections: 'colls', Documents: 'docs', UserDefinedFunctions: 'udfs' };

export function kindOf(items: ItemsMap): Kind | undefined {
  return KINDS[(items as object).constructor.name];
}

/** Where a map hangs: its parent's `_self` ('' for the account's databases). */
export function parentSelf(items: ItemsMap): string {
  const parent = items._parent.read();
  return typeof parent?._self === 'string' ? parent._self : '';
}

export const itemsPrototype = (require('@vercel/cosmosdb-server/lib/account/items') as { default: { prototype: ItemsMap } }).default.prototype;

/** Every map of the account, parents before children (the order a restore needs). */
export function* allMaps(account: Account): Generator<[Kind, ItemsMap]> {
  yield ['dbs', account.databases];
  for (const database of account.databases._data.values() as IterableIterator<DatabaseItem>) {
    yield ['colls', database.collections];
    for (const collection of database.collections._data.values() as IterableIterator<CollectionItem>) {
      yield ['udfs', collection.userDefinedFunctions];
      yield ['docs', collection.documents];
    }
  }
}

/** The map of this kind under the parent with this `_self`. */
export function findMap(account: Account, kind: Kind, parent: string): ItemsMap | undefined {
  for (const [candidateKind, items] of allMaps(account)) {
    if (candidateKind === kind && parentSelf(items) === parent) return items;
  }
  return undefined;
}
