import { createRequire } from 'node:module';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningStack, StackOptions } from '../../local/stack';
import { startServer, type TestServer } from './inference-support';
import { waitForJob } from '../support/jobs';
import { apiFetch } from '../support/api';
import { needsLocalStack } from '../support/stack-env';

/**
 * Issue 14 items 2 and 11, over HTTP against a stack of its own that runs as in Azure:
 * OUTBOUND_ALLOW_PRIVATE_NETWORKS=false (the shared e2e stack allows loopback for its receivers),
 * and one Entra ID scope allow-listed for `http` models.
 */
const load = createRequire(import.meta.url);
const { startStack } = load(path.resolve(__dirname, '../../dist/local/stack.js')) as { startStack(options: StackOptions): Promise<RunningStack> };

const ALLOWED_SCOPE = 'https://ml.azure.com/.default';
const IRIS_INPUT = { sepal_length: 5.1, sepal_width: 3.5, petal_length: 1.4, petal_width: 0.2 };

let stack: RunningStack;
let receiver: TestServer;
let baseUrl = '';
let adminKey = '';

interface Answer {
  status: number;
  body: Record<string, unknown>;
  text: string;
}

async function call(method: string, route: string, body?: unknown): Promise<Answer> {
  const headers: Record<string, string> = { 'X-API-Key': adminKey };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await apiFetch(`${baseUrl}/api${route}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  return { status: response.status, body: text && (response.headers.get('content-type') ?? '').includes('json') ? (JSON.parse(text) as Record<string, unknown>) : {}, text };
}

function expectFieldProblem(answer: Answer, pointer: string): void {
  expect(answer.status, answer.text).toBe(400);
  expect(answer.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ pointer })]));
}

/** How this file waits for a job: on its own stack, as its admin, through 404s (webhook jobs appear late). */
const onThisStack = { read: (path: string) => call('GET', path), timeoutMs: 20_000, mayNotExistYet: true };

let modelCount = 0;
function httpModelBody(runtime: Record<string, unknown>) {
  modelCount++;
  return { name: `outbound policy model ${modelCount}`, version: '1', status: 'published', inputSchema: { type: 'object' }, runtime };
}

beforeAll(async () => {
  stack = await startStack({
    port: 0,
    seed: true,
    verbose: false,
    settings: { OUTBOUND_ALLOW_PRIVATE_NETWORKS: 'false', MODEL_ENTRA_SCOPES_ALLOWED: ALLOWED_SCOPE, MODEL_SECRET_POLICY: 'key' },
  });
  baseUrl = stack.baseUrl ?? '';
  adminKey = stack.adminKey ?? '';
  receiver = await startServer(() => ({ status: 204, body: { seen: true } }));
}, 120_000);

afterAll(async () => {
  await receiver?.close();
  await stack?.stop();
});

needsLocalStack.describe('with private networks not allowed (as in Azure)', () => {
  it('refuses at submission a webhookUrl whose host is an IP literal in a refused range, in any spelling', async () => {
    const refused = [
      'http://127.0.0.1:7071/admin/functions/x',
      'http://2130706433/',
      'http://127.1/',
      'https://[::ffff:127.0.0.1]/',
      'https://[::1]/',
      'https://168.63.129.16/',
      'https://10.1.2.3/',
      'https://192.168.0.1/',
      'https://100.64.0.1/',
      'https://[fd00::1]/',
      'https://0.0.0.0/',
      'https://metadata.google.internal./computeMetadata/v1/',
    ];
    for (const webhookUrl of refused) {
      expectFieldProblem(await call('POST', '/v1/models/iris-classifier/jobs', { input: IRIS_INPUT, webhookUrl }), '/body/webhookUrl');
    }
  });

  it('does not deliver a webhook to a name that resolves to loopback, and says only "not delivered"', async () => {
    const port = new URL(receiver.url).port;
    const submitted = await call('POST', '/v1/models/iris-classifier/jobs', { input: IRIS_INPUT, webhookUrl: `http://localhost:${port}/hook` });
    expect(submitted.status, submitted.text).toBe(202);
    const id = String(submitted.body.id);
    expect(await waitForJob(id, undefined, onThisStack)).toMatchObject({ status: 'succeeded' });
    const delivery = await waitForJob(`${id}.webhook`, undefined, onThisStack);
    expect(delivery).toMatchObject({ status: 'failed', attempts: 1, error: { message: expect.stringMatching(/^Not delivered/) } });
    // Nothing about what (if anything) answered there: no status code, no network error text.
    expect(JSON.stringify(delivery)).not.toMatch(/HTTP \d{3}|"status":\s*\d|ECONN|127\.0\.0\.1|::1/);
    expect(receiver.calls).toHaveLength(0);
  });

  it('fails a job of an http model at a loopback address at once, permanently, saying why', async () => {
    const created = await call('POST', '/v1/catalogue/models', httpModelBody({ kind: 'http', url: receiver.url, auth: { kind: 'key', secretSetting: 'MODEL_SECRET_POLICY' } }));
    expect(created.status, created.text).toBe(201);
    const submitted = await call('POST', `/v1/models/${String(created.body.id)}/jobs`, { input: { x: 1 } });
    expect(submitted.status, submitted.text).toBe(202);
    const job = await waitForJob(String(submitted.body.id), undefined, onThisStack);
    expect(job).toMatchObject({ status: 'failed', attempts: 1, error: { message: expect.stringMatching(/outbound policy/i) } });
    expect(receiver.calls).toHaveLength(0);
  });
});

needsLocalStack.describe('an http model’s credentials (admins only)', () => {
  it('take a key only from a setting named MODEL_SECRET_*, never another app setting', async () => {
    for (const secretSetting of ['COSMOS', 'STORAGE', 'AzureWebJobsStorage', 'AUTH_OIDC_AUDIENCE', 'JOBS_QUEUE', 'MODEL_SECRET_']) {
      const runtime = { kind: 'http', url: 'https://ml.example.org/score', auth: { kind: 'key', secretSetting } };
      expectFieldProblem(await call('POST', '/v1/catalogue/models', httpModelBody(runtime)), '/body/runtime/auth/secretSetting');
    }
    const runtime = { kind: 'http', url: 'https://ml.example.org/score', auth: { kind: 'key', secretSetting: 'MODEL_SECRET_SCORING' } };
    expect((await call('POST', '/v1/catalogue/models', httpModelBody(runtime))).status).toBe(201);
  });

  it('take an Entra ID token only for a scope MODEL_ENTRA_SCOPES_ALLOWED names', async () => {
    const other = { kind: 'http', url: 'https://ml.example.org/score', auth: { kind: 'entra', scope: 'https://management.azure.com/.default' } };
    expectFieldProblem(await call('POST', '/v1/catalogue/models', httpModelBody(other)), '/body/runtime/auth/scope');
    const allowed = { kind: 'http', url: 'https://ml.example.org/score', auth: { kind: 'entra', scope: ALLOWED_SCOPE } };
    expect((await call('POST', '/v1/catalogue/models', httpModelBody(allowed))).status).toBe(201);
  });
});
