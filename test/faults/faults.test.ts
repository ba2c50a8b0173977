import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { RequestMatch } from '../support/fault-proxy';
import { type Answer, useProxiedStack } from '../support/proxied-stack';
import { waitForJob } from '../support/jobs';

/**
 * Issue 9, part 3 "Faults": a private stack whose app talks to Cosmos DB and Blob storage through
 * fault-injecting proxies (test/support/fault-proxy.ts). Real network faults — throttling answers,
 * reset connections, lost responses, slow answers, a service down — and what the API's callers see.
 */

const IRIS = 'iris-classifier';
const SETOSA = { sepal_length: 5.1, sepal_width: 3.5, petal_length: 1.4, petal_width: 0.2 };

// The reaper (run on demand below) re-sends any job still queued a second after its creation.
const stack = useProxiedStack({ seed: true, settings: { JOBS_REQUEUE_AFTER: '1s' } });
const { call } = stack;

function expectProblem(answer: Answer<unknown>, status: number): void {
  expect(answer.status, answer.text).toBe(status);
  expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(answer.body).toMatchObject({ status, type: expect.any(String), title: expect.any(String), detail: expect.any(String) });
}

/** Cosmos REST requests on one container's documents: `POST` there is a create unless it is a query. */
const documentsOf = (containerId: string, method: string): RequestMatch => (request) =>
  request.method === method &&
  new RegExp(`/colls/${containerId}/docs(/|$)`).test(request.path) &&
  request.headers['x-ms-documentdb-isquery'] === undefined &&
  !String(request.headers['content-type'] ?? '').startsWith('application/query+json');

type KeyPage = { items: { id: string; name: string }[]; nextCursor: string | null };

/** The ids of every stored API key with this name, paging through the whole list. */
async function keyIdsNamed(name: string): Promise<string[]> {
  const ids: string[] = [];
  let route: string | undefined = '/v1/api-keys?limit=100';
  while (route) {
    const page: Answer<KeyPage> = await call<KeyPage>('GET', route);
    expect(page.status, page.text).toBe(200);
    ids.push(...page.body.items.filter((item) => item.name === name).map((item) => item.id));
    route = page.body.nextCursor ? `/v1/api-keys?limit=100&cursor=${encodeURIComponent(page.body.nextCursor)}` : undefined;
  }
  return ids;
}

/** How this file waits for a job: on its private stack, as its admin. */
const onThisStack = { read: (path: string) => call('GET', path), timeoutMs: 20_000 };

describe('the proxies', () => {
  it('carry the app’s traffic to both emulators', async () => {
    stack.cosmos.clearLog();
    stack.blob.clearLog();
    const health = await call<{ checks: Record<string, { status: string }> }>('GET', '/health');
    expect(health.status, health.text).toBe(200);
    expect(stack.cosmos.log.length).toBeGreaterThan(0);
    expect(stack.blob.log.length).toBeGreaterThan(0);
  });
});

