import { importJWK, SignJWT } from 'jose';
import { expect, inject } from 'vitest';
import { Conformance } from './conformance';

/** Test helpers for e2e tests against the development host started by the global setup. */
export const baseUrl = () => inject('baseUrl');
export const adminKey = () => inject('adminKey');

export interface ApiResponse<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export interface CallOptions {
  key?: string;
  token?: string;
  body?: unknown;
  rawBody?: string | Buffer;
  headers?: Record<string, string>;
}

let served: Promise<Conformance> | undefined;

/** The served document, fetched once per worker: every answer `call()` gets is checked against it. */
function servedDocument(): Promise<Conformance> {
  served ??= fetch(`${baseUrl()}/api/openapi.json`)
    .then((response) => response.json())
    .then((document) => new Conformance(document as ConstructorParameters<typeof Conformance>[0]));
  return served;
}

/** Calls the API: `path` is below `/api` (e.g. `/v1/api-keys`). JSON bodies are parsed. */
export async function call<T = Record<string, unknown>>(method: string, path: string, options: CallOptions = {}): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.key) headers['X-API-Key'] = options.key;
  if (options.token) headers.Authorization = `Bearer ${options.token}`;
  let body: string | Buffer | undefined;
  if (options.rawBody !== undefined) body = options.rawBody;
  else if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['Content-Type'] ??= 'application/json';
  }
  const response = await fetch(`${baseUrl()}/api${path}`, { method, headers, body, redirect: 'manual' });
  const text = await response.text();
  const conformance = await servedDocument();
  const problem = conformance.problem({ method, path, status: response.status, headers: response.headers, text });
  expect(problem, 'the answer is not described by the OpenAPI document').toBeUndefined();
  const type = response.headers.get('content-type') ?? '';
  const parsed = type.includes('json') && text ? (JSON.parse(text) as T) : (text as T);
  return { status: response.status, headers: response.headers, body: parsed, text };
}

/** Asserts an RFC 9457 problem response with this status, and returns the problem document. */
export function expectProblem(response: ApiResponse, status: number): Record<string, unknown> {
  expect(response.status, response.text).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  const problem = response.body as Record<string, unknown>;
  expect(problem).toMatchObject({ status, type: expect.any(String), title: expect.any(String), detail: expect.any(String) });
  return problem;
}

/** Creates an API key with these roles through the API (as the admin) and returns its `X-API-Key` value. */
export async function keyWithRoles(roles: string[], extra: Record<string, unknown> = {}): Promise<string> {
  const response = await call<{ key: string }>('POST', '/v1/api-keys', {
    key: adminKey(),
    body: { name: `test ${roles.join('+')}`, roles, ...extra },
  });
  expect(response.status, response.text).toBe(201);
  return response.body.key;
}

/** Signs a JWT with the test issuer's key; override any claim or the header to make bad tokens. */
export async function signToken(claims: Record<string, unknown> = {}, options: { expiresIn?: string | number; key?: 'test' | 'other' } = {}): Promise<string> {
  const { issuer, audience, privateJwk } = inject('jwks');
  const jwk = JSON.parse(privateJwk) as Record<string, unknown>;
  const key = await importJWK(jwk, 'RS256');
  return new SignJWT({ roles: ['reader'], ...claims })
    .setProtectedHeader({ alg: 'RS256', kid: String(jwk.kid) })
    .setIssuer(typeof claims.iss === 'string' ? claims.iss : issuer)
    .setAudience(typeof claims.aud === 'string' ? claims.aud : audience)
    .setSubject(typeof claims.sub === 'string' ? claims.sub : 'user-1')
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? '5m')
    .sign(key);
}
