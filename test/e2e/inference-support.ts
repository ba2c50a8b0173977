import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { expect, inject } from 'vitest';
import type { SubmittedJob } from '../../shared/inference/model.schema';
import { adminKey, type ApiResponse, baseUrl, call } from '../support/api';

/** Helpers of the inference e2e tests (test/e2e/inference*.test.ts, jobs*.test.ts). */

export const IRIS = 'iris-classifier';

/** Rows of the shipped iris data whose species the classifier gets right (first of each class). */
export const KNOWN_ROWS = [
  { input: { sepal_length: 5.1, sepal_width: 3.5, petal_length: 1.4, petal_width: 0.2 }, species: 'setosa' },
  { input: { sepal_length: 7.0, sepal_width: 3.2, petal_length: 4.7, petal_width: 1.4 }, species: 'versicolor' },
  { input: { sepal_length: 6.3, sepal_width: 3.3, petal_length: 6.0, petal_width: 2.5 }, species: 'virginica' },
] as const;

/** The principal an API key created by `keyWithRoles` acts as. */
export function principalOf(key: string): string {
  return `apikey:${key.split('.')[0]}`;
}

export async function grantAccess(modelId: string, key: string, limits: { dailyLimit?: number; monthlyLimit?: number; expiresAt?: string } = {}) {
  const response = await call('PUT', `/v1/models/${modelId}/grants/${encodeURIComponent(principalOf(key))}`, {
    key: adminKey(),
    body: { dailyLimit: 1_000, monthlyLimit: 10_000, ...limits },
  });
  expect([200, 201], response.text).toContain(response.status);
  return response;
}

export function submit(modelId: string, key: string, body: unknown, headers: Record<string, string> = {}): Promise<ApiResponse<SubmittedJob>> {
  return call<SubmittedJob>('POST', `/v1/models/${modelId}/jobs`, { key, body, headers });
}

export async function submitted(modelId: string, key: string, body: unknown, headers: Record<string, string> = {}): Promise<SubmittedJob> {
  const response = await submit(modelId, key, body, headers);
  expect(response.status, response.text).toBe(202);
  return response.body;
}

export async function queueStats(name = 'jobs'): Promise<{ active: number; inFlight: number; completed: number; deadLettered: number }> {
  const response = await fetch(`${baseUrl()}/admin/queues/${encodeURIComponent(name)}`);
  return (await response.json()) as Awaited<ReturnType<typeof queueStats>>;
}

/** The Service Bus trigger concurrency the development host applies (host.json). */
export function maxConcurrentCalls(): number {
  const hostJson = JSON.parse(readFileSync(path.resolve(__dirname, '../../host.json'), 'utf8')) as {
    extensions?: { serviceBus?: { maxConcurrentCalls?: number } };
  };
  return hostJson.extensions?.serviceBus?.maxConcurrentCalls ?? 16;
}

export interface Call {
  body: unknown;
  headers: http.IncomingHttpHeaders;
  text: string;
}

export interface Answer {
  status: number;
  body?: unknown;
}

export interface TestServer {
  url: string;
  calls: Call[];
  close(): Promise<void>;
}

/** A loopback HTTP server that records each call and answers with `respond` (a scoring endpoint, a webhook receiver). */
export async function startServer(respond: (call: Call, index: number) => Answer | Promise<Answer>): Promise<TestServer> {
  const calls: Call[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        body = text;
      }
      const entry = { body, headers: req.headers, text };
      calls.push(entry);
      void Promise.resolve(respond(entry, calls.length - 1)).then((answer) => {
        res.writeHead(answer.status, { 'Content-Type': 'application/json' }).end(answer.body === undefined ? '' : JSON.stringify(answer.body));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/score`,
    calls,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * The app setting whose value an `http` test model sends as its key (the global setup sets it; only
 * `MODEL_SECRET_*` settings may hold a model's key).
 */
export function keySetting(): { name: string; value: string } {
  const name = 'MODEL_SECRET_E2E';
  return { name, value: inject('settings')[name] ?? '' };
}

let modelCounter = 0;

/** Registers an `http` model pointing at `url` (as the admin: only admins set http runtimes) and returns its id. */
export async function httpModel(url: string, extra: Record<string, unknown> = {}): Promise<string> {
  modelCounter++;
  const body = {
    name: `e2e scoring model ${modelCounter} ${Math.random().toString(36).slice(2, 8)}`,
    version: '1',
    status: 'published',
    runtime: { kind: 'http', url, auth: { kind: 'key', header: 'x-model-key', secretSetting: keySetting().name } },
    ...extra,
  };
  let response = await call<{ id: string }>('POST', '/v1/catalogue/models', { key: adminKey(), body });
  if (response.status === 404) response = await call<{ id: string }>('POST', '/v1/models', { key: adminKey(), body });
  expect(response.status, response.text).toBe(201);
  return response.body.id;
}
