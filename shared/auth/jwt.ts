import type { JWTPayload } from 'jose' with { 'resolution-mode': 'import' };
import { config } from '../config';
import { errors } from '../errors';

type Jose = typeof import('jose', { with: { 'resolution-mode': 'import' } });
type KeySet = ReturnType<Jose['createRemoteJWKSet']>;

let keySet: { issuer: string; keys: KeySet } | undefined;

// jose is ESM-only; load it on the first bearer token rather than on every cold start.
async function loadJose(): Promise<Jose> {
  return import('jose');
}

async function jwksUri(issuer: string, configured: string | undefined): Promise<URL> {
  if (configured) return new URL(configured);
  const discovery = new URL(`${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`);
  // Refused, reset or timed out: the provider is down, which the caller should retry (503), not our bug (500).
  const response = await fetch(discovery, { signal: AbortSignal.timeout(5_000) }).catch(() => undefined);
  if (!response?.ok) throw errors.unavailable('The identity provider cannot be reached.', 30);
  const document = (await response.json()) as { jwks_uri?: unknown };
  if (typeof document.jwks_uri !== 'string') throw errors.unavailable('The identity provider has no jwks_uri.', 30);
  return new URL(document.jwks_uri);
}

async function issuerKeys(jose: Jose, issuer: string, configured: string | undefined): Promise<KeySet> {
  if (keySet?.issuer !== issuer) {
    // createRemoteJWKSet caches keys and refetches on an unknown `kid` (key rotation), rate-limited.
    keySet = { issuer, keys: jose.createRemoteJWKSet(await jwksUri(issuer, configured), { timeoutDuration: 5_000 }) };
  }
  return keySet.keys;
}

/**
 * Verifies a bearer token against the configured issuer's JWKS: signature, `iss`, `aud`,
 * `exp` (required) and `nbf` with the configured clock skew. Returns its claims or throws 401.
 */
export async function verifyBearer(token: string): Promise<JWTPayload> {
  const { oidc, clockSkewSeconds } = config().auth;
  if (!oidc) throw errors.unauthenticated('Bearer tokens are not accepted here: no OIDC issuer is configured.');
  const jose = await loadJose();
  const keys = await issuerKeys(jose, oidc.issuer, oidc.jwksUri);
  try {
    const { payload } = await jose.jwtVerify(token, keys, {
      issuer: oidc.issuer,
      audience: oidc.audience,
      clockTolerance: clockSkewSeconds,
      // jose checks `exp` only when present; a token without one would be good forever.
      requiredClaims: ['exp'],
      algorithms: ['RS256', 'RS384', 'RS512', 'PS256', 'ES256', 'ES384', 'EdDSA'],
    });
    return payload;
  } catch (error) {
    if (error instanceof jose.errors.JOSEError) {
      throw errors.unauthenticated(`The bearer token is not valid (${error.code}).`);
    }
    throw error;
  }
}

/** Forgets the cached key set (tests that rotate issuers). */
export function resetJwks(): void {
  keySet = undefined;
}
