import type { ItemsMap, StoredItem } from './cosmos-store';

/**
 * Long queries run a chunk of documents at a time, yielding to the event loop between chunks, so a
 * health probe, a point read or a short query arriving meanwhile is answered between two chunks
 * instead of after the whole query (the server is one thread; a grouped stats query over a large
 * dataset held it for seconds and the health check behind it answered `degraded`).
 *
 * Why chunks on the one thread, not worker threads: the documents live in this thread's maps; a
 * worker would need a copy of every document (structured clone per query, or a replica kept in step
 * with every write, the journal, TTL and strict mode), costing more than the queries it would move.
 * Chunks need no copy and no new consistency rules: a chunk runs the library's own compiled query
 * over a slice of the documents, and the slices' outputs are combined exactly as the library would
 * have combined them over all documents at once:
 *
 * - rows without ORDER BY: concatenated in `_rid` order (the library's order without ORDER BY), which
 *   also lets a page stop once it has one row more than it answers, and a later page start at its
 *   continuation's `_rid` instead of at the first document (see `seekTo`);
 * - rows with ORDER BY: concatenated, then sorted by the library's own sort (rows are tagged with
 *   their documents, so the sort reads the same keys and breaks ties by `_rid` as the library does);
 * - aggregates and GROUP BY: every chunk folds its rows into the same accumulators
 *   (`aggregateInto`, patched into the library), projected once at the end.
 *
 * The documents of a run are the ones its container held when it started (stored items are replaced,
 * never changed in place), so a write landing between two chunks is not half-seen. Queries whose rows
 * do not map one to one onto documents (JOIN, FROM a sub-path, subqueries) run whole, as before.
 */

type Paginate = (collection: unknown[], maxItemCount: number | null | undefined, continuation: unknown, getRid: unknown, ...orders: unknown[]) => unknown;
type Groups = Map<string, unknown>;

interface Helpers {
  paginate: Paginate;
  sort(collection: unknown[], getRid: unknown, compositeIndexes: unknown, ...orders: unknown[]): unknown[];
  aggregateGroups(rows: unknown[], key: unknown, specs: unknown, project: unknown): unknown[];
  aggregateInto(groups: Groups, rows: unknown[], key: unknown, specs: unknown): Groups;
  projectGroups(groups: Groups, project: unknown): unknown[];
  stripUndefined(value: unknown): unknown;
}

const helpers = require('@zeit/cosmosdb-query/lib/helpers') as Helpers;
const tokens = require('@zeit/cosmosdb-query/lib/continuation-token') as { decode(token: string): { RID?: unknown } };
const { SyntaxError: QuerySyntaxError } = require('@zeit/cosmosdb-query') as { SyntaxError: new (message: string, expected: null, found: null, location: null) => Error };

/** How a query's output over chunks combines into its output over all documents. */
export type Shape = { kind: 'aggregate' } | { kind: 'rows'; ordered: boolean; top: number | undefined };

interface AstNode {
  type?: string;
  [key: string]: unknown;
}

function countSelects(node: unknown): number {
  if (!node || typeof node !== 'object') return 0;
  let count = (node as AstNode).type === 'select_query' ? 1 : 0;
  for (const value of Object.values(node)) count += countSelects(value);
  return count;
}

/** The shape of a parsed query (the library's AST), or undefined for one that must run whole. */
export function shapeOf(ast: unknown, code: string): Shape | undefined {
  const body = (ast as { body?: AstNode }).body;
  if (body?.type !== 'select_query' || countSelects(body) !== 1) return undefined;
  const from = body.from as { joins?: unknown[]; source?: { expression?: AstNode } } | null;
  if (!from || from.joins?.length || from.source?.expression?.type !== 'collection_expression') return undefined;
  if (code.includes('$h.aggregateGroups(')) return { kind: 'aggregate' };
  if (!code.includes('$h.paginate(')) return undefined;
  const top = body.top as { value?: AstNode } | null;
  if (top && top.value?.type !== 'number_constant') return undefined;
  return { kind: 'rows', ordered: Boolean(body.orderBy), top: top ? Number(top.value?.value) : undefined };
}

/** What the library's paginator or aggregator was handed by a chunk, instead of doing its work. */
interface Sink {
  rows: unknown[];
  getRid?: unknown;
  orders: unknown[];
  groups: Groups;
  project?: unknown;
}