describe('reads and idempotent writes succeed through throttling', () => {
  it('Blob storage answering 503 with Retry-After to the next 2 requests: the SDK retries and health stays 200', async () => {
    stack.blob.clearLog();
    stack.blob.answer(2, 503, { 'Retry-After': '1' });
    const sut = await call<{ checks: Record<string, { status: string }> }>('GET', '/health');
    expect(sut.status, sut.text).toBe(200);
    expect(stack.blob.log.filter((r) => r.outcome === 503)).toHaveLength(2);
    expect(stack.blob.log.filter((r) => r.outcome === 200).length).toBeGreaterThan(0);
  });


  it('GET answers 200 while Cosmos answers 429 with x-ms-retry-after-ms to the next 3 requests', async () => {
    stack.cosmos.clearLog();
    stack.cosmos.answer(3, 429, { 'x-ms-retry-after-ms': '50', 'x-ms-substatus': '3200' });
    const sut = await call<{ items: unknown[] }>('GET', '/v1/api-keys?limit=5');
    expect(sut.status, sut.text).toBe(200);
    expect(sut.body.items.length).toBeGreaterThan(0);
    expect(stack.cosmos.log.filter((r) => r.outcome === 429)).toHaveLength(3);
  });

  it('GET answers 200 while every open Cosmos connection is reset and the next 2 new ones are cut on arrival', async () => {
    await call('GET', '/v1/api-keys?limit=1'); // warm, kept-alive connections for the proxy to cut
    stack.cosmos.dropConnections(2);
    const sut = await call<{ items: unknown[] }>('GET', '/v1/api-keys?limit=5');
    expect(sut.status, sut.text).toBe(200);
    expect(sut.body.items.length).toBeGreaterThan(0);
  });

  it('PUT with If-Match applies once through 3 throttled tries', async () => {
    const name = `faults-${randomUUID().slice(0, 8)}`;
    const created = await call<{ id: string }>('POST', '/v1/catalogue/platforms', { body: { name, status: 'published' } });
    expect(created.status, created.text).toBe(201);
    const etag = created.headers.get('etag') ?? '';
    expect(etag).not.toBe('');
    stack.cosmos.clearLog();
    stack.cosmos.answer(3, 429, { 'x-ms-retry-after-ms': '50' }, (r) => r.method === 'PUT');
    const sut = await call<{ name: string; homepage: string }>('PUT', `/v1/catalogue/platforms/${created.body.id}`, {
      body: { name, status: 'published', homepage: 'https://throttled.example.org/' },
      headers: { 'If-Match': etag },
    });
    expect(sut.status, sut.text).toBe(200);
    expect(sut.body.homepage).toBe('https://throttled.example.org/');
    expect(stack.cosmos.log.filter((r) => r.method === 'PUT' && r.outcome === 429)).toHaveLength(3);
    // The old ETag no longer matches: the replacement happened (once), and If-Match still guards it.
    const stale = await call('PUT', `/v1/catalogue/platforms/${created.body.id}`, { body: { name, status: 'published' }, headers: { 'If-Match': etag } });
    expectProblem(stale, 412);
  });

  it('a Cosmos 503 the SDK does not retry reaches the caller as 503 problem+json with Retry-After, not 500', async () => {
    stack.cosmos.answer(1, 503, {}, (r) => r.method === 'GET' && /\/colls\/catalogue\/docs\//.test(r.path));
    const name = `faults-${randomUUID().slice(0, 8)}`;
    const created = await call<{ id: string }>('POST', '/v1/catalogue/platforms', { body: { name, status: 'published' } });
    expect(created.status, created.text).toBe(201);
    const sut = await call('GET', `/v1/catalogue/platforms/${created.body.id}`);
    expectProblem(sut, 503);
    expect(sut.headers.get('retry-after')).toMatch(/^\d+$/);
    expect((await call('GET', `/v1/catalogue/platforms/${created.body.id}`)).status).toBe(200);
  });
});

describe('non-idempotent writes are not duplicated', () => {
  it('a job submission whose job-document create lost its response: the retry with the same Idempotency-Key gives one job', async () => {
    const key = `"${randomUUID()}"`;
    const submit = () => call<{ id: string; status: string }>('POST', `/v1/models/${IRIS}/jobs`, { body: { input: SETOSA }, headers: { 'Idempotency-Key': key } });
    // The create reaches Cosmos and is stored; its answer never comes back.
    stack.cosmos.dropResponses(1, documentsOf('jobs', 'POST'));
    stack.cosmos.clearLog();
    const first = await submit();
    expect(stack.cosmos.log.filter((r) => r.outcome === 'dropped-after-forward')).toHaveLength(1);
    // The SDK does not retry a create; the app reads the job back, finds it stored and queues it.
    expect(first.status, first.text).toBe(202);
    // The client, unsure, retries with the same key: the same job, replayed.
    const second = await submit();
    expect(second.status, second.text).toBe(202);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(second.body.id).toBe(first.body.id);
    const done = await waitForJob(second.body.id, undefined, onThisStack);
    expect(done).toMatchObject({ status: 'succeeded', attempts: 1 });
    const mine = await call<{ items: { id: string; createdAt: string }[] }>('GET', `/v1/models/${IRIS}/jobs?limit=100`);
    expect(mine.status, mine.text).toBe(200);
    const started = Date.parse(String(done.createdAt)) - 60_000;
    const recent = mine.body.items.filter((job) => Date.parse(job.createdAt) >= started);
    // Exactly one job exists for the request, whatever the first answer was: no orphan, no duplicate.
    expect(recent.map((job) => job.id)).toEqual([second.body.id]);
  });

  it('a job stored while Cosmos then went away: 503, the retry replays the one job, and the reaper queues it', async () => {
    const key = `"${randomUUID()}"`;
    const submit = () => call<{ id: string; status: string }>('POST', `/v1/models/${IRIS}/jobs`, { body: { input: SETOSA }, headers: { 'Idempotency-Key': key } });
    // The job document is stored but its answer is lost, and the read-back finds Cosmos failing too:
    // the app cannot know, so it neither queues the job nor releases the Idempotency-Key.
    stack.cosmos.dropResponses(1, documentsOf('jobs', 'POST'));
    stack.cosmos.answer(5, 503, {}, documentsOf('jobs', 'GET'));
    const first = await submit();
    expectProblem(first, 503);
    stack.cosmos.reset();
    const second = await submit();
    expect(second.status, second.text).toBe(202);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(second.body.status).toBe('queued');
    // Nothing sent its message; the reaper does, once the job has waited JOBS_REQUEUE_AFTER.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const reaper = await fetch(`${stack.baseUrl}/admin/functions/reapStuckJobs`, { method: 'POST' });
    expect(reaper.status).toBe(202);
    expect(await waitForJob(second.body.id, undefined, onThisStack)).toMatchObject({ status: 'succeeded', attempts: 1 });
    const third = await submit();
    expect(third.body.id).toBe(second.body.id);
  });

  it('an API key create that lost its response answers 503 problem+json, and the SDK did not send it twice', async () => {
    const name = `faults-${randomUUID().slice(0, 8)}`;
    stack.cosmos.clearLog();
    stack.cosmos.dropResponses(1, documentsOf('principals', 'POST'));
    const sut = await call('POST', '/v1/api-keys', { body: { name, roles: ['reader'] } });
    expect(stack.cosmos.log.filter((r) => r.outcome === 'dropped-after-forward')).toHaveLength(1);
    expectProblem(sut, 503);
    expect(stack.cosmos.log.filter((r) => documentsOf('principals', 'POST')({ method: r.method, path: r.path, headers: {} }))).toHaveLength(1);
  });

  it('an API key create that lost its response: the retry with the same Idempotency-Key gives one key, and its secret works', async () => {
    const name = `faults-${randomUUID().slice(0, 8)}`;
    const key = `"${randomUUID()}"`;
    const create = () => call<{ id: string; key: string }>('POST', '/v1/api-keys', { body: { name, roles: ['reader'] }, headers: { 'Idempotency-Key': key } });
    // The key document reaches Cosmos and is stored; its answer never comes back.
    stack.cosmos.clearLog();
    stack.cosmos.dropResponses(1, documentsOf('principals', 'POST'));
    const first = await create();
    expect(stack.cosmos.log.filter((r) => r.outcome === 'dropped-after-forward')).toHaveLength(1);
    // The app cannot know whether the key was stored: it says so (503) and keeps the claim.
    expectProblem(first, 503);
    // The client, unsure, retries with the same key: the stored key, with the secret that only the
    // lost answer carried.
    const second = await create();
    expect(second.status, second.text).toBe(201);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(await keyIdsNamed(name)).toEqual([second.body.id]);
    const asTheKey = await call('GET', '/v1/jobs?limit=1', { headers: { 'X-API-Key': second.body.key } });
    expect(asTheKey.status, asTheKey.text).toBe(200);
  });

  it('an API key create retried while the first is still being stored: 409 with Retry-After, then the same key', async () => {
    const name = `faults-${randomUUID().slice(0, 8)}`;
    const key = `"${randomUUID()}"`;
    const create = () => call<{ id: string; key: string }>('POST', '/v1/api-keys', { body: { name, roles: ['reader'] }, headers: { 'Idempotency-Key': key } });
    stack.cosmos.delay(1, 2_000, documentsOf('principals', 'POST'));
    const first = create();
    await new Promise((resolve) => setTimeout(resolve, 500));
    const meanwhile = await create();
    expectProblem(meanwhile, 409);
    expect(meanwhile.headers.get('retry-after')).toMatch(/^\d+$/);
    const created = await first;
    expect(created.status, created.text).toBe(201);
    const sut = await create();
    expect(sut.status, sut.text).toBe(201);
    expect(sut.body).toEqual(created.body);
    expect(await keyIdsNamed(name)).toEqual([created.body.id]);
  });
});

describe('jobs survive a worker crash', () => {
  it('a job whose first delivery loses its Cosmos connection mid-job is redelivered and succeeds once', async () => {
    stack.cosmos.clearLog();
    // The worker claims the job with one PATCH and records its result with the next: that second
    // write never reaches Cosmos, so the delivery fails mid-job, after the job was started.
    let jobPatches = 0;
    const jobPatch = documentsOf('jobs', 'PATCH');
    stack.cosmos.dropRequests(1, (request) => jobPatch(request) && ++jobPatches === 2);
    const submitted = await call<{ id: string }>('POST', `/v1/models/${IRIS}/jobs`, {
      body: { input: { ...SETOSA, sepal_length: 5.0 + Math.random() / 10 } },
    });
    expect(submitted.status, submitted.text).toBe(202);
    const done = await waitForJob(submitted.body.id, undefined, onThisStack);
    expect(stack.cosmos.log.filter((r) => r.outcome === 'dropped' && r.method === 'PATCH')).toHaveLength(1);
    expect(done).toMatchObject({ status: 'succeeded', attempts: 2, result: expect.objectContaining({}) });
  });
});

describe('no request hangs', () => {
  it('answers 503 problem+json within 35 s while Cosmos takes 60 s to answer', async () => {
    stack.cosmos.delay(1_000, 60_000);
    const started = performance.now();
    const sut = await call('GET', '/v1/api-keys?limit=5');
    const elapsed = performance.now() - started;
    expectProblem(sut, 503);
    expect(elapsed).toBeLessThan(35_000);
    stack.cosmos.reset();
    expect((await call('GET', '/v1/api-keys?limit=5')).status).toBe(200);
  }, 60_000);

  it('health answers 503 naming cosmos while Cosmos refuses connections, and 200 once it is back', async () => {
    await stack.cosmos.down();
    try {
      const sut = await call<{ status: string; checks: Record<string, { status: string; error?: string }> }>('GET', '/health');
      expect(sut.status, sut.text).toBe(503);
      expect(sut.body.status).toBe('degraded');
      expect(sut.body.checks.cosmos).toMatchObject({ status: 'failed', error: expect.stringMatching(/unreachable|no answer/) });
      expect(sut.body.checks.blob?.status).toBe('ok');
    } finally {
      await stack.cosmos.up();
    }
    expect((await call('GET', '/health')).status).toBe(200);
  }, 30_000);
});
