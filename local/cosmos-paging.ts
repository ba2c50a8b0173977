import { type ItemsMap, itemsPrototype } from './cosmos-store';

/**
 * Paging linear in what a page touches. The embedded server answers every page of a query by
 * running the whole query again — filter every document of the container, sort, project — and then
 * skipping to the continuation: 40 pages of a 200,000-row dataset paid for 40 full runs (about
 * 1.3 s each on two busy cores). Here the first page's full result, as the query library hands it
 * to its paginator (sorted and projected), is kept, and a later page of the same query (same SQL,
 * same parameters) over an unchanged container goes straight to that paginator: the library's own
 * code finds the continuation and cuts the page, so answers are the same as before, byte for byte.
 *
 * "Unchanged" is exact, not timed: each container's document map (and its user-defined functions)
 * counts its writes, and a write anywhere in it makes every kept result of that container stale.
 * Time to live purges expired documents (a write) before a query reaches this code.
 */

type Paginate = (collection: unknown[], maxItemCount: number | null | undefined, continuation: unknown, getRid: unknown, ...orders: unknown[]) => unknown;

interface Helpers {
  paginate: Paginate;
}

interface Kept {
  key: string;
  version: string;
  /** The arguments the library's paginator got, all but the page size and the continuation. */
  collection: unknown[];
  getRid: unknown;
  orders: unknown[];
}

/** Results kept across the account; each holds references to stored documents plus projections. */
const MAX_KEPT = 8;

const helpers = require('@zeit/cosmosdb-query/lib/helpers') as Helpers;
const versions = new WeakMap<Map<string, unknown>, number>();

/** A document map that counts its writes (set on the live map: the journal and TTL go through it too). */
class CountingMap<K extends string, V> extends Map<K, V> {
  override set(key: K, value: V): this {
    versions.set(this, (versions.get(this) ?? 0) + 1);
    return super.set(key, value);
  }

  override delete(key: K): boolean {
    versions.set(this, (versions.get(this) ?? 0) + 1);
    return super.delete(key);
  }

  override clear(): void {
    versions.set(this, (versions.get(this) ?? 0) + 1);
    super.clear();
  }
}

function counted(map: Map<string, unknown> | undefined): number {
  if (!map) return 0;
  if (!(map instanceof CountingMap)) {
    Object.setPrototypeOf(map, CountingMap.prototype);
    versions.set(map, 0);
  }
  return versions.get(map) ?? 0;
}

function versionOf(items: ItemsMap): string {
  const functions = (items._parent as { userDefinedFunctions?: ItemsMap }).userDefinedFunctions;
  return `${counted(items._data)}:${counted(functions?._data)}`;
}

interface QueryBody {
  query?: unknown;
  parameters?: unknown;
}

interface PageOptions {
  maxItemCount?: number | null;
  continuation?: unknown;
}

const kept = new WeakMap<ItemsMap, Kept[]>();
/** What the paginator was last called with, while the library runs a query. */
let captured: Omit<Kept, 'key' | 'version'> | undefined;

/** A function, not a read of the variable: TypeScript cannot see that the query call set it. */
function takeCaptured(): Omit<Kept, 'key' | 'version'> | undefined {
  const run = captured;
  captured = undefined;
  return run;
}

export function fastPaging(): void {
  const paginate = helpers.paginate;
  helpers.paginate = function capture(collection, maxItemCount, continuation, getRid, ...orders) {
    captured = { collection, getRid, orders };
    return paginate(collection, maxItemCount, continuation, getRid, ...orders);
  };
  const query = itemsPrototype.query;
  itemsPrototype.query = function paged(this: ItemsMap, ...args: unknown[]) {
    const [body, options] = args as [QueryBody, PageOptions | undefined];
    const key = JSON.stringify([body?.query, body?.parameters ?? []]);
    const version = versionOf(this);
    const list = (kept.get(this) ?? []).filter((entry) => entry.version === version);
    kept.set(this, list);
    // A container deleted meanwhile answers as the library does (null: 404).
    const found = options?.continuation && this._parent.read() ? list.find((entry) => entry.key === key) : undefined;
    if (found) return paginate(found.collection, options?.maxItemCount, options?.continuation, found.getRid, ...found.orders);
    captured = undefined;
    const answer = query.apply(this, args) as { continuation?: unknown } | null;
    const run = takeCaptured();
    // Only a query with more pages is worth keeping; the next page asks with a continuation.
    if (run && answer?.continuation) {
      const others = list.filter((entry) => entry.key !== key);
      others.push({ key, version, ...run });
      kept.set(this, others.slice(-MAX_KEPT));
    }
    return answer;
  };
}