let sink: Sink | undefined;

/** Diverts the library's last step (paginate, aggregate) into `sink` while a chunk runs. */
export function installChunkSinks(): void {
  const paginate = helpers.paginate;
  helpers.paginate = function collect(collection, maxItemCount, continuation, getRid, ...orders) {
    if (!sink) return paginate(collection, maxItemCount, continuation, getRid, ...orders);
    for (const row of collection) sink.rows.push(row);
    sink.getRid = getRid;
    sink.orders = orders;
    return { result: [], continuation: null };
  };
  const aggregateGroups = helpers.aggregateGroups;
  helpers.aggregateGroups = function fold(rows, key, specs, project) {
    if (!sink) return aggregateGroups(rows, key, specs, project);
    helpers.aggregateInto(sink.groups, rows, key, specs);
    sink.project = project;
    return [];
  };
}

type Query = (this: ItemsMap, ...args: unknown[]) => unknown;

interface PageOptions {
  maxItemCount?: number | null;
  continuation?: unknown;
}

/** What a finished rows run handed the paginator: what a later page of the same query can reuse. */
export interface RowsRun {
  collection: unknown[];
  getRid: unknown;
  orders: unknown[];
  /** False when the run stopped early: the collection is not the query's whole result. */
  complete: boolean;
}

const FIRST_CHUNK = 500;
/** About 10–30 ms of work on a busy core: the longest a request waits behind a running query. */
const MAX_CHUNK = 8_000;

/** Counts the documents queries read in chunks, for tests that check a page reads fewer. */
export const chunkStats = { documents: 0 };

class ChunkedRun {
  private readonly sink: Sink = { rows: [], orders: [], groups: new Map() };
  private next: number;
  private size = FIRST_CHUNK;

  constructor(
    private readonly items: ItemsMap,
    private readonly query: Query,
    private readonly body: unknown,
    private readonly options: PageOptions,
    private readonly docs: readonly StoredItem[],
    private readonly shape: Shape,
    start: number,
  ) {
    this.next = start;
  }

  /** Runs one chunk; true when the run has all it needs. */
  step(): boolean {
    const chunk = this.docs.slice(this.next, this.next + this.size);
    this.next += chunk.length;
    this.size = Math.min(this.size * 2, MAX_CHUNK);
    chunkStats.documents += chunk.length;
    const view = Object.create(this.items) as ItemsMap;
    // The library reads `[...this._data.values()]`, which an array answers too.
    view._data = chunk as unknown as ItemsMap['_data'];
    sink = this.sink;
    try {
      this.query.call(view, this.body, { maxItemCount: null, continuation: null });
    } finally {
      sink = undefined;
    }
    return this.next >= this.docs.length || this.enough();
  }

  /** A page without ORDER BY is cut from the rows in `_rid` order: one more row than it answers is enough. */
  private enough(): boolean {
    if (this.shape.kind !== 'rows' || this.shape.ordered) return false;
    if (this.shape.top !== undefined) return this.sink.rows.length >= this.shape.top;
    const max = this.options.maxItemCount;
    return typeof max === 'number' && max > 0 && this.sink.rows.length > max;
  }

  answer(): { answer: unknown; run?: RowsRun } {
    const { sink, shape } = this;
    if (shape.kind === 'aggregate') return { answer: { result: helpers.stripUndefined(helpers.projectGroups(sink.groups, sink.project)), continuation: null } };
    let collection = sink.rows;
    if (shape.ordered) collection = sortRows(collection, sink.getRid, sink.orders);
    if (shape.top !== undefined) collection = collection.slice(0, shape.top);
    const run = { collection, getRid: sink.getRid, orders: sink.orders, complete: this.next >= this.docs.length || shape.ordered };
    return { answer: helpers.paginate(collection, this.options.maxItemCount, this.options.continuation, sink.getRid, ...sink.orders), run };
  }
}

/** Rows are `[projection, context]`; the library sorts contexts (its ORDER BY keys read them). */
function sortRows(rows: unknown[], getRid: unknown, orders: unknown[]): unknown[] {
  const byContext = new Map<unknown, unknown>();
  for (const row of rows) byContext.set((row as unknown[])[1], row);
  // No composite-index check (null): every chunk passed it already.
  return helpers.sort([...byContext.keys()], getRid, null, ...orders).map((context) => byContext.get(context));
}

