import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, keyWithRoles } from '../support/api';
import {
  type Answer,
  grantAccess,
  httpModel,
  keySetting,
  maxConcurrentCalls,
  queueStats,
  startServer,
  submitted,
  type TestServer,
} from './inference-support';
import { waitForJob } from '../support/jobs';
import { needsLocalStack } from '../support/stack-env';

/**
 * How inference jobs fail and stop, with `http` models pointing at a scoring server on loopback whose
 * behaviour each test picks by the input's `mode`: transient failures then success, always failing,
 * refusing the input, or holding the request until released.
 */
let scorer: TestServer;
let model = '';
let owner = '';
const failuresLeft = new Map<string, number>();
const held: (() => void)[] = [];

function answer(body: { mode?: string; tag?: string } | undefined): Answer | Promise<Answer> {
  const tag = body?.tag ?? '';
  switch (body?.mode) {
    case 'flaky': {
      const left = failuresLeft.get(tag) ?? 0;
      if (left > 0) {
        failuresLeft.set(tag, left - 1);
        return { status: 503, body: { error: 'warming up' } };
      }
      return { status: 200, body: { ok: true, tag } };
    }
    case 'broken':
      return { status: 500, body: { error: 'model crashed' } };
    case 'refuse':
      return { status: 422, body: { error: 'feature x is out of range' } };
    case 'large':
      return { status: 200, body: { tag, rows: Array.from({ length: 5_000 }, (_, i) => ({ i, text: 'x'.repeat(20) })) } };
    case 'hold':
      return new Promise((resolve) => held.push(() => resolve({ status: 200, body: { ok: true, tag } })));
    default:
      return { status: 200, body: { ok: true, tag } };
  }
}

beforeAll(async () => {
  scorer = await startServer((request) => answer(request.body as { mode?: string; tag?: string }));
  model = await httpModel(scorer.url);
  owner = await keyWithRoles(['reader']);
  await grantAccess(model, owner);
});

afterAll(async () => {
  held.splice(0).forEach((release) => release());
  await scorer.close();
});

const callsTagged = (tag: string) => scorer.calls.filter((c) => (c.body as { tag?: string } | undefined)?.tag === tag);

needsLocalStack.describe('an http model', () => {
  it('gets the input as JSON with the key from its app setting', async () => {
    const tag = randomUUID();
    const job = await waitForJob((await submitted(model, owner, { input: { tag } })).id, owner);
    expect(job).toMatchObject({ status: 'succeeded', result: { ok: true, tag } });
    const [first] = callsTagged(tag);
    expect(first?.headers['content-type']).toBe('application/json');
    expect(first?.headers['x-model-key']).toBe(keySetting().value);
  });

  it('that fails transiently succeeds on redelivery', async () => {
    const tag = randomUUID();
    failuresLeft.set(tag, 2);
    const job = await waitForJob((await submitted(model, owner, { input: { mode: 'flaky', tag } })).id, owner);
    expect(job).toMatchObject({ status: 'succeeded', attempts: 3, result: { ok: true, tag } });
    expect(callsTagged(tag)).toHaveLength(3);
  });

  it('that always fails ends failed after every delivery, its message dead-lettered', async () => {
    const tag = randomUUID();
    const deadBefore = (await queueStats()).deadLettered;
    const sut = await submitted(model, owner, { input: { mode: 'broken', tag } });
    const job = await waitForJob(sut.id, owner);
    expect(job).toMatchObject({ status: 'failed', attempts: 10, error: { code: 'failed', message: expect.stringContaining('HTTP 500') } });
    expect(callsTagged(tag)).toHaveLength(10);
    // The tenth failed delivery moves the message to jobs/$deadletterqueue, whose trigger consumes it.
    const deadline = Date.now() + 5_000;
    while ((await queueStats()).deadLettered <= deadBefore && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await queueStats()).deadLettered).toBeGreaterThan(deadBefore);
  });

  it('that refuses the input fails the job at once, without retries', async () => {
    const tag = randomUUID();
    const job = await waitForJob((await submitted(model, owner, { input: { mode: 'refuse', tag } })).id, owner);
    expect(job).toMatchObject({ status: 'failed', attempts: 1, error: { code: 'bad-input', message: expect.stringContaining('out of range') } });
    expect(callsTagged(tag)).toHaveLength(1);
  });

  it('whose answer does not match its output schema fails the job', async () => {
    const strict = await httpModel(scorer.url, { outputSchema: { type: 'object', required: ['score'], properties: { score: { type: 'number' } } } });
    await grantAccess(strict, owner);
    const job = await waitForJob((await submitted(strict, owner, { input: { tag: randomUUID() } })).id, owner);
    expect(job).toMatchObject({ status: 'failed', error: { code: 'model-output' } });
  });
});

needsLocalStack.describe('a result over 100 KB', () => {
  it('is kept in blob storage and served as a short-lived read SAS link with its expiry', async () => {
    const tag = randomUUID();
    const sut = await submitted(model, owner, { input: { mode: 'large', tag } });
    const job = await waitForJob(sut.id, owner);
    expect(job.status).toBe('succeeded');
    expect(job.result).toBeUndefined();
    expect(job.resultUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1\/job-results\/.+\?.*sig=/);
    const expiresAt = Date.parse(String(job.expiresAt));
    expect(expiresAt).toBeGreaterThan(Date.now());
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 16 * 60_000);
    const download = await fetch(String(job.resultUrl));
    expect(download.status).toBe(200);
    const result = (await download.json()) as { tag: string; rows: unknown[] };
    expect(result.tag).toBe(tag);
    expect(result.rows).toHaveLength(5_000);
    // The link reads that blob and nothing else.
    const other = new URL(String(job.resultUrl));
    other.pathname = other.pathname.replace(/[^/]+$/, 'another-job.json');
    expect((await fetch(other)).status).toBe(403);
  });
});

needsLocalStack.describe('canceling', () => {
  it('a job canceled before it ran never runs; one whose Cancel-After passed ends canceled', async () => {
    // Fill every delivery slot with held jobs, so the next ones wait in the queue.
    const blockers = Array.from({ length: maxConcurrentCalls() }, () => randomUUID());
    const blocking = await Promise.all(blockers.map((tag) => submitted(model, owner, { input: { mode: 'hold', tag } })));
    const canceledTag = randomUUID();
    const late = randomUUID();
    const sut = await submitted(model, owner, { input: { tag: canceledTag } });
    const deadlined = await submitted(model, owner, { input: { tag: late } }, { 'Cancel-After': '500ms' });
    expect(deadlined.status).toBe('queued');
    const canceled = await call<{ status: string }>('POST', `/v1/jobs/${sut.id}/cancel`, { key: owner });
    expect(canceled.status, canceled.text).toBe(200);
    expect(canceled.body.status).toBe('canceled');
    await new Promise((resolve) => setTimeout(resolve, 700));
    const deadline = Date.now() + 10_000;
    while (held.length < blockers.length && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    held.splice(0).forEach((release) => release());
    await Promise.all(blocking.map((job) => waitForJob(job.id, owner)));
    expect(await waitForJob(sut.id, owner)).toMatchObject({ status: 'canceled', attempts: 0, startedAt: null, error: { code: 'canceled' } });
    expect(await waitForJob(deadlined.id, owner)).toMatchObject({ status: 'canceled', attempts: 0, error: { code: 'deadline' } });
    await fetch(`${new URL(scorer.url).origin}/`).catch(() => undefined);
    expect(callsTagged(canceledTag)).toHaveLength(0);
    expect(callsTagged(late)).toHaveLength(0);
  });
});
