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

const served = new Map<string, Promise<Conformance>>();

/** The document a deployment serves, fetched once per worker and origin (tests start stacks of their own too). */
function servedDocument(origin: string): Promise<Conformance> {
  let document = served.get(origin);
  if (!document) {
    document = fetch(`${origin}/api/openapi.json`)
      .then((response) => response.json())
      .then((json) => new Conformance(json as ConstructorParameters<typeof Conformance>[0]));
    served.set(origin, document);
  }
  return document;
}

/**
 * Why this answer of the API at `url` is not described by the document the same deployment serves,
 * or undefined when it is. For tests that collect such answers rather than fail on the first (the fuzzer).
 */
export async function undescribed(url: URL, method: string, response: { status: number; headers: Headers }, text: string): Promise<string | undefined> {
  const conformance = await servedDocument(url.origin);
  return conformance.problem({ method, path: `${url.pathname.replace(/^\/api/, '')}${url.search}`, status: response.status, headers: response.headers, text });
}

/** Fails the test when the API's answer to this request is not described by its OpenAPI document. */
async function expectDescribed(url: URL, method: string, response: Response): Promise<void> {
  // A clone, so the caller can still read (or stream) the body the check has read.
  const text = await response.clone().text();
  expect(await undescribed(url, method, response, text), 'the answer is not described by the OpenAPI document').toBeUndefined();
}

/**
 * `fetch()` for requests to the API (a URL below `/api/`): every answer is checked against the
 * served OpenAPI document, like `call()`'s. A redirect is checked as the API answered it, then
 * followed (unless `redirect: 'manual'`) to wherever it points — SAS URLs are not the API's, so
 * what they answer is not checked.
 */
export async function apiFetch(input: string | URL, init: RequestInit = {}): Promise<Response> {
  const url = new URL(input);
  if (!url.pathname.startsWith('/api/')) throw new Error(`apiFetch is for the API's own URLs, not ${url.href}`);
  const method = (init.method ?? 'GET').toUpperCase();
  const response = await fetch(url, { ...init, redirect: 'manual' });
  await expectDescribed(url, method, response);
  const location = response.headers.get('location');
  if (init.redirect === 'manual' || !location || response.status < 300 || response.status >= 400) return response;
  const next = new URL(location, url);
  // 303 (what the API answers) turns into a GET without a body, as fetch's own redirect mode does.
  const again: RequestInit = response.status === 303 ? { method: method === 'HEAD' ? 'HEAD' : 'GET' } : init;
  return next.origin === url.origin && next.pathname.startsWith('/api/') ? apiFetch(next, again) : fetch(next, again);
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
  const response = await apiFetch(`${baseUrl()}/api${path}`, { method, headers, body, redirect: 'manual' });
  const text = await response.text();
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
