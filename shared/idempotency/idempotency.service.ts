import { RETRY, retryOnConflict } from '../azure/store';
import { AppError, errors } from '../errors';
import { sha256 } from '../hash';
import {
  deleteIdempotencyRecord,
  insertIdempotencyRecord,
  readIdempotencyRecord,
  replaceIdempotencyRecord,
} from './idempotency.repository';
import type { IdempotencyRecord } from './idempotency.schema';
import { seal, type SealContext, unseal } from './idempotency.seal';

/**
 * `Idempotency-Key` (draft-ietf-httpapi-idempotency-key-header) for any create: the same key with the
 * same request returns what the first request created; the same key with a different request is 422;
 * a key whose first request is still being processed is 409 with Retry-After. Keys are scoped to their
 * caller (caller B's key "abc" is not caller A's) and forgotten after the record's TTL.
 */
export const IDEMPOTENCY_HEADER = 'Idempotency-Key';

/**
 * The path of the key in the input of a service that takes one (`idempotencyKey`): its field errors
 * name it so, and the HTTP edge places them at the header (`withIdempotencyKey`).
 */
export const IDEMPOTENCY_KEY_PATH = '/idempotencyKey';

/** A claim whose resource never appeared (the process died between claim and create) is taken over after this. */
const ABANDONED_AFTER_MS = 60_000;

export interface ClaimRequest<T> {
  principalId: string;
  key: string;
  /** Identifies the request (operation and body): a replay must match it. */
  fingerprint: string;
  /** The id the new resource will be created with. */
  resourceId: string;
  /** Something a replay must give back that must not be stored readable (a created key's secret): kept sealed. */
  secret?: string;
  /** Seconds the record is kept; default: the container's (a day). */
  ttlSeconds?: number;
  /** The resource a claim names, once its first request has created it. */
  find(resourceId: string): Promise<T | undefined>;
}

export type Claim<T> =
  | { kind: 'new'; release(): Promise<void> }
  | { kind: 'replay'; resourceId: string; resource: T; secret: string | undefined };

/** The record id: the key is never stored, only this digest of it with its caller. */
function recordIdOf(principalId: string, key: string): string {
  return sha256(`${principalId}\n${key}`);
}

/** 409 for a duplicate that arrived while the first request is still at work: it usually ends within a second. */
function stillInProgress(): AppError {
  const conflict = errors.conflict(`A request with this ${IDEMPOTENCY_HEADER} is still being processed; retry in a moment.`);
  return new AppError({ ...conflict, headers: { 'Retry-After': '1' } });
}

/** 422 for a key sent again with another request, naming the key as validation errors name fields. */
function keyReused(): AppError {
  const detail = `The ${IDEMPOTENCY_HEADER} was already used for a different request; use a new key for a new request.`;
  const reused = { pointer: IDEMPOTENCY_KEY_PATH, message: 'was already used for a different request' };
  return new AppError({ ...errors.unprocessable(detail), errors: [reused], inputRelative: true });
}

function newRecord<T>(id: string, request: ClaimRequest<T>): IdempotencyRecord {
  const context: SealContext = { principalId: request.principalId, key: request.key, resourceId: request.resourceId };
  return {
    id,
    docType: 'idempotencyKey',
    principalId: request.principalId,
    fingerprint: request.fingerprint,
    resourceId: request.resourceId,
    ...(request.secret === undefined ? {} : { sealed: seal(request.secret, context) }),
    createdAt: new Date().toISOString(),
    ...(request.ttlSeconds === undefined ? {} : { ttl: request.ttlSeconds }),
  };
}

function openSecret(record: IdempotencyRecord, key: string): string | undefined {
  if (!record.sealed) return undefined;
  try {
    return unseal(record.sealed, { principalId: record.principalId, key, resourceId: record.resourceId });
  } catch (error) {
    // Only a record altered in the database fails here: the record id already matched caller and key.
    throw errors.internal(error);
  }
}

/**
 * Claims `request.key` for this request, or finds the request that claimed it first. On `new`, create
 * the resource with `request.resourceId` and `release()` the claim if that definitely failed; on
 * `replay`, answer with `resource` (and the unsealed `secret`) as the first request did.
 *
 * @example const claim = await claimIdempotency({ principalId, key, fingerprint, resourceId: id, find: findJob })
 */
export async function claimIdempotency<T>(request: ClaimRequest<T>): Promise<Claim<T>> {
  const id = recordIdOf(request.principalId, request.key);
  const claimed: Claim<T> = { kind: 'new', release: () => deleteIdempotencyRecord(id) };
  return retryOnConflict<Claim<T>>(async () => {
    if (await insertIdempotencyRecord(newRecord(id, request))) return claimed;
    const existing = await readIdempotencyRecord(id);
    if (!existing) return RETRY;
    const { doc: record } = existing;
    if (record.fingerprint !== request.fingerprint) throw keyReused();
    const resource = await request.find(record.resourceId);
    if (resource !== undefined) {
      return { kind: 'replay', resourceId: record.resourceId, resource, secret: openSecret(record, request.key) };
    }
    if (Date.now() - Date.parse(record.createdAt) < ABANDONED_AFTER_MS) throw stillInProgress();
    return (await replaceIdempotencyRecord(newRecord(id, request), existing.etag)) ? claimed : RETRY;
  }, `The request with this ${IDEMPOTENCY_HEADER}`);
}
