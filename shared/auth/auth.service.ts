import { randomBytes, timingSafeEqual } from 'node:crypto';
import { config } from '../config';
import { errors } from '../errors';
import { sha256 } from '../hash';
import { decodeCursor, type Page } from '../query/cursor';
import { claimIdempotency, IDEMPOTENCY_KEY_PATH } from '../idempotency/idempotency.service';
import { writeMayHaveHappened } from '../azure/cosmos';
import { findApiKey, insertApiKey, listApiKeyRecords, markRevoked } from './apikey.repository';
import {
  ApiKey,
  type ApiKeyRecord,
  type CreateApiKeyBody,
  type CreatedApiKey,
  KeyId,
  type Principal,
  Role,
} from './auth.schema';
import { verifyBearer } from './jwt';

/** Roles each role carries with it: admin can do everything, contributor everything a reader can. */
const IMPLIED: Record<Role, readonly Role[]> = {
  admin: ['admin', 'contributor', 'reader', 'labeller'],
  contributor: ['contributor', 'reader'],
  reader: ['reader'],
  labeller: ['labeller'],
};

export function effectiveRoles(principal: Principal): Set<Role> {
  return new Set(principal.roles.flatMap((role) => IMPLIED[role]));
}

export function hasAnyRole(principal: Principal, required: readonly Role[]): boolean {
  const roles = effectiveRoles(principal);
  return required.some((role) => roles.has(role));
}

export function isAdmin(principal: Principal | undefined): boolean {
  return principal !== undefined && principal.roles.includes('admin');
}

/** SHA-256 is right for secrets of 256 random bits: nothing to brute-force, so no slow hash needed. */
function hashSecret(secret: string): string {
  return sha256(secret);
}

function sameHash(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && timingSafeEqual(left, right);
}

async function principalFromApiKey(header: string): Promise<Principal> {
  const dot = header.indexOf('.');
  const keyId = header.slice(0, dot);
  const secret = header.slice(dot + 1);
  if (dot < 0 || !KeyId.safeParse(keyId).success || secret.length < 16 || secret.length > 128) {
    throw errors.unauthenticated('X-API-Key must be `<keyId>.<secret>`.');
  }
  const record = await findApiKey(keyId);
  // The same answer for unknown, wrong, revoked and expired keys tells an attacker nothing.
  const refused = errors.unauthenticated('The API key is not valid, revoked or expired.');
  if (!record || !sameHash(record.secretHash, hashSecret(secret))) throw refused;
  if (record.revokedAt) throw refused;
  if (record.expiresAt && Date.parse(record.expiresAt) <= Date.now()) throw refused;
  return { id: record.subject, kind: 'apiKey', roles: record.roles, keyId: record.id, scope: record.scope };
}

function rolesFromClaims(claims: Record<string, unknown>): Role[] {
  const claim = claims[config().auth.rolesClaim];
  const values = Array.isArray(claim) ? claim : typeof claim === 'string' ? claim.split(' ') : [];
  return values.flatMap((value) => {
    const parsed = Role.safeParse(value);
    return parsed.success ? [parsed.data] : [];
  });
}

/**
 * The caller behind a request's credentials: `X-API-Key` or `Authorization: Bearer`. Undefined when
 * none were sent; 401 when they were sent and are not valid. `x-ms-client-principal` is never trusted.
 */
export async function authenticate(headers: { get(name: string): string | null }): Promise<Principal | undefined> {
  const apiKey = headers.get('x-api-key');
  if (apiKey) return principalFromApiKey(apiKey.trim());
  const authorization = headers.get('authorization');
  if (!authorization) return undefined;
  const match = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
  if (!match?.[1]) throw errors.unauthenticated('Authorization must be `Bearer <token>`.');
  const claims = await verifyBearer(match[1]);
  if (!claims.sub) throw errors.unauthenticated('The bearer token has no subject.');
  return { id: `oidc:${claims.sub}`, kind: 'jwt', roles: rolesFromClaims(claims) };
}

function toView(record: ApiKeyRecord): ApiKey {
  return ApiKey.parse(record);
}

/** How long a created key can be replayed by its Idempotency-Key: enough for a client's retries, short for a sealed secret. */
export const API_KEY_REPLAY_WINDOW_SECONDS = 3_600;

/**
 * The Idempotency-Key is the only secret guarding a replayable key's sealed secret, so it must not be
 * guessable: at least this long (a UUID is 36).
 */
const MIN_IDEMPOTENCY_KEY_LENGTH = 16;

function assertCreatable(body: CreateApiKeyBody): void {
  if (body.expiresAt && Date.parse(body.expiresAt) <= Date.now()) {
    throw errors.invalidInput('/expiresAt', 'must be in the future');
  }
  if (body.scope && !body.roles.every((role) => role === 'labeller')) {
    throw errors.invalidInput('/scope', 'a campaign scope is only for keys whose only role is labeller');
  }
}

