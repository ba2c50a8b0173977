import type { IncomingMessage, ServerResponse } from 'node:http';
import { type Doc, type ItemsMap, itemsPrototype, kindOf } from './cosmos-store';

/**
 * Strict mode: the limits of Azure Cosmos DB the embedded server does not have, so tests meet them
 * before Azure does (`npm test` turns it on; `COSMOS_STRICT=1`):
 *
 * - an item over `itemMaxBytes` (Cosmos: 2 MB) is refused with 413 `RequestEntityTooLarge`;
 * - a logical partition may hold `partitionCapBytes` (Cosmos: 20 GB; scaled down here), beyond it a
 *   write is refused with 403, substatus 1014 "Partition key reached maximum size";
 * - document requests spend a budget of `requestUnitsPerSecond` (1 RU each, what the server reports
 *   as their charge); over it they get 429, substatus 3200, with `x-ms-retry-after-ms`. 0: no budget;
 * - every `emptyPageEvery`-th cross-partition query page is answered empty with a continuation that
 *   resumes exactly where the request was, as Cosmos does when a partition range has no match.
 *
 * Pages: https://learn.microsoft.com/azure/cosmos-db/concepts-limits (2 MB item, 20 GB logical
 * partition) and https://learn.microsoft.com/rest/api/cosmos-db/http-status-codes-for-cosmosdb (413,
 * 403, 429). Tests change the limits of a running server with `POST /_strict` (a JSON object of them).
 */
export interface StrictLimits {
  itemMaxBytes: number;
  partitionCapBytes: number;
  requestUnitsPerSecond: number;
  emptyPageEvery: number;
}

const MB = 1024 * 1024;

export const STRICT_DEFAULTS: StrictLimits = {
  itemMaxBytes: 2 * MB,
  // 20 GB scaled down 100×: high enough for every dataset the suite writes.
  partitionCapBytes: 200 * MB,
  requestUnitsPerSecond: 0,
  emptyPageEvery: 3,
};

const ENV: Record<keyof StrictLimits, string> = {
  itemMaxBytes: 'COSMOS_STRICT_ITEM_MAX_BYTES',
  partitionCapBytes: 'COSMOS_STRICT_PARTITION_CAP_BYTES',
  requestUnitsPerSecond: 'COSMOS_STRICT_RU_PER_SECOND',
  emptyPageEvery: 'COSMOS_STRICT_EMPTY_PAGE_EVERY',
};

/** The limits `COSMOS_STRICT=1` and the `COSMOS_STRICT_*` variables ask for; undefined when off. */
export function strictLimitsFromEnv(env: NodeJS.ProcessEnv): StrictLimits | undefined {
  if (env.COSMOS_STRICT !== '1') return undefined;
  const limits = { ...STRICT_DEFAULTS };
  for (const key of Object.keys(ENV) as (keyof StrictLimits)[]) {
    const value = env[ENV[key]];
    if (value === undefined || value === '') continue;
    const number = Number(value);
    if (!Number.isFinite(number) || number < 0) throw new Error(`${ENV[key]} must be a number ≥ 0, not ${value}`);
    limits[key] = number;
  }
  return limits;
}

