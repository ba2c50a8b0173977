import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { provideDevelopmentHostQueue, type OutgoingMessage } from '../../shared/azure/queue';
import { blobServiceClient } from '../../shared/azure/blob';
import { type JobHandler, PermanentJobError } from '../../shared/jobs/job.handler';
import { readJob } from '../../shared/jobs/job.repository';
import { cancelJob, submitJob } from '../../shared/jobs/job.service';
import { type HandlerLookup, processDeadLetter, processJobMessage, reapJobs } from '../../shared/jobs/job.worker';
import { useStackSettings } from '../support/stack-env';

/** Messages the service sent, captured instead of delivered: each test plays the queue itself. */
const sent: OutgoingMessage[] = [];
let sendFails = false;

beforeAll(() => {
  useStackSettings();
  provideDevelopmentHostQueue({
    async send(_queue, message) {
      if (sendFails) throw new Error('queue down');
      sent.push(message);
    },
    async check() {},
  });
});

const owner = () => `owner-${randomUUID()}`;
const log = () => {};

function handlers(handler: JobHandler): HandlerLookup {
  return () => handler;
}

async function submitted(cancelAfter?: Date) {
  const job = await submitJob({ kind: 'labels.export', owner: owner(), input: { n: 1 }, cancelAfter });
  const message = sent.find((m) => m.messageId === job.id);
  expect(message?.body).toEqual({ jobId: job.id, kind: 'labels.export' });
  return job;
}

async function deliver(jobId: string, handler: JobHandler, deliveryCount = 1, maxDeliveryCount = 10) {
  return processJobMessage({ jobId, kind: 'labels.export' }, { messageId: jobId, deliveryCount, maxDeliveryCount }, handlers(handler), log);
}

describe('submitJob', () => {
  it('writes the job queued, then sends a message whose id is the job id', async () => {
    const sut = await submitted();
    expect(sut.status).toBe('queued');
    expect((await readJob(sut.id))?.record.status).toBe('queued');
  });

  it('marks the job failed and answers 503 when the message cannot be sent', async () => {
    sendFails = true;
    const id = randomUUID();
    try {
      await expect(submitJob({ id, kind: 'labels.export', owner: owner(), input: {} })).rejects.toMatchObject({ status: 503 });
    } finally {
      sendFails = false;
    }
    expect((await readJob(id))?.record).toMatchObject({ status: 'failed', error: { code: 'queue-unavailable' } });
  });
});

