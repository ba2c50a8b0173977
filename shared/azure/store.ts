import type { PatchOperation } from '@azure/cosmos';
import { errors } from '../errors';
import { container, cosmosStatus } from './cosmos';
import type { ContainerName } from './containers';

// The one way repositories talk to Cosmos DB about single documents. Every answer that is a normal
// outcome of optimistic concurrency is a value, never an exception: a missing document is
// `undefined`, a duplicate id on create is `undefined`, a changed ETag is `undefined`. Exceptions are
// left for what the caller cannot act on (throttling past the SDK's retries, timeouts, 413).

/** A document with the ETag it had when read or written. */
export interface Versioned<T> {
  doc: T;
  etag: string;
}

/** Preconditions of a write: the ETag it must still carry, or a Cosmos SQL filter it must pass (patch only). */
export interface WriteCondition {
  ifMatch?: string;
  /** `FROM c WHERE …` — the patch applies only when the stored document matches (412 otherwise). */
  filter?: string;
}

export interface Store<T extends { id: string }> {
  /** The document, or undefined when there is none. */
  read(id: string, partitionKey: string): Promise<Versioned<T> | undefined>;
  /** Creates the document; undefined when its id exists already (Cosmos' 409). */
  create(doc: T): Promise<Versioned<T> | undefined>;
  /** Writes the document whatever is stored. */
  upsert(doc: T): Promise<Versioned<T>>;
  /** Replaces the document only if it still carries `etag`; undefined when it changed or is gone. */
  replaceIfUnchanged(doc: T, etag: string): Promise<Versioned<T> | undefined>;
  /** Patches the document; undefined when it is missing or a condition does not hold. */
  patch(id: string, partitionKey: string, operations: PatchOperation[], condition?: WriteCondition): Promise<Versioned<T> | undefined>;
  /** Deletes the document (only if it still carries `ifMatch`, when given); false when it was missing or changed. */
  remove(id: string, partitionKey: string, ifMatch?: string): Promise<boolean>;
}

type Raw = Record<string, unknown> & { _etag?: string };

/** Statuses that mean "the document is not (any more) as you expected": a value for the caller. */
const NOT_AS_EXPECTED = new Set([404, 409, 412]);

async function unlessNotAsExpected<R>(write: () => Promise<R>): Promise<R | undefined> {
  try {
    return await write();
  } catch (error) {
    const status = cosmosStatus(error);
    if (status !== undefined && NOT_AS_EXPECTED.has(status)) return undefined;
    throw error;
  }
}

function accessCondition(ifMatch: string | undefined) {
  return ifMatch ? { accessCondition: { type: 'IfMatch' as const, condition: ifMatch } } : {};
}

/**
 * The typed store of one container. `parse` turns a stored document into `T` (a zod schema's `parse`
 * strips Cosmos' system properties); `partitionKeyOf` names the partition of a document.
 *
 * @example const imagesets = store('imagesets', (raw) => ImagesetRecord.parse(raw), (doc) => doc.id);
 */
export function store<T extends { id: string }>(name: ContainerName, parse: (raw: unknown) => T, partitionKeyOf: (doc: T) => string): Store<T> {
  const versioned = (raw: Raw | undefined): Versioned<T> | undefined => (raw ? { doc: parse(raw), etag: raw._etag ?? '' } : undefined);
  const written = (raw: Raw | undefined): Versioned<T> => {
    const result = versioned(raw);
    if (!result) throw new Error(`Cosmos DB answered a write to '${name}' without the document`);
    return result;
  };
  return {
    read: async (id, partitionKey) => versioned(await unlessNotAsExpected(async () => (await container(name).item(id, partitionKey).read<Raw>()).resource)),
    create: async (doc) => {
      const raw = await unlessNotAsExpected(async () => (await container(name).items.create<Raw>(doc as unknown as Raw)).resource);
      return raw ? written(raw) : undefined;
    },
    upsert: async (doc) => written((await container(name).items.upsert<Raw>(doc as unknown as Raw)).resource as Raw | undefined),
    replaceIfUnchanged: async (doc, etag) => {
      const raw = await unlessNotAsExpected(
        async () => (await container(name).item(doc.id, partitionKeyOf(doc)).replace<Raw>(doc as unknown as Raw, accessCondition(etag))).resource,
      );
      return raw ? written(raw) : undefined;
    },
    patch: async (id, partitionKey, operations, condition = {}) => {
      const body = condition.filter ? { operations, condition: condition.filter } : operations;
      const raw = await unlessNotAsExpected(
        async () => (await container(name).item(id, partitionKey).patch<Raw>(body, accessCondition(condition.ifMatch))).resource,
      );
      return raw ? written(raw) : undefined;
    },
    remove: async (id, partitionKey, ifMatch) =>
      (await unlessNotAsExpected(async () => {
        await container(name).item(id, partitionKey).delete(accessCondition(ifMatch));
        return true;
      })) ?? false,
  };
}

/** What a read-modify-write step returns to be run again (someone wrote in between). */
export const RETRY = Symbol('retry');

/** How often a read-modify-write is tried before the caller is told to come back: ample for honest contention. */
export const CONFLICT_ATTEMPTS = 10;

/** A random pause that grows with the attempt, so racing writers stop colliding in lock-step. */
function backoff(attempt: number): Promise<void> {
  const ms = Math.random() * Math.min(200, 5 * 2 ** attempt);
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Runs one optimistic read-modify-write `step` until it returns something other than `RETRY`. When
 * every attempt lost a race the caller gets 503 with `Retry-After` (the write did not happen).
 *
 * @example
 * const next = await retryOnConflict(async () => {
 *   const current = await campaigns.read(id, id);
 *   if (!current) throw errors.notFound('campaign', id);
 *   return (await campaigns.replaceIfUnchanged(change(current.doc), current.etag)) ?? RETRY;
 * });
 */
export async function retryOnConflict<T>(step: (attempt: number) => Promise<T | typeof RETRY>, what = 'The resource'): Promise<T> {
  for (let attempt = 0; attempt < CONFLICT_ATTEMPTS; attempt++) {
    if (attempt > 0) await backoff(attempt);
    const result = await step(attempt);
    if (result !== RETRY) return result;
  }
  throw errors.unavailable(`${what} is being changed by others right now; try again.`, 1);
}
