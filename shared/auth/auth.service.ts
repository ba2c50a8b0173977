import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { config } from '../config';
import { errors } from '../errors';
import { decodeCursor } from '../http/pagination';
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
  return createHash('sha256').update(secret, 'utf8').digest('hex');
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

/** Creates a key; the returned `key` is the only time the secret exists outside the caller. */
export async function createApiKey(body: CreateApiKeyBody, createdBy: string): Promise<CreatedApiKey> {
  if (body.expiresAt && Date.parse(body.expiresAt) <= Date.now()) {
    throw errors.invalidField('/body/expiresAt', 'must be in the future');
  }
  if (body.scope && !body.roles.every((role) => role === 'labeller')) {
    throw errors.invalidField('/body/scope', 'a campaign scope is only for keys whose only role is labeller');
  }
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
  await insertApiKey(record);
  return { ...toView(record), key: `${id}.${secret}` };
}

export async function listApiKeys(
  limit: number,
  cursor: string | undefined,
): Promise<{ items: ApiKey[]; continuation: string | undefined }> {
  const page = await listApiKeyRecords(limit, decodeCursor(cursor, {}));
  return { items: page.items.map(toView), continuation: page.continuation };
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

