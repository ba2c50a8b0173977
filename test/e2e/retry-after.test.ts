import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningStack, StackOptions } from '../../local/stack';
import { apiFetch, call, expectProblem, keyWithRoles, signToken } from '../support/api';
import { grantAccess, IRIS, KNOWN_ROWS, submit, submitted } from './inference-support';

/**
 * The document promises `Retry-After` (whole seconds, at least 1) on every 429 and 503. Both answers
 * are produced here for real and go through the conformance check (`call()` / `apiFetch()`), which
 * fails an answer that lacks the header or carries a value outside its schema; the test reads the
 * promise from the served document too, so it cannot pass on a document that dropped it.
 */
interface Documented {
  paths: Record<string, Record<string, { responses: Record<string, { $ref?: string }> }>>;
  components: { responses: Record<string, { headers?: Record<string, { required?: boolean }> }> };
}

async function documentedHeaders(operationPath: string, method: string, status: number): Promise<Record<string, { required?: boolean }>> {
  const { body } = await call<Documented>('GET', '/openapi.json');
  const ref = body.paths[operationPath]?.[method]?.responses[String(status)]?.$ref ?? '';
  return body.components.responses[ref.replace('#/components/responses/', '')]?.headers ?? {};
}

describe('429 Too many requests', () => {
  it('carries Retry-After in whole seconds, as the document says it does', async () => {
    expect(await documentedHeaders('/api/v1/models/{id}/jobs', 'post', 429)).toMatchObject({ 'Retry-After': { required: true } });
    const sut = await keyWithRoles(['reader']);
    await grantAccess(IRIS, sut, { dailyLimit: 1, monthlyLimit: 100 });
    await submitted(IRIS, sut, { input: KNOWN_ROWS[0].input });
    const refused = await submit(IRIS, sut, { input: KNOWN_ROWS[1].input });
    expectProblem(refused, 429);
    expect(refused.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
  });
});

/**
 * A 503 needs a dependency that is down: a private stack whose OIDC issuer is a server of the test's
 * that fails its discovery document, then is not there at all. Bearer tokens cannot be checked
 * either way; the caller is told to come back later, not that the token is bad or our code broke.
 */
describe('503 Service unavailable', () => {
  const load = createRequire(import.meta.url);
  const { startStack } = load(path.resolve(__dirname, '../../dist/local/stack.js')) as { startStack(options: StackOptions): Promise<RunningStack> };
  let issuer: Server | undefined;
  let issuerUrl = '';
  let stack: RunningStack | undefined;

  beforeAll(async () => {
    issuer = createServer((_request, response) => response.writeHead(500).end());
    await new Promise<void>((resolve) => issuer?.listen(0, '127.0.0.1', resolve));
    issuerUrl = `http://127.0.0.1:${(issuer.address() as AddressInfo).port}`;
    stack = await startStack({ port: 0, seed: false, verbose: false, settings: { AUTH_OIDC_ISSUER: issuerUrl, AUTH_OIDC_AUDIENCE: 'retry-after-test' } });
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
    if (issuer?.listening) await new Promise((resolve) => issuer?.close(resolve));
  });

  async function withBearer(): Promise<Response> {
    const token = await signToken({ iss: issuerUrl, aud: 'retry-after-test' });
    return apiFetch(`${stack?.baseUrl}/api/v1/jobs`, { headers: { Authorization: `Bearer ${token}` } });
  }

  it('answers 503 with Retry-After when the identity provider fails', async () => {
    expect(await documentedHeaders('/api/v1/jobs', 'get', 503)).toMatchObject({ 'Retry-After': { required: true } });
    const sut = await withBearer();
    expect(sut.status, await sut.clone().text()).toBe(503);
    expect(sut.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(sut.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
  });

  it('answers 503 with Retry-After when the identity provider cannot be reached at all', async () => {
    await new Promise((resolve) => issuer?.close(resolve));
    const sut = await withBearer();
    expect(sut.status, await sut.clone().text()).toBe(503);
    expect(sut.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
  });
});