describe('processJobMessage', () => {
  it('runs the handler and stores the result with the succeeded state', async () => {
    const job = await submitted();
    await deliver(job.id, async () => ({ kind: 'done', result: { answer: 42 } }));
    expect((await readJob(job.id))?.record).toMatchObject({ status: 'succeeded', result: { answer: 42 }, attempts: 1 });
  });

  it('does not run a job again when its message is redelivered after it ended', async () => {
    const job = await submitted();
    let runs = 0;
    const handler: JobHandler = async () => {
      runs++;
      return { kind: 'done' };
    };
    await deliver(job.id, handler);
    await deliver(job.id, handler, 2);
    expect(runs).toBe(1);
  });

  it('lets a transient failure be redelivered and resumed from the checkpoint', async () => {
    const job = await submitted();
    const seenStates: unknown[] = [];
    const handler: JobHandler = async (context) => {
      seenStates.push(context.state);
      if (context.deliveryCount === 1) {
        await context.saveState({ done: 5 });
        throw new Error('connection reset');
      }
      return { kind: 'done', result: context.state };
    };
    await expect(deliver(job.id, handler, 1)).rejects.toThrow('connection reset');
    expect((await readJob(job.id))?.record.status).toBe('running');
    await deliver(job.id, handler, 2);
    expect(seenStates).toEqual([undefined, { done: 5 }]);
    expect((await readJob(job.id))?.record).toMatchObject({ status: 'succeeded', result: { done: 5 }, attempts: 2 });
  });

  it('fails a job at once on a permanent error, without throwing for redelivery', async () => {
    const job = await submitted();
    await deliver(job.id, async () => {
      throw new PermanentJobError('input.width must be positive');
    });
    expect((await readJob(job.id))?.record).toMatchObject({
      status: 'failed',
      error: { code: 'bad-input', message: 'input.width must be positive' },
    });
  });

  it('records the failure on the last delivery before the message is dead-lettered', async () => {
    const job = await submitted();
    await expect(
      deliver(job.id, async () => {
        throw new Error('model server down');
      }, 10, 10),
    ).rejects.toThrow();
    expect((await readJob(job.id))?.record).toMatchObject({ status: 'failed', error: { code: 'failed', message: 'model server down' } });
  });

  it('fails a job whose kind has no handler instead of retrying it', async () => {
    const job = await submitted();
    await processJobMessage({ jobId: job.id, kind: 'labels.export' }, { messageId: job.id, deliveryCount: 1, maxDeliveryCount: 10 }, () => undefined, log);
    expect((await readJob(job.id))?.record).toMatchObject({ status: 'failed', error: { code: 'no-handler' } });
  });

  it('completes an unreadable message and fails its job instead of retrying it forever', async () => {
    const job = await submitted();
    await processJobMessage({ jobId: job.id, kind: 'no-such-kind' }, { messageId: 'x', deliveryCount: 1, maxDeliveryCount: 10 }, handlers(async () => ({ kind: 'done' })), log);
    expect((await readJob(job.id))?.record).toMatchObject({ status: 'failed', error: { code: 'bad-message' } });
  });

  it('never runs a job canceled before it started', async () => {
    const job = await submitted();
    await cancelJob(job.id, { id: job.owner, kind: 'apiKey', roles: ['reader'] });
    let runs = 0;
    await deliver(job.id, async () => {
      runs++;
      return { kind: 'done' };
    });
    expect(runs).toBe(0);
    expect((await readJob(job.id))?.record.status).toBe('canceled');
  });

  it('cancels a job whose Cancel-After deadline passed before it started', async () => {
    const job = await submitted(new Date(Date.now() - 1_000));
    let runs = 0;
    await deliver(job.id, async () => {
      runs++;
      return { kind: 'done' };
    });
    expect(runs).toBe(0);
    expect((await readJob(job.id))?.record).toMatchObject({ status: 'canceled', error: { code: 'deadline' } });
  });

  it('starts a job once when two deliveries race', async () => {
    const job = await submitted();
    let runs = 0;
    const handler: JobHandler = async () => {
      runs++;
      await new Promise((resolve) => setTimeout(resolve, 50));
      return { kind: 'done' };
    };
    const outcomes = await Promise.allSettled([deliver(job.id, handler), deliver(job.id, handler)]);
    // The loser of the ETag race throws (its message is redelivered and then finds the job ended).
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    await deliver(job.id, handler, 2);
    expect(runs).toBe(1);
  });

  it('keeps a result over 100 KB in blob storage, not in the job document', async () => {
    const job = await submitted();
    const big = { rows: Array.from({ length: 5_000 }, (_, i) => ({ i, text: 'x'.repeat(20) })) };
    await deliver(job.id, async () => ({ kind: 'done', result: big }));
    const stored = (await readJob(job.id))?.record;
    expect(stored?.status).toBe('succeeded');
    expect(stored?.result).toBeUndefined();
    const [container, ...name] = String(stored?.resultBlob).split('/');
    const blob = await blobServiceClient().getContainerClient(container ?? '').getBlobClient(name.join('/')).downloadToBuffer();
    expect(JSON.parse(blob.toString())).toEqual(big);
  });
});

describe('the dead-letter trigger', () => {
  it('marks a job that is not yet terminal failed with the reason', async () => {
    const job = await submitted();
    await processDeadLetter({ jobId: job.id, kind: 'labels.export' }, 'MaxDeliveryCountExceeded');
    expect((await readJob(job.id))?.record).toMatchObject({
      status: 'failed',
      error: { code: 'dead-lettered', message: expect.stringContaining('MaxDeliveryCountExceeded') },
    });
  });
});

describe('the reaper', () => {
  it('fails running jobs whose heartbeat stopped', async () => {
    const job = await submitted();
    await expect(
      deliver(job.id, async () => {
        throw new Error('worker crashed');
      }),
    ).rejects.toThrow();
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const reaped = await reapJobs(1);
    expect(reaped.failed).toBeGreaterThanOrEqual(1);
    expect((await readJob(job.id))?.record).toMatchObject({ status: 'failed', error: { code: 'stuck' } });
  });
});
