import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isAppError } from '../../shared/errors';
import type { Principal } from '../../shared/auth/auth.schema';
import { grantId, upsertGrant } from '../../shared/inference/grant.repository';
import { consumeCall, getGrant } from '../../shared/inference/grant.service';
import { claimIdempotencyKey } from '../../shared/inference/idempotency.service';
import { cachedResult, cacheKeyOf, rememberResult } from '../../shared/inference/cache.service';
import type { JobHandler } from '../../shared/jobs/job.handler';
import { findJob, submitJob } from '../../shared/jobs/job.service';
import { runInferenceJob } from '../../shared/inference/inference.job';
import { handlersOf } from '../../shared/jobs/job.handlers';
import { processJobMessage } from '../../shared/jobs/job.worker';
import { batchPart, inferencePayload } from '../support/job-payloads';
import { captureJobMessages } from '../support/job-queue';

/** The atomic pieces inference relies on, against the Cosmos DB server: counters, key claims, fan-out completion. */
captureJobMessages();

describe('quota counters', () => {
  const contributor = (): Principal => ({ id: `apikey:${randomUUID().replace(/-/g, '').slice(0, 24)}`, kind: 'apiKey', roles: ['contributor'] });
  const grant = async (principal: Principal, dailyLimit: number, monthlyLimit = 1_000) => {
    const now = new Date().toISOString();
    const by = 'apikey:admin';
    await upsertGrant({ id: grantId(principal.id, 'model-a'), docType: 'modelGrant', principalId: principal.id, modelId: 'model-a', dailyLimit, monthlyLimit, expiresAt: null, createdAt: now, createdBy: by, updatedAt: now, updatedBy: by });
  };
  const outcomesOf = async (calls: Promise<unknown>[]) => {
    const settled = await Promise.allSettled(calls);
    const refused = settled.flatMap((outcome) => (outcome.status === 'rejected' && isAppError(outcome.reason) ? [outcome.reason.status] : []));
    return { counted: settled.filter((outcome) => outcome.status === 'fulfilled').length, refused };
  };

  it('never pass the limit and lose no increment when 60 submissions race for 25 calls', async () => {
    const principal = contributor();
    await grant(principal, 25);
    const outcomes = await outcomesOf(Array.from({ length: 60 }, () => consumeCall(principal, 'model-a')));
    expect(outcomes.counted).toBe(25);
    expect(outcomes.refused).toEqual(Array.from({ length: 35 }, () => 429));
    const view = await getGrant('model-a', principal.id);
    expect(view.usage.daily).toMatchObject({ used: 25, remaining: 0, limit: 25 });
    expect(view.usage.monthly).toMatchObject({ used: 25, remaining: 975 });
  });

  it('count a new day from zero while the month keeps counting', async () => {
    const principal = contributor();
    await grant(principal, 2, 3);
    const monday = new Date('2025-06-02T23:59:00Z');
    const tuesday = new Date('2025-06-03T00:01:00Z');
    expect((await outcomesOf([consumeCall(principal, 'model-a', monday), consumeCall(principal, 'model-a', monday)])).counted).toBe(2);
    expect((await outcomesOf([consumeCall(principal, 'model-a', monday)])).refused).toEqual([429]);
    expect((await outcomesOf([consumeCall(principal, 'model-a', tuesday)])).counted).toBe(1);
    // The month's limit of 3 is reached although Tuesday has one call left.
    expect((await outcomesOf([consumeCall(principal, 'model-a', tuesday)])).refused).toEqual([429]);
  });

  it('give back a refunded call', async () => {
    const principal = contributor();
    await grant(principal, 1);
    const refund = await consumeCall(principal, 'model-a');
    await refund();
    expect((await outcomesOf([consumeCall(principal, 'model-a')])).counted).toBe(1);
  });

  it('refuse everything at a limit of zero, and a caller without a grant', async () => {
    const principal = contributor();
    await grant(principal, 0);
    expect((await outcomesOf([consumeCall(principal, 'model-a')])).refused).toEqual([429]);
    expect((await outcomesOf([consumeCall(contributor(), 'model-a')])).refused).toEqual([403]);
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
    await submitJob({ id: first.jobId, kind: 'inference.run', owner: principal, input: inferencePayload() });
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
    const job = await submitJob({ kind: 'inference.run', owner: `owner-${randomUUID()}`, input: inferencePayload() });
    let finishers = 0;
    const handler: JobHandler<'inference.run'> = async (context) => {
      if (context.part === undefined) {
        await context.progress(0, 5);
        return { kind: 'pending' };
      }
      const partId = String(context.part.batch);
      const progress = await context.completePart(partId, { n: partId }, 1);
      if (progress.done < progress.total) return { kind: 'pending' };
      finishers++;
      return { kind: 'done', result: { parts: Object.keys(await progress.readParts()).sort() } };
    };
    const deliver = (part: unknown, deliveryCount = 1) =>
      processJobMessage({ jobId: job.id, kind: 'inference.run', part }, { messageId: randomUUID(), deliveryCount, maxDeliveryCount: 10 }, handlersOf({ 'inference.run': handler }), () => {});
    await deliver(undefined);
    // Five parts, each delivered twice at once (a redelivery racing the first delivery).
    await Promise.all([0, 1, 2, 3, 4].map(batchPart).flatMap((part) => [deliver(part), deliver(part, 2)]));
    const stored = await findJob(job.id);
    expect(stored).toMatchObject({ status: 'succeeded', progress: { done: 5, total: 5 }, result: { parts: ['0', '1', '2', '3', '4'] } });
    expect(finishers).toBeGreaterThanOrEqual(1);
  });
});

describe('an imageset job (inference.job.ts, through the labels area’s system entry point)', () => {
  it('fails at once, not after every redelivery, when its imageset no longer exists', async () => {
    const imagesetId = 'f'.repeat(16);
    const job = await submitJob({ kind: 'inference.run', owner: `owner-${randomUUID()}`, input: inferencePayload({ input: undefined, imagesetId }) });
    await processJobMessage({ jobId: job.id, kind: 'inference.run' }, { messageId: job.id, deliveryCount: 1, maxDeliveryCount: 10 }, handlersOf({ 'inference.run': runInferenceJob }), () => {});
    expect(await findJob(job.id)).toMatchObject({ status: 'failed', attempts: 1, error: { code: 'not-found', message: `The imageset ${imagesetId} no longer exists.` } });
  });
});
