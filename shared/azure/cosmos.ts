import type { Agent } from 'node:https';
import type { Container, CosmosClient, Database, ErrorResponse, ItemDefinition, PatchOperation, SqlQuerySpec } from '@azure/cosmos';
import { config } from '../config';
import { AppError, errors } from '../errors';
import { CONTAINERS, type ContainerName } from './containers';
import { azureCredential } from './credential';
import { lazyRequire } from './load';

let client: CosmosClient | undefined;

/**
 * No Cosmos call may hang a request: each HTTP try gives up after this (the SDK's default is 60 s,
 * longer than a caller waits). A timed-out call surfaces as 503 (shared/http/problem.ts).
 */
export const COSMOS_REQUEST_TIMEOUT_MS = 10_000;

function parseConnectionString(connectionString: string): { endpoint: string; key: string } {
  const parts = new Map(
    connectionString
      .split(';')
      .filter(Boolean)
      .map((part) => {
        const at = part.indexOf('=');
        return [part.slice(0, at).toLowerCase(), part.slice(at + 1)] as const;
      }),
  );
  return { endpoint: parts.get('accountendpoint') ?? '', key: parts.get('accountkey') ?? '' };
}

function isLoopback(endpoint: string): boolean {
  const host = new URL(endpoint).hostname;
  return host === 'localhost' || host === '::1' || host === '[::1]' || host.startsWith('127.');
}

/** The one CosmosClient of the process, created on first use. */
export function cosmosClient(): CosmosClient {
  if (client) return client;
  const { CosmosClient: Client } = lazyRequire<typeof import('@azure/cosmos')>('@azure/cosmos');
  const settings = config().cosmos;
  if (settings.kind === 'identity') {
    client = new Client({
      endpoint: settings.endpoint,
      aadCredentials: azureCredential(),
      connectionPolicy: { requestTimeout: COSMOS_REQUEST_TIMEOUT_MS },
    });
    return client;
  }
  const { endpoint, key } = parseConnectionString(settings.connectionString);
  // The local emulators serve a self-signed certificate; trust it only on loopback and only when asked.
  let agent: Agent | undefined;
  if (settings.allowSelfSigned && isLoopback(endpoint)) {
    const https = lazyRequire<typeof import('node:https')>('node:https');
    agent = new https.Agent({ rejectUnauthorized: false, keepAlive: true });
  }
  client = new Client({
    endpoint,
    key,
    agent,
    connectionPolicy: { enableEndpointDiscovery: false, requestTimeout: COSMOS_REQUEST_TIMEOUT_MS },
  });
  return client;
}

export function database(): Database {
  return cosmosClient().database(config().cosmos.database);
}

export function container(name: ContainerName): Container {
  return database().container(CONTAINERS[name].id);
}

/** The HTTP status of a Cosmos error, or undefined for anything else. */
export function cosmosStatus(error: unknown): number | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error) {
    const code = (error as ErrorResponse).code;
    return typeof code === 'number' ? code : undefined;
  }
  return undefined;
}

/**
 * Whether a failed Cosmos write may still have happened: no answer (connection reset, timeout) or a
 * 408/503 say nothing about it, and the SDK never retries a create. Any other status, and any error
 * of ours, means it did not.
 */
export function writeMayHaveHappened(error: unknown): boolean {
  if (error instanceof AppError) return false;
  const status = cosmosStatus(error);
  return status === undefined || status === 408 || status === 503;
}

export interface Page<T> {
  items: T[];
  continuation: string | undefined;
}

/** The part of the SDK's QueryIterator the paging and aggregate loops use. */
export interface PageSource<T> {
  fetchNext(): Promise<{ resources: T[]; continuationToken?: string }>;
  hasMoreResults(): boolean;
}

/**
 * How many reads one page may take. A cross-partition query with query control reads one partition
 * range per `fetchNext`, so ranges without a match give empty pages that still carry a continuation;
 * the bound keeps a sparse filter over many ranges from holding a request open (the caller then
 * gets an empty page with a cursor to resume from, the only case it does).
 */
export const MAX_EMPTY_PAGE_READS = 16;

