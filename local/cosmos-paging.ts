import { AsyncLocalStorage } from 'node:async_hooks';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { installChunkSinks, type Outcome, resumeInChunks, runInChunks, seekTo, shapeOf } from './cosmos-chunks';
import { documentsInRidOrder, dropIndex, ensureIndexed, noteWrite } from './cosmos-index';
import { type ItemsMap, itemsPrototype, kindOf, type StoredItem } from './cosmos-store';

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
 *
 * Queries are also scoped to their partition, as Cosmos DB scopes them: the library filters every
 * document of the container, so a page of one dataset paid for the documents of all the others.
 * The partition key the SDK sends (`x-ms-documentdb-partitionkey`) now selects the documents the
 * query runs over first, from a per-partition index in `_rid` order kept up to date at write time
 * (`cosmos-index.ts`).
 * And the SDK's query-plan request, which the library answered by running the whole query (every
 * query ran twice), gets a plan without running anything (see QUERY_PLAN).
 *
 * Within a request, a query over documents runs a chunk at a time (`cosmos-chunks.ts`): other
 * requests are answered between chunks, a page without ORDER BY stops once it has its rows and
 * resumes at its continuation's `_rid` (so its result is not kept: it is not the whole result), and
 * a query still running after its page time hands on with an empty page. Kept results are then
 * those of ORDER BY queries, and of queries the library runs whole (JOIN, subqueries).
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

/** A document map that counts its writes, and keeps its index (set on the live map: the journal and TTL go through it too). */
class CountingMap<K extends string, V> extends Map<K, V> {
  override set(key: K, value: V): this {
    versions.set(this, (versions.get(this) ?? 0) + 1);
    noteWrite(this as unknown as Map<string, StoredItem>, key, value as StoredItem);
    return super.set(key, value);
  }

  override delete(key: K): boolean {
    versions.set(this, (versions.get(this) ?? 0) + 1);
    if (this.has(key)) noteWrite(this as unknown as Map<string, StoredItem>, key, undefined);
    return super.delete(key);
  }