/** A write strict mode refuses, as Cosmos answers it. */
class Refusal extends Error {
  constructor(
    readonly status: number,
    readonly substatus: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const bytes = (doc: Doc | undefined): number => (doc ? Buffer.byteLength(JSON.stringify(doc)) : 0);

/** Bytes per logical partition of each document map, counted from its contents on first use. */
const partitionBytes = new WeakMap<ItemsMap, Map<string, number>>();

function partitionsOf(items: ItemsMap): Map<string, number> {
  let sizes = partitionBytes.get(items);
  if (!sizes) {
    sizes = new Map();
    for (const item of items._data.values()) {
      const doc = item.read();
      if (doc) add(items, sizes, doc, bytes(doc));
    }
    partitionBytes.set(items, sizes);
  }
  return sizes;
}

function partitionOf(items: ItemsMap, doc: Doc): string {
  return JSON.stringify(items._getPartition(doc) ?? null);
}

function add(items: ItemsMap, sizes: Map<string, number>, doc: Doc, delta: number): void {
  const key = partitionOf(items, doc);
  sizes.set(key, (sizes.get(key) ?? 0) + delta);
}

function check(limits: StrictLimits, items: ItemsMap, data: Doc, replaced: Doc | undefined): void {
  const size = bytes(data);
  if (size > limits.itemMaxBytes) {
    throw new Refusal(413, 0, 'RequestEntityTooLarge', `Message: {"Errors":["Request size is too large"]} (item of ${size} bytes; the limit is ${limits.itemMaxBytes})`);
  }
  const held = partitionsOf(items).get(partitionOf(items, data)) ?? 0;
  if (held - bytes(replaced) + size > limits.partitionCapBytes) {
    throw new Refusal(
      403,
      1014,
      'Forbidden',
      `Message: {"Errors":["Partition key reached maximum size of ${limits.partitionCapBytes} bytes. Learn more: https://aka.ms/CosmosDB/sql/errors/full-pk"]}`,
    );
  }
}

/** Checks every document write before it happens (a refused replace keeps the old document) and counts partition sizes. */
function guardWrites(limits: StrictLimits): void {
  const prototype = itemsPrototype as ItemsMap & { create(data: Doc): Doc; replace(data: Doc, original: Doc): Doc };
  const { create, replace, delete: remove } = prototype;
  prototype.create = function created(this: ItemsMap, data: Doc): Doc {
    if (kindOf(this) !== 'docs') return create.call(this, data);
    check(limits, this, data, undefined);
    const stored = create.call(this, data);
    add(this, partitionsOf(this), stored, bytes(stored));
    return stored;
  };
  prototype.replace = function replaced(this: ItemsMap, data: Doc, original: Doc): Doc {
    if (kindOf(this) !== 'docs') return replace.call(this, data, original);
    check(limits, this, data, this._item('/id', data.id, this._getPartition(data)).read());
    // The library's replace deletes the old document (counted off below) and sets the new one.
    const stored = replace.call(this, data, original);
    add(this, partitionsOf(this), stored, bytes(stored));
    return stored;
  };
  prototype.delete = function deleted(this: ItemsMap, idOrRid: string, partition: unknown): void {
    if (kindOf(this) !== 'docs' || !partitionBytes.has(this)) return remove.call(this, idOrRid, partition);
    const existing = this._item('/id', idOrRid, partition).read();
    remove.call(this, idOrRid, partition);
    if (existing) add(this, partitionsOf(this), existing, -bytes(existing));
  };
}

/**
 * The longest wait a 429 asks for. Cosmos's hints are short; a long one would make the SDK give up at
 * once (its retries stop when their total wait would pass 30 s) instead of retrying.
 */
const MAX_RETRY_AFTER_MS = 500;

/** A bucket of request units, refilled continuously at `rate` per second, holding at most one second's worth. */
class Budget {
  private tokens = 0;
  private at = Date.now();

  constructor(private rate: number) {
    this.tokens = rate;
  }

  setRate(rate: number): void {
    // A new budget starts empty: the next request waits for it (what a test of throttling wants).
    this.rate = rate;
    this.tokens = 0;
    this.at = Date.now();
  }

  /** Milliseconds to wait before a unit is available; 0 when one was taken. */
  take(): number {
    if (this.rate <= 0) return 0;
    const now = Date.now();
    this.tokens = Math.min(this.rate, this.tokens + ((now - this.at) / 1000) * this.rate);
    this.at = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.min(MAX_RETRY_AFTER_MS, Math.max(1, Math.ceil(((1 - this.tokens) / this.rate) * 1000)));
  }
}

/** What the library's router answers: the route's parameters and its handler. */
type Handler = (account: unknown, request: IncomingMessage, response: ServerResponse, params: Record<string, string>) => Promise<unknown>;
type Route = [Record<string, string>, Handler] | undefined;

const EMPTY_MARK = 'strictEmptyPage';

function isDocumentQuery(request: IncomingMessage, params: Record<string, string>): boolean {
  return (
    request.method === 'POST' &&
    params.docId === undefined &&
    /\/docs\/?$/.test(new URL(request.url ?? '/', 'https://x').pathname) &&
    String(request.headers['x-ms-documentdb-isquery'] ?? '').toLowerCase() === 'true'
  );
}

/** A query Cosmos fans out over partition ranges: no partition key, not a query-plan request. */
function isCrossPartitionQuery(request: IncomingMessage): boolean {
  return request.headers['x-ms-documentdb-partitionkey'] === undefined && request.headers['x-ms-cosmos-is-query-plan-request'] === undefined;
}

/**
 * Answers an empty page whose continuation wraps the request's own, and unwraps such a continuation
 * when it comes back (that request is then answered for real): the next page starts where this one would have.
 */
function emptyPageFor(request: IncomingMessage, response: ServerResponse): Record<string, unknown> {
  const continuation = request.headers['x-ms-continuation'];
  response.setHeader('x-ms-continuation', JSON.stringify({ [EMPTY_MARK]: typeof continuation === 'string' ? continuation : null }));
  response.setHeader('x-ms-item-count', '0');
  return { Documents: [], _count: 0 };
}

/** True when the request resumes after an empty page of ours; its continuation is put back as it was. */
function resumesEmptyPage(request: IncomingMessage): boolean {
  const continuation = request.headers['x-ms-continuation'];
  if (typeof continuation !== 'string' || !continuation.includes(EMPTY_MARK)) return false;
  let original: unknown;
  try {
    original = (JSON.parse(continuation) as Record<string, unknown>)[EMPTY_MARK];
  } catch {
    return false;
  }
  if (typeof original === 'string') request.headers['x-ms-continuation'] = original;
  else delete request.headers['x-ms-continuation'];
  return true;
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return chunks.length ? (JSON.parse(Buffer.concat(chunks).toString()) as unknown) : {};
}

/** Turns strict mode on for this process: call before the server takes requests. */
export function enforceStrict(initial: StrictLimits): void {
  const limits = { ...initial };
  guardWrites(limits);
  const budget = new Budget(limits.requestUnitsPerSecond);
  let crossPartitionPages = 0;

  const control: Handler = async (_account, request, response) => {
    if (request.method === 'POST') {
      const changes = (await readJson(request)) as Partial<StrictLimits>;
      for (const key of Object.keys(STRICT_DEFAULTS) as (keyof StrictLimits)[]) {
        if (typeof changes[key] === 'number') limits[key] = changes[key];
      }
      if (typeof changes.requestUnitsPerSecond === 'number') budget.setRate(limits.requestUnitsPerSecond);
    }
    response.statusCode = 200;
    return { ...limits };
  };

  const guarded =
    (handler: Handler): Handler =>
    async (account, request, response, params) => {
      const isDocuments = (request.url ?? '').includes('/docs');
      const wait = isDocuments ? budget.take() : 0;
      if (wait > 0) return refuse(response, new Refusal(429, 3200, 'TooManyRequests', 'Message: {"Errors":["Request rate is large. More Request Units may be needed, so no changes were made. Please retry this request later. Learn more: http://aka.ms/cosmosdb-error-429"]}'), wait);
      if (isDocumentQuery(request, params) && !resumesEmptyPage(request) && isCrossPartitionQuery(request) && limits.emptyPageEvery > 0) {
        crossPartitionPages += 1;
        if (crossPartitionPages % limits.emptyPageEvery === 0) {
          // The body is not needed; read it so the connection stays usable.
          await readJson(request).catch(() => undefined);
          return emptyPageFor(request, response);
        }
      }
      try {
        return withSubstatus(response, await handler(account, request, response, params));
      } catch (error) {
        if (error instanceof Refusal) return refuse(response, error);
        throw error;
      }
    };

  const routes = require('@vercel/cosmosdb-server/lib/routes') as { default: (request: IncomingMessage) => Route };
  const route = routes.default;
  routes.default = (request) => {
    if (new URL(request.url ?? '/', 'https://x').pathname === '/_strict') return [{}, control];
    const found = route(request);
    return found && [found[0], guarded(found[1])];
  };
  wrapDocumentOperations();
}

/** A refusal answered by a wrapped operation carries its substatus in the body; Cosmos sends it as a header. */
function withSubstatus(response: ServerResponse, body: unknown): unknown {
  if (response.statusCode < 400 || typeof body !== 'object' || body === null || !('substatus' in body)) return body;
  const { substatus, ...rest } = body as Record<string, unknown>;
  response.setHeader('x-ms-substatus', String(substatus));
  return rest;
}

function refuse(response: ServerResponse, refusal: Refusal, retryAfterMs?: number): Record<string, unknown> {
  response.statusCode = refusal.status;
  response.setHeader('x-ms-substatus', String(refusal.substatus));
  if (retryAfterMs !== undefined) response.setHeader('x-ms-retry-after-ms', String(retryAfterMs));
  return { code: refusal.code, message: refusal.message };
}

/**
 * The library's create/upsert/replace/patch operations (single requests and each operation of a
 * bulk request) answer a refusal as their own result, so one refused item in a bulk request fails
 * alone, with its status, as in Cosmos.
 */
function wrapDocumentOperations(): void {
  type Operation = (collection: unknown, input: unknown) => { statusCode: number; body?: unknown };
  const modules = [
    require('@vercel/cosmosdb-server/lib/handler/_document-operations') as Record<string, Operation>,
    require('@vercel/cosmosdb-server/lib/handler/_patch-operations') as Record<string, Operation>,
  ];
  for (const module of modules) {
    for (const name of ['createOperation', 'upsertOperation', 'replaceOperation', 'patchOperation']) {
      const operation = module[name];
      if (!operation) continue;
      module[name] = (collection, input) => {
        try {
          return operation(collection, input);
        } catch (error) {
          if (!(error instanceof Refusal)) throw error;
          return { statusCode: error.status, body: { code: error.code, message: error.message, substatus: error.substatus } };
        }
      };
    }
  }
}