/** The first page with items, or the end: reads past empty pages that carry a continuation. */
export async function readNonEmptyPage<T>(iterator: PageSource<T>): Promise<Page<T>> {
  let response = await iterator.fetchNext();
  for (let reads = 1; reads < MAX_EMPTY_PAGE_READS; reads += 1) {
    if (response.resources.length > 0 || !response.continuationToken || !iterator.hasMoreResults()) break;
    response = await iterator.fetchNext();
  }
  return { items: response.resources, continuation: response.continuationToken ?? undefined };
}

/**
 * A `SELECT VALUE COUNT(…)`/`SUM(…)` over every page: a query the SDK does not plan may return
 * partial aggregates page by page (and empty pages before them), so reading only the first page
 * can undercount. Counts and sums add up.
 */
export async function readAggregateTotal(iterator: PageSource<number>): Promise<number> {
  let total = 0;
  while (iterator.hasMoreResults()) {
    for (const value of (await iterator.fetchNext()).resources) total += value;
  }
  return total;
}

/**
 * The one row of an aggregate query without VALUE (`SELECT COUNT(1) AS n, MIN(…) AS lo0 …`). Such
 * a query is only valid unplanned, that is within one partition, where Cosmos returns one row
 * (possibly after empty pages). Several rows would be partial aggregates that cannot be combined
 * safely (MIN, MAX and per-column counts mix), so that is an error, not a guess.
 */
export async function readAggregateRow<T extends object>(iterator: PageSource<T>): Promise<T | undefined> {
  const rows: T[] = [];
  while (iterator.hasMoreResults()) rows.push(...(await iterator.fetchNext()).resources);
  if (rows.length > 1) throw new Error(`aggregate query returned ${rows.length} partial rows; it must run within one partition`);
  return rows[0];
}

/**
 * `SELECT VALUE COUNT(…)` or `SUM(…)` within one partition. The partition key is required: with it
 * the SDK sends the query to that partition as written instead of planning it.
 */
export function aggregateTotal(target: Container, query: SqlQuerySpec, partitionKey: string): Promise<number> {
  return readAggregateTotal(target.items.query<number>(query, { partitionKey }));
}

/** An aggregate row (several aggregates, no VALUE) within one partition; see readAggregateRow. */
export function aggregateRow<T extends object>(target: Container, query: SqlQuerySpec, partitionKey: string): Promise<T | undefined> {
  return readAggregateRow(target.items.query<T>(query, { partitionKey }));
}

/** The rows of a GROUP BY aggregate within one partition, every page read (one row per group). */
export async function aggregateRows<T extends object>(target: Container, query: SqlQuerySpec, partitionKey: string): Promise<T[]> {
  const iterator = target.items.query<T>(query, { partitionKey });
  const rows: T[] = [];
  while (iterator.hasMoreResults()) rows.push(...(await iterator.fetchNext()).resources);
  return rows;
}

/**
 * The documents with these ids in one logical partition (missing ones are simply absent): one
 * single-partition query per 200 ids, so a batch of a few thousand stays a handful of requests.
 *
 * @example const images = await readByIds('images', imagesetId, ids, (raw) => ImageRecord.parse(raw));
 */
export async function readByIds<T>(name: ContainerName, partitionKey: string, ids: readonly string[], parse: (raw: unknown) => T): Promise<T[]> {
  const found: T[] = [];
  for (let start = 0; start < ids.length; start += 200) {
    const { resources } = await container(name)
      .items.query({ query: 'SELECT * FROM c WHERE ARRAY_CONTAINS(@ids, c.id)', parameters: [{ name: '@ids', value: ids.slice(start, start + 200) }] }, { partitionKey })
      .fetchAll();
    found.push(...resources.map(parse));
  }
  return found;
}

/**
 * One page of a query, with the continuation token capped in size (ARCHITECTURE.md 12). Never an
 * empty page with a cursor while a bounded number of reads finds items (readNonEmptyPage).
 *
 * @example const page = await queryPage(container('jobs'), { query, parameters }, { limit: 20 });
 */
