import { randomUUID } from 'node:crypto';
import { errors } from '../errors';
import { findJob } from '../jobs/job.service';
import { sha256 } from './cache.service';
import {
  deleteIdempotencyRecord,
  type IdempotencyRecord,
  insertIdempotencyRecord,
  readIdempotencyRecord,
  replaceIdempotencyRecord,
} from './idempotency.repository';

/**
 * `Idempotency-Key` (draft-ietf-httpapi-idempotency-key-header): the same key with the same request
 * returns the job the first request created; the same key with a different request is 422; a key
 * whose first request is still being processed is 409. Keys are scoped to their caller (caller B's
 * key "abc" is not caller A's) and forgotten after a day (the container's TTL).
 */
export const IDEMPOTENCY_HEADER = 'Idempotency-Key';

/** A claim whose job never appeared (the process died between claim and job) is taken over after this. */
const ABANDONED_AFTER_MS = 60_000;

/** The key from the header: a structured-field string (`"8e03…"`) or, leniently, a bare token. */
export function parseIdempotencyKey(header: string | null): string | undefined {
  if (header === null) return undefined;
  const trimmed = header.trim();
  const quoted = /^"((?:[^"\\]|\\.)*)"$/.exec(trimmed);
  const key = quoted ? (quoted[1] ?? '').replace(/\\(.)/g, '$1') : trimmed;
  if (key.length < 1 || key.length > 255 || !/^[\x20-\x7e]+$/.test(key)) {
    throw errors.invalidField('/headers/idempotency-key', 'must be 1–255 printable ASCII characters (a quoted string, e.g. "3f6c…")');
  }
  return key;
}

export type Claim = { kind: 'new'; jobId: string; release(): Promise<void> } | { kind: 'replay'; jobId: string };

/**
 * Claims `key` for this request. `fingerprint` identifies the request (model, body, deadline header):
 * a replay must match it.
 */
export async function claimIdempotencyKey(principalId: string, key: string, fingerprint: string): Promise<Claim> {
  const id = sha256(`${principalId}\n${key}`);
  const fresh = (): IdempotencyRecord => ({
    id,
    docType: 'idempotencyKey',
    principalId,
    fingerprint,
    jobId: randomUUID(),
    createdAt: new Date().toISOString(),
  });
  const claimed = (record: IdempotencyRecord): Claim => ({ kind: 'new', jobId: record.jobId, release: () => deleteIdempotencyRecord(id) });
  for (let attempt = 0; attempt < 3; attempt++) {
    const record = fresh();
    if (await insertIdempotencyRecord(record)) return claimed(record);
    const existing = await readIdempotencyRecord(id);
    if (!existing) continue;
    if (existing.record.fingerprint !== fingerprint) {
      throw errors.unprocessable(`The ${IDEMPOTENCY_HEADER} was already used for a different request; use a new key for a new request.`);
    }
    if (await findJob(existing.record.jobId)) return { kind: 'replay', jobId: existing.record.jobId };
    if (Date.now() - Date.parse(existing.record.createdAt) < ABANDONED_AFTER_MS) {
      throw errors.conflict(`A request with this ${IDEMPOTENCY_HEADER} is still being processed; retry in a moment.`);
    }
    const takeover = fresh();
    if (await replaceIdempotencyRecord(takeover, existing.etag)) return claimed(takeover);
  }
  throw errors.conflict(`A request with this ${IDEMPOTENCY_HEADER} is still being processed; retry in a moment.`);
}