  override clear(): void {
    versions.set(this, (versions.get(this) ?? 0) + 1);
    dropIndex(this as unknown as Map<string, StoredItem>);
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

/** What the handler of the query being answered was asked: its partition key, if it names one. */
const request = new AsyncLocalStorage<{ partition: string | number | boolean | null | undefined }>();

type ReadItems = (req: IncomingMessage, res: ServerResponse, itemsName: string, fn: (options: PageOptions) => Promise<unknown>) => Promise<unknown>;
const readItemsModule = require('@vercel/cosmosdb-server/lib/handler/_read-items') as { default: ReadItems };

/**
 * What Cosmos DB's gateway answers for a query with nothing to plan (no aggregate across partitions,
 * no ORDER BY, one range). The SDK asks for it alongside every query and uses it only when the
 * query itself is refused as needing a plan, which this server never does (it runs GROUP BY,
 * aggregates and ORDER BY itself), so nothing here is read; it is not the query's result.
 */
const QUERY_PLAN = {
  partitionedQueryExecutionInfoVersion: 2,
  queryInfo: {
    distinctType: 'None',
    top: null,
    offset: null,
    limit: null,
    orderBy: [],
    orderByExpressions: [],
    groupByExpressions: [],
    groupByAliases: [],
    aggregates: [],
    groupByAliasToAggregateType: {},
    rewrittenQuery: '',
    hasSelectValue: false,
    hasNonStreamingOrderBy: false,
  },
  queryRanges: [{ min: '', max: 'FF', isMinInclusive: true, isMaxInclusive: false }],
};

/** The single-path partition key value a request names (`["ds-1"]`), or undefined for none (or a cross-partition query). */
function partitionOf(header: string | string[] | undefined): string | number | boolean | null | undefined {
  if (typeof header !== 'string') return undefined;
  try {
    const parsed: unknown = JSON.parse(header);
    if (!Array.isArray(parsed) || parsed.length !== 1) return undefined;
    const [value] = parsed as unknown[];
    return value === null || ['string', 'number', 'boolean'].includes(typeof value) ? (value as string | number | boolean | null) : undefined;
  } catch {
    return undefined;
  }
}

function scopeRequests(): void {
  const readItems = readItemsModule.default;
  readItemsModule.default = (req, res, itemsName, fn) => {
    if (itemsName === 'Documents' && String(req.headers['x-ms-cosmos-is-query-plan-request']).toLowerCase() === 'true') return Promise.resolve(QUERY_PLAN);
    return request.run({ partition: partitionOf(req.headers['x-ms-documentdb-partitionkey']) }, () => readItems(req, res, itemsName, fn));
  };
}

/** The documents a query runs over, in `_rid` order: the container's, or one partition's. */
function documentsOf(items: ItemsMap, partition: unknown): StoredItem[] {
  // Counting first: the index is kept by the counting map's writes.
  counted(items._data);
  return documentsInRidOrder(items, partition);
}

/** The container as the library's query sees it, holding only these documents. */
function viewOf(items: ItemsMap, documents: StoredItem[]): ItemsMap {
  const view = Object.create(items) as ItemsMap;
  // The library reads `[...this._data.values()]`, which an array answers too.
  view._data = documents as unknown as ItemsMap['_data'];
  return view;
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

/** How the query combines over chunks (the library's parse, cached per container), or undefined. */
function shapeOfQuery(items: ItemsMap, body: QueryBody | undefined): ReturnType<typeof shapeOf> {
  if (typeof body?.query !== 'string') return undefined;
  const parsed = items._getQuery(body.query);
  return shapeOf(parsed.ast, parsed.code);
}

/** Keeps a result for later pages, dropping results of other versions (a chunked run ends later than it started). */
function keep(items: ItemsMap, entry: Kept): void {
  const others = (kept.get(items) ?? []).filter((other) => other.key !== entry.key && other.version === entry.version);
  others.push(entry);
  kept.set(items, others.slice(-MAX_KEPT));
}

export function fastPaging(): void {
  scopeRequests();
  // Every documents map is indexed from its first write on (`cosmos-index.ts`), so a large one is never indexed in one pass at a query.
  const set = itemsPrototype._set;
  itemsPrototype._set = function indexed(this: ItemsMap, data) {
    if (kindOf(this) === 'docs') {
      counted(this._data);
      ensureIndexed(this);
    }
    return set.call(this, data);
  };
  const paginate = helpers.paginate;
  helpers.paginate = function capture(collection, maxItemCount, continuation, getRid, ...orders) {
    captured = { collection, getRid, orders };
    return paginate(collection, maxItemCount, continuation, getRid, ...orders);
  };
  // Outside the capture: a chunk's rows are not a result to keep.
  installChunkSinks();
  const query = itemsPrototype.query;
  itemsPrototype.query = function paged(this: ItemsMap, ...args: unknown[]) {
    const [body, options] = args as [QueryBody, PageOptions | undefined];
    const partition = request.getStore()?.partition;
    const key = JSON.stringify([body?.query, body?.parameters ?? [], partition ?? null]);
    const version = versionOf(this);
    const list = (kept.get(this) ?? []).filter((entry) => entry.version === version);
    kept.set(this, list);
    const live = Boolean(this._parent.read());
    const keepRun = ({ answer, run, version: started }: Outcome) => {
      // Only a whole result, over the container as it still is, serves a later page.
      if (run?.complete && versionOf(this) === started && (answer as { continuation?: unknown } | null)?.continuation) {
        keep(this, { key, version: started, collection: run.collection, getRid: run.getRid, orders: run.orders });
      }
      return answer;
    };
    // A query run in chunks that ran out of its page's time goes on where it stopped.
    const resumed = live ? resumeInChunks(options?.continuation, key) : undefined;
    if (resumed) return resumed.then(keepRun);
    // A container deleted meanwhile answers as the library does (null: 404).
    const found = options?.continuation && live ? list.find((entry) => entry.key === key) : undefined;
    if (found) return paginate(found.collection, options?.maxItemCount, options?.continuation, found.getRid, ...found.orders);
    // In a request (which awaits its answer) a query over documents runs in chunks; see `cosmos-chunks.ts`.
    const shape = live && request.getStore() && kindOf(this) === 'docs' ? shapeOfQuery(this, body) : undefined;
    if (shape) {
      // In `_rid` order: a page without ORDER BY (the library's order then) starts at its continuation.
      const documents = documentsOf(this, partition);
      const byRid = shape.kind === 'rows' && !shape.ordered;
      const start = byRid && shape.top === undefined ? seekTo(documents, options?.continuation) : 0;
      const outcome = runInChunks(this, query, { body, options: options ?? {}, key, version }, documents, shape, start);
      return outcome instanceof Promise ? outcome.then(keepRun) : keepRun(outcome);
    }
    captured = undefined;
    // A deleted container (no parent) answers as the library does: null, a 404.
    const scope = partition !== undefined && live ? viewOf(this, documentsOf(this, partition)) : this;
    const answer = query.apply(scope, args) as { continuation?: unknown } | null;
    const run = takeCaptured();
    // Only a query with more pages is worth keeping; the next page asks with a continuation.
    if (run && answer?.continuation) keep(this, { key, version, ...run });
    return answer;
  };
}