export async function queryPage<T>(
  target: Container,
  query: SqlQuerySpec,
  options: { limit: number; continuation?: string; partitionKey?: string; crossPartition?: boolean },
): Promise<Page<T>> {
  const iterator = target.items.query<T>(query, {
    maxItemCount: options.limit,
    continuationToken: options.continuation,
    continuationTokenLimitInKB: 4,
    partitionKey: options.partitionKey,
    // Cross-partition continuation tokens need query control in @azure/cosmos 4.x.
    ...(options.crossPartition ? { enableQueryControl: true } : {}),
  });
  try {
    return await readNonEmptyPage(iterator);
  } catch (error) {
    // A continuation we issued is only refused if it was tampered with or has expired.
    if (options.continuation && cosmosStatus(error) === 400) {
      throw errors.invalidInput('/cursor', 'is not valid any more; start again without a cursor');
    }
    throw error;
  }
}

/** The WHERE of a listing: conditions joined by AND, and their parameters. */
export interface Where {
  conditions: string[];
  parameters: { name: string; value: string }[];
}

/**
 * `c.<field> = @<field>` for each field given a value (undefined: no condition), as a listing's
 * WHERE to extend. Field names come from code, never from a caller; values are parameters.
 *
 * @example whereEqual({ docType: 'campaign', status: filters.status })
 */
export function whereEqual(fields: Record<string, string | undefined>): Where {
  const where: Where = { conditions: [], parameters: [] };
  for (const [field, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    where.conditions.push(`c.${field} = @${field}`);
    where.parameters.push({ name: `@${field}`, value });
  }
  return where;
}

/**
 * One page of the documents `where` selects in `name`, newest first (`createdAt`), across
 * partitions, each parsed.
 *
 * @example await newestFirst('campaigns', whereEqual({ docType: 'campaign' }), { limit: 20 }, (raw) => CampaignRecord.parse(raw))
 */
export async function newestFirst<T>(
  name: ContainerName,
  where: Where,
  page: { limit: number; continuation?: string },
  parse: (raw: unknown) => T,
): Promise<{ items: T[]; continuation: string | undefined }> {
  const { items, continuation } = await queryPage<unknown>(
    container(name),
    { query: `SELECT * FROM c WHERE ${where.conditions.join(' AND ')} ORDER BY c.createdAt DESC`, parameters: where.parameters },
    { ...page, crossPartition: true },
  );
  return { items: items.map(parse), continuation };
}

/** Creates the database and containers: for the local stack only (in Azure, Bicep owns them). */
export async function ensureDatabase(): Promise<void> {
  const { database: db } = await cosmosClient().databases.createIfNotExists({ id: config().cosmos.database });
  for (const definition of Object.values(CONTAINERS)) {
    const defaultTtl = 'defaultTtl' in definition ? definition.defaultTtl : undefined;
    await db.containers.createIfNotExists({ id: definition.id, partitionKey: { paths: [definition.partitionKey] }, defaultTtl });
  }
}

/** Drops the cached client (tests that change the environment, and shutdown). */
export function disposeCosmosClient(): void {
  client?.dispose();
  client = undefined;
}

/** An item as written, with the ETag Cosmos gave it. */
export interface Written {
  resource: unknown;
  etag: string | undefined;
}

/**
 * Replaces an item only if it still carries `etag` (optimistic concurrency); undefined when someone
 * changed or deleted it first, so the caller can re-read and decide.
 *
 * @example const next = await replaceIfUnchanged(container('campaigns'), id, id, record, etag);
 */
export async function replaceIfUnchanged(
  target: Container,
  id: string,
  partitionKey: string,
  record: ItemDefinition,
  etag: string,
): Promise<Written | undefined> {
  try {
    const { resource, etag: next } = await target
      .item(id, partitionKey)
      .replace(record, { accessCondition: { type: 'IfMatch', condition: etag } });
    return { resource, etag: next };
  } catch (error) {
    const status = cosmosStatus(error);
    if (status === 412 || status === 404) return undefined;
    throw error;
  }
}

/** Applies patch operations to an item; undefined when the item does not exist. */
export async function patchIfExists(
  target: Container,
  id: string,
  partitionKey: string,
  operations: PatchOperation[],
): Promise<Written | undefined> {
  try {
    const { resource, etag } = await target.item(id, partitionKey).patch(operations);
    return { resource, etag };
  } catch (error) {
    if (cosmosStatus(error) === 404) return undefined;
    throw error;
  }
}
