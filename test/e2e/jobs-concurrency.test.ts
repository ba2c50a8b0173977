import { randomUUID } from 'node:crypto';
import pLimit from 'p-limit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baseUrl, call, keyWithRoles } from '../support/api';
import { grantAccess, httpModel, startServer, submit, type TestServer } from './inference-support';
import type { Job } from '../support/jobs';
import { needsLocalStack } from '../support/stack-env';

/** 200 jobs in the development host's queue at once: each runs exactly once and is counted once. */
const JOBS = 200;
/**
 * Submissions in flight at a time. What is under test is the queue and its worker (16 concurrent
 * deliveries, host.json) with 200 jobs waiting, not a burst of 1,000 Cosmos requests from one
 * client: on a busy two-core machine such a burst can outlast the SDK's 10 s request timeout and
 * answer 503, which is right for an overloaded service but says nothing about exactly-once.
 */
const SUBMITTING_AT_ONCE = 20;

let scorer: TestServer;
const runs = new Map<string, number>();

beforeAll(async () => {
  scorer = await startServer((request) => {
    const tag = String((request.body as { tag?: string } | undefined)?.tag);
    const run = (runs.get(tag) ?? 0) + 1;
    runs.set(tag, run);
    return { status: 200, body: { tag, run } };
  });
});

afterAll(async () => {
  await scorer.close();
});

async function ownJobs(modelId: string, key: string): Promise<Job[]> {
  const jobs: Job[] = [];
  let path: string | undefined = `/v1/models/${modelId}/jobs?limit=100`;
  while (path) {
    const page: { body: { items: Job[]; nextCursor: string | null } } = await call('GET', path, { key });
    jobs.push(...page.body.items);
    path = page.body.nextCursor ? `/v1/models/${modelId}/jobs?limit=100&cursor=${page.body.nextCursor}` : undefined;
  }
  return jobs;
}

needsLocalStack.describe('200 concurrent inference jobs', () => {
  it('all end succeeded, each run exactly once and counted exactly once', async () => {
    const model = await httpModel(scorer.url);
    const sut = await keyWithRoles(['reader']);
    await grantAccess(model, sut, { dailyLimit: 1_000, monthlyLimit: 1_000 });
    const tags = Array.from({ length: JOBS }, () => randomUUID());
    const submitting = pLimit(SUBMITTING_AT_ONCE);
    const responses = await Promise.all(tags.map((tag) => submitting(() => submit(model, sut, { input: { tag } }))));
    expect(responses.map((r) => r.status)).toEqual(tags.map(() => 202));
    expect(new Set(responses.map((r) => r.body.id)).size).toBe(JOBS);

    // The development host answers once no queue has a deliverable message or a delivery in flight.
    await fetch(`${baseUrl()}/admin/queues-idle`, { method: 'POST' });
    const deadline = Date.now() + 60_000;
    let jobs = await ownJobs(model, sut);
    while (jobs.some((job) => job.status === 'queued' || job.status === 'running') && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      jobs = await ownJobs(model, sut);
    }
    expect(jobs).toHaveLength(JOBS);
    expect(jobs.filter((job) => job.status !== 'succeeded')).toEqual([]);
    expect(jobs.every((job) => job.attempts === 1)).toBe(true);
    // No double run: the model saw each input once, and each result says "first run".
    expect(tags.map((tag) => runs.get(tag))).toEqual(tags.map(() => 1));
    expect(scorer.calls).toHaveLength(JOBS);
    expect(jobs.every((job) => (job.result as { run: number }).run === 1)).toBe(true);
    const grant = await call<{ usage: { daily: { used: number }; monthly: { used: number } } }>('GET', `/v1/models/${model}/grant`, { key: sut });
    expect(grant.body.usage.daily.used).toBe(JOBS);
    expect(grant.body.usage.monthly.used).toBe(JOBS);
  }, 90_000);
});