/** Where a page without ORDER BY starts in `_rid`-sorted documents: at its continuation's `_rid`. */
export function seekTo(sorted: readonly StoredItem[], continuation: unknown): number {
  const token = (continuation as { token?: unknown } | null)?.token;
  if (typeof token !== 'string') return 0;
  const rid = tokens.decode(token).RID;
  if (typeof rid !== 'string') return 0;
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    const candidate = sorted[middle]?.read()?._rid;
    if (typeof candidate === 'string' && candidate < rid) low = middle + 1;
    else high = middle;
  }
  return low;
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** What a query answers: the page, and for rows the run a later page may reuse. */
export interface Outcome {
  answer: unknown;
  run?: RowsRun;
  /** The container's version when the run started. */
  version: string;
}

interface Suspended {
  /** The query (SQL, parameters, partition) the run belongs to: a continuation resumes only its own query. */
  key: string;
  version: string;
  run: ChunkedRun;
}

/**
 * Cosmos DB ends a query page after a few seconds of execution and answers what it has (for an
 * aggregate: nothing) with a continuation; the SDK and `shared/azure/cosmos.ts` read on. Here too:
 * a query still running after `pageBudgetMs` answers an empty page whose continuation names the
 * suspended run, so no request outlives the SDK's 10 s timeout however large the partition.
 */
export const chunkSettings = { pageBudgetMs: 3_000 };
const RESUME = '+CHUNKS:';
/** Suspended runs hold their documents' list; a client that never reads on leaves one behind. */
const MAX_SUSPENDED = 8;
const suspended = new Map<string, Suspended>();
let suspensions = 0;

function suspend(entry: Suspended): Outcome {
  suspensions += 1;
  const id = String(suspensions);
  suspended.set(id, entry);
  for (const old of suspended.keys()) {
    if (suspended.size <= MAX_SUSPENDED) break;
    suspended.delete(old);
  }
  return { answer: { result: [], continuation: { token: `${RESUME}${id}`, range: { min: '', max: 'FF' } } }, version: entry.version };
}

/** The handler turns only the library's syntax errors into 400 once a query has gone asynchronous. */
export function asBadRequest(error: unknown): Error {
  return new QuerySyntaxError(error instanceof Error ? error.message : String(error), null, null, null);
}

async function drive(entry: Suspended): Promise<Outcome> {
  const began = performance.now();
  try {
    while (!entry.run.step()) {
      if (performance.now() - began >= chunkSettings.pageBudgetMs) return suspend(entry);
      await yieldToEventLoop();
    }
    return { ...entry.run.answer(), version: entry.version };
  } catch (error) {
    // A later chunk's error is the same kind of bad query as a first chunk's.
    throw asBadRequest(error);
  }
}

/**
 * Runs `query` over `docs` from `start` in chunks. The first chunk runs before this returns, so a
 * small query answers synchronously and a bad one throws as the library throws; a longer one
 * answers a promise (the server's handler awaits it).
 */
export function runInChunks(
  items: ItemsMap,
  query: Query,
  request: { body: unknown; options: PageOptions; key: string; version: string },
  docs: readonly StoredItem[],
  shape: Shape,
  start: number,
): Outcome | Promise<Outcome> {
  const run = new ChunkedRun(items, query, request.body, request.options, docs, shape, start);
  if (run.step()) return { ...run.answer(), version: request.version };
  const entry = { key: request.key, version: request.version, run };
  return yieldToEventLoop().then(() => drive(entry));
}

/** Resumes the run a continuation of ours names; undefined for any other continuation. */
export function resumeInChunks(continuation: unknown, key: string): Promise<Outcome> | undefined {
  const token = (continuation as { token?: unknown } | null)?.token;
  if (typeof token !== 'string' || !token.startsWith(RESUME)) return undefined;
  const id = token.slice(RESUME.length);
  const entry = suspended.get(id);
  if (!entry || entry.key !== key) return Promise.reject(asBadRequest('The continuation token has expired; run the query again.'));
  suspended.delete(id);
  return drive(entry);
}
