import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { type OutgoingMessage, provideDevelopmentHostQueue } from '../../shared/azure/queue';
import { isAppError } from '../../shared/errors';
import { incrementBelow, readUsage } from '../../shared/inference/grant.repository';
import { claimIdempotencyKey } from '../../shared/inference/idempotency.service';
import { cachedResult, cacheKeyOf, rememberResult } from '../../shared/inference/cache.service';
import type { JobHandler } from '../../shared/jobs/job.handler';
import { findJob, submitJob } from '../../shared/jobs/job.service';
import { processJobMessage } from '../../shared/jobs/job.worker';
import { useStackSettings } from '../support/stack-env';

/** The atomic pieces inference relies on, against the Cosmos DB server: counters, key claims, fan-out completion. */
const sent: OutgoingMessage[] = [];

beforeAll(() => {
  useStackSettings();
  provideDevelopmentHostQueue({
    async send(_queue, message) {
      sent.push(message);
    },
    async check() {},
  });
});

describe('quota counters', () => {
  it('never pass the limit and lose no increment when 60 submissions race for 25 calls', async () => {
    const principal = `apikey:${randomUUID()}`;
    const outcomes = await Promise.all(Array.from({ length: 60 }, () => incrementBelow(principal, 'model-a', '2025-06-01', 25)));
    expect(outcomes.filter(Boolean)).toHaveLength(25);
    expect(await readUsage(principal, 'model-a', '2025-06-01')).toBe(25);
  });

  it('refuse everything at a limit of zero', async () => {
    expect(await incrementBelow(`apikey:${randomUUID()}`, 'model-a', '2025-06', 0)).toBe(false);
  });
});

describe('Idempotency-Key claims', () => {
  it('let exactly one of ten racing requests create the job; the others are told it is in progress', async () => {
    const principal = `apikey:${randomUUID()}`;
    const outcomes = await Promise.allSettled(Array.from({ length: 10 }, () => claimIdempotencyKey(principal, 'key-1', 'fingerprint')));
    const claimed = outcomes.filter((o) => o.status === 'fulfilled');
    expect(claimed).toHaveLength(1);
    for (const outcome of outcomes) {
      if (outcome.status === 'rejected') expect(isAppError(outcome.reason) && outcome.reason.status).toBe(409);
    }
  });

  it('return the job once it exists, and refuse the key for another request with 422', async () => {
    const principal = `apikey:${randomUUID()}`;
    const first = await claimIdempotencyKey(principal, 'key-2', 'fingerprint-a');
    expect(first.kind).toBe('new');
    await submitJob({ id: first.jobId, kind: 'inference.run', owner: principal, input: {} });
    expect(await claimIdempotencyKey(principal, 'key-2', 'fingerprint-a')).toEqual({ kind: 'replay', jobId: first.jobId });
    await expect(claimIdempotencyKey(principal, 'key-2', 'fingerprint-b')).rejects.toMatchObject({ status: 422 });
    expect((await claimIdempotencyKey(`apikey:${randomUUID()}`, 'key-2', 'fingerprint-a')).kind).toBe('new');
  });
});

describe('the result cache', () => {
  it('returns what was remembered under the key, and misses otherwise', async () => {
    const model = { id: 'm', version: randomUUID(), runtime: { kind: 'builtin' as const, name: 'iris-classifier' } };
    const key = cacheKeyOf(model, { a: 1 });
    expect(await cachedResult(key)).toBeUndefined();
    await rememberResult(key, model, { species: 'setosa' });
    expect(await cachedResult(key)).toEqual({ result: { species: 'setosa' } });
  });
});

describe('fan-out completion (JobContext.completePart)', () => {
  it('counts each part once, however often and however concurrently its message is delivered, and ends the job once', async () => {
    const job = await submitJob({ kind: 'inference.run', owner: `owner-${randomUUID()}`, input: {} });
    let finishers = 0;
    const handler: JobHandler = async (context) => {
      if (context.part === undefined) {
        await context.progress(0, 5);
        return { kind: 'pending' };
      }
      const partId = String((context.part as { n: number }).n);
      const progress = await context.completePart(partId, { n: partId }, 1);
      if (progress.done < progress.total) return { kind: 'pending' };
      finishers++;
      return { kind: 'done', result: { parts: Object.keys(await progress.readParts()).sort() } };
    };
    const deliver = (part: unknown, deliveryCount = 1) =>
      processJobMessage({ jobId: job.id, kind: 'inference.run', part }, { messageId: randomUUID(), deliveryCount, maxDeliveryCount: 10 }, () => handler, () => {});
    await deliver(undefined);
    // Five parts, each delivered twice at once (a redelivery racing the first delivery).
    await Promise.all([0, 1, 2, 3, 4].flatMap((n) => [deliver({ n }), deliver({ n }, 2)]));
    const stored = await findJob(job.id);
    expect(stored).toMatchObject({ status: 'succeeded', progress: { done: 5, total: 5 }, result: { parts: ['0', '1', '2', '3', '4'] } });
    expect(finishers).toBeGreaterThanOrEqual(1);
  });
});