/** A new key's record and its secret, not yet stored. */
function draftApiKey(body: CreateApiKeyBody, createdBy: string): { record: ApiKeyRecord; secret: string } {
  const id = randomBytes(12).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  const record: ApiKeyRecord = {
    id,
    docType: 'apiKey',
    name: body.name,
    subject: body.subject ?? `apikey:${id}`,
    roles: body.roles,
    scope: body.scope,
    secretHash: hashSecret(secret),
    createdAt: new Date().toISOString(),
    createdBy,
    expiresAt: body.expiresAt ? new Date(body.expiresAt).toISOString() : null,
    revokedAt: null,
  };
  return { record, secret };
}

function withSecret(record: ApiKeyRecord, secret: string): CreatedApiKey {
  return { ...toView(record), key: `${record.id}.${secret}` };
}

/** Creates a key for `principal`; the returned `key` is the only time the secret exists outside the caller. */
export async function createApiKey(principal: Principal, body: CreateApiKeyBody): Promise<CreatedApiKey> {
  return issueApiKey(body, principal.id);
}

/**
 * Creates a key on behalf of no caller (the local stack's admin key, made by `npm start`):
 * `createdBy` names who made it.
 */
export async function issueApiKey(body: CreateApiKeyBody, createdBy: string): Promise<CreatedApiKey> {
  assertCreatable(body);
  const { record, secret } = draftApiKey(body, createdBy);
  await insertApiKey(record);
  return withSecret(record, secret);
}

/**
 * Identifies a create request for Idempotency-Key replays: every body field (the mapped type fails to
 * compile when a field is added to the schema and not here), normalised so equivalent bodies match.
 */
function createFingerprint(body: CreateApiKeyBody): string {
  const fields: { [K in keyof Required<CreateApiKeyBody>]: unknown } = {
    name: body.name,
    roles: [...new Set(body.roles)].sort(),
    subject: body.subject ?? null,
    expiresAt: body.expiresAt ? new Date(body.expiresAt).toISOString() : null,
    scope: body.scope?.campaignId ?? null,
  };
  return sha256(JSON.stringify(['createApiKey/1', fields]));
}

export interface CreatedApiKeyResult {
  key: CreatedApiKey;
  /** True when an Idempotency-Key replay returned the key an earlier request created. */
  replayed: boolean;
}

/**
 * Creates a key, safely retryable with an `Idempotency-Key`: the same caller, key and body get the
 * same key with its secret again for an hour (the first answer may have been lost, and the secret is
 * shown only in that answer). The secret waits for the replay sealed under the Idempotency-Key, which
 * is never stored (shared/idempotency). Without a key, every request creates a key.
 */
export async function createApiKeyIdempotently(
  principal: Principal,
  body: CreateApiKeyBody,
  idempotencyKey: string | undefined,
): Promise<CreatedApiKeyResult> {
  const createdBy = principal.id;
  if (idempotencyKey === undefined) return { key: await issueApiKey(body, createdBy), replayed: false };
  if (idempotencyKey.length < MIN_IDEMPOTENCY_KEY_LENGTH) {
    throw errors.invalidInput(IDEMPOTENCY_KEY_PATH, `must be at least ${MIN_IDEMPOTENCY_KEY_LENGTH} characters when creating an API key (use a UUID)`);
  }
  assertCreatable(body);
  const { record, secret } = draftApiKey(body, createdBy);
  const claim = await claimIdempotency({
    principalId: createdBy,
    key: idempotencyKey,
    fingerprint: createFingerprint(body),
    resourceId: record.id,
    secret,
    ttlSeconds: API_KEY_REPLAY_WINDOW_SECONDS,
    find: findApiKey,
  });
  if (claim.kind === 'replay') {
    if (claim.secret === undefined) throw errors.internal(new Error(`idempotency record of key ${claim.resourceId} holds no secret`));
    return { key: withSecret(claim.resource, claim.secret), replayed: true };
  }
  try {
    await insertApiKey(record);
  } catch (error) {
    // A create Cosmos never answered may have been stored: the claim stays, so the caller's retry
    // replays that key instead of making a second one (or, if it was not stored, takes the claim over).
    if (!writeMayHaveHappened(error)) await claim.release().catch(() => undefined);
    throw error;
  }
  return { key: withSecret(record, secret), replayed: false };
}

export async function listApiKeys(
  limit: number,
  cursor: string | undefined,
): Promise<Page<ApiKey>> {
  const page = await listApiKeyRecords(limit, decodeCursor(cursor, {}));
  return { items: page.items.map(toView), continuation: page.continuation, cursorScope: {} };
}

export async function getApiKey(keyId: string): Promise<ApiKey> {
  const record = await findApiKey(keyId);
  if (!record) throw errors.notFound('API key', keyId);
  return toView(record);
}

/** Revokes a key at once: the next request with it gets 401. Revoking twice is not an error. */
export async function revokeApiKey(keyId: string): Promise<ApiKey> {
  const existing = await findApiKey(keyId);
  if (!existing) throw errors.notFound('API key', keyId);
  if (existing.revokedAt) return toView(existing);
  const revoked = await markRevoked(keyId, new Date().toISOString());
  if (!revoked) throw errors.notFound('API key', keyId);
  return toView(revoked);
}

