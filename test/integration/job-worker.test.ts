import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { blobServiceClient } from '../../shared/azure/blob';
import { type JobHandler, PermanentJobError } from '../../shared/jobs/job.handler';
import { insertJob, readJob } from '../../shared/jobs/job.repository';
import type { JobRecord } from '../../shared/jobs/job.schema';
import { cancelJob, submitJob } from '../../shared/jobs/job.service';
import { handlersOf } from '../../shared/jobs/job.handlers';
import { type HandlerLookup, processDeadLetter, processJobMessage, reapJobs, type ReapPolicy } from '../../shared/jobs/job.worker';
import { exportPayload } from '../support/job-payloads';
import { captureJobMessages } from '../support/job-queue';

let sendFails = false;
/** Messages the service sent, captured instead of delivered: each test plays the queue itself. */
const sent = captureJobMessages({ refuse: () => sendFails });

const owner = () => `owner-${randomUUID()}`;
const log = () => {};

type ExportHandler = JobHandler<'labels.export'>;

function handlers(handler: ExportHandler): HandlerLookup {
  return handlersOf({ 'labels.export': handler });
}

async function submitted(cancelAfter?: Date) {
  const job = await submitJob({ kind: 'labels.export', owner: owner(), input: exportPayload(), cancelAfter });
  const message = sent.find((m) => m.messageId === job.id);
  expect(message?.body).toEqual({ jobId: job.id, kind: 'labels.export' });
  return job;
}

async function deliver(jobId: string, handler: ExportHandler, deliveryCount = 1, maxDeliveryCount = 10) {
  return processJobMessage({ jobId, kind: 'labels.export' }, { messageId: jobId, deliveryCount, maxDeliveryCount }, handlers(handler), log);
}

/** A job stored as it would be `ageSeconds` after its creation, with no message sent for it. */
async function storedJob(ageSeconds: number, fields: Partial<JobRecord> = {}): Promise<JobRecord> {
  const record: JobRecord = {
    id: randomUUID(),
    docType: 'job',
    kind: 'labels.export',
    owner: owner(),
    status: 'queued',
    input: exportPayload(),
    attempts: 0,
    createdAt: new Date(Date.now() - ageSeconds * 1000).toISOString(),
    startedAt: null,
    heartbeatAt: null,
    finishedAt: null,
    cancelAfter: null,
    cancelRequested: false,
    labels: {},
    ...fields,
  };
  const inserted = await insertJob(record);
  if (!inserted) throw new Error(`job ${record.id} exists already`);
  return inserted.doc;
}

const sentFor = (jobId: string) => sent.filter((message) => message.messageId === jobId);

/** Reaper settings for tests: nothing is failed as stuck unless a test asks for it. */
const policy = (overrides: Partial<ReapPolicy> = {}): ReapPolicy => ({
  stuckAfterSeconds: 3_600,
  requeueAfterSeconds: 300,
  ...overrides,
});

describe('submitJob', () => {
  it('writes the job queued, then sends a message whose id is the job id', async () => {
    const sut = await submitted();
    expect(sut.status).toBe('queued');
    expect((await readJob(sut.id))?.doc.status).toBe('queued');
  });

  it('marks the job failed and answers 503 when the message cannot be sent', async () => {
    sendFails = true;
    const id = randomUUID();
    try {
      await expect(submitJob({ id, kind: 'labels.export', owner: owner(), input: exportPayload() })).rejects.toMatchObject({ status: 503 });
    } finally {
      sendFails = false;
    }
    expect((await readJob(id))?.doc).toMatchObject({ status: 'failed', error: { code: 'queue-unavailable' } });
  });
});

describe('processJobMessage', () => {
  it('runs the handler and stores the result with the succeeded state', async () => {
    const job = await submitted();
    await deliver(job.id, async () => ({ kind: 'done', result: { answer: 42 } }));
    expect((await readJob(job.id))?.doc).toMatchObject({ status: 'succeeded', result: { answer: 42 }, attempts: 1 });
  });

  it('does not run a job again when its message is redelivered after it ended', async () => {
    const job = await submitted();
    let runs = 0;
    const handler: ExportHandler = async () => {
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
    const handler: ExportHandler = async (context) => {
      seenStates.push(context.state);
      if (context.deliveryCount === 1) {
        await context.saveState({ done: 5 });
        throw new Error('connection reset');
      }
      return { kind: 'done', result: context.state };
    };
    await expect(deliver(job.id, handler, 1)).rejects.toThrow('connection reset');
    expect((await readJob(job.id))?.doc.status).toBe('running');
    await deliver(job.id, handler, 2);
    expect(seenStates).toEqual([undefined, { done: 5 }]);
    expect((await readJob(job.id))?.doc).toMatchObject({ status: 'succeeded', result: { done: 5 }, attempts: 2 });
  });

  it('fails a job at once on a permanent error, without throwing for redelivery', async () => {
    const job = await submitted();
    await deliver(job.id, async () => {
      throw new PermanentJobError('input.width must be positive');
    });
    expect((await readJob(job.id))?.doc).toMatchObject({
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
    expect((await readJob(job.id))?.doc).toMatchObject({ status: 'failed', error: { code: 'failed', message: 'model server down' } });
  });

  it('fails a job whose kind has no handler instead of retrying it', async () => {
    const job = await submitted();
    await processJobMessage({ jobId: job.id, kind: 'labels.export' }, { messageId: job.id, deliveryCount: 1, maxDeliveryCount: 10 }, handlersOf({}), log);
    expect((await readJob(job.id))?.doc).toMatchObject({ status: 'failed', error: { code: 'no-handler' } });
  });

  it('completes an unreadable message and fails its job instead of retrying it forever', async () => {
    const job = await submitted();
    await processJobMessage({ jobId: job.id }, { messageId: 'x', deliveryCount: 1, maxDeliveryCount: 10 }, handlers(async () => ({ kind: 'done' })), log);
    expect((await readJob(job.id))?.doc).toMatchObject({ status: 'failed', error: { code: 'bad-message' } });
  });

  it('fails a job of an unknown kind at once, naming the kind', async () => {
    const job = await submitted();
    await processJobMessage({ jobId: job.id, kind: 'no-such-kind' }, { messageId: 'x', deliveryCount: 1, maxDeliveryCount: 10 }, handlers(async () => ({ kind: 'done' })), log);
    expect((await readJob(job.id))?.doc).toMatchObject({
      status: 'failed',
      error: { code: 'unknown-kind', message: expect.stringContaining("Unknown job kind 'no-such-kind'; this deployment runs imageset.finalize,") },
    });
  });

  it('fails a job whose payload does not fit its kind at once, naming the field, without running its handler', async () => {
    const job = await storedJob(0, { input: { formats: ['coco'] } });
    let ran = false;
    await deliver(job.id, async () => {
      ran = true;
      return { kind: 'done' };
    });
    expect(ran).toBe(false);
    expect((await readJob(job.id))?.doc).toMatchObject({
      status: 'failed',
      error: { code: 'bad-payload', message: expect.stringMatching(/^The payload of this labels.export job is not valid at input\/campaignId: /) },
    });
  });

  it('hands the handler its payload parsed, with its kind’s defaults', async () => {
    const job = await storedJob(0, { input: { campaignId: 'a1b2c3d4e5f60718', formats: ['yolo'] } });
    await deliver(job.id, async (context) => ({ kind: 'done', result: context.input }));
    expect((await readJob(job.id))?.doc.result).toEqual({ campaignId: 'a1b2c3d4e5f60718', formats: ['yolo'], imageUrls: false });
  });

  it('never runs a job canceled before it started', async () => {
    const job = await submitted();
    await cancelJob({ id: job.owner, kind: 'apiKey', roles: ['reader'] }, job.id);
    let runs = 0;
    await deliver(job.id, async () => {
      runs++;
      return { kind: 'done' };
    });
    expect(runs).toBe(0);
    expect((await readJob(job.id))?.doc.status).toBe('canceled');
  });

  it('stops a running job at its next progress report once its owner cancels it, and ends it canceled', async () => {
    const job = await submitted();
    const reported: number[] = [];
    await deliver(job.id, async (context) => {
      for (let done = 1; done <= 5; done++) {
        await context.progress(done, 5);
        reported.push(done);
        if (done === 2) await cancelJob({ id: job.owner, kind: 'apiKey', roles: ['reader'] }, job.id);
      }
      return { kind: 'done', result: 'finished anyway' };
    });
    // Reports 1 and 2 went through; the report after the cancel threw, so the loop ran no further.
    expect(reported).toEqual([1, 2]);
    const stored = (await readJob(job.id))?.doc;
    expect(stored).toMatchObject({ status: 'canceled', progress: { done: 3, total: 5 }, error: { code: 'canceled' } });
    expect(stored?.result).toBeUndefined();
  });

  it('stops a running job at its next checkpoint once it is canceled, keeping the checkpoint', async () => {
    const job = await submitted();
    let steps = 0;
    await deliver(job.id, async (context) => {
      await cancelJob({ id: job.owner, kind: 'apiKey', roles: ['reader'] }, job.id);
      steps++;
      await context.saveState({ at: 1 });
      steps++;
      return { kind: 'done' };
    });
    expect(steps).toBe(1);
    expect((await readJob(job.id))?.doc).toMatchObject({ status: 'canceled', state: { at: 1 } });
  });

  it('cancels a job whose Cancel-After deadline passed before it started', async () => {
    const job = await submitted(new Date(Date.now() - 1_000));
    let runs = 0;
    await deliver(job.id, async () => {
      runs++;
      return { kind: 'done' };
    });
    expect(runs).toBe(0);
    expect((await readJob(job.id))?.doc).toMatchObject({ status: 'canceled', error: { code: 'deadline' } });
  });

  it('starts a job once when two deliveries race', async () => {
    const job = await submitted();
    let runs = 0;
    const handler: ExportHandler = async () => {
      runs++;
      await new Promise((resolve) => setTimeout(resolve, 50));
      return { kind: 'done' };
    };
    // The loser of the ETag race sees the job started by the other delivery and completes its message.
    await Promise.all([deliver(job.id, handler), deliver(job.id, handler)]);
    await deliver(job.id, handler, 2);
    expect(runs).toBe(1);
  });

  it('skips a second message for a job another message has started, while it runs', async () => {
    const job = await submitted();
    let runs = 0;
    await deliver(job.id, async () => {
      runs++;
      // A re-sent message (first delivery, deliveryCount 1) arrives while this delivery runs the job.
      await deliver(job.id, async () => {
        runs++;
        return { kind: 'done' };
      });
      return { kind: 'done', result: 'once' };
    });
    expect(runs).toBe(1);
    expect((await readJob(job.id))?.doc).toMatchObject({ status: 'succeeded', result: 'once', attempts: 1 });
  });

  it('still resumes a running job on a redelivery of its message', async () => {
    const job = await submitted();
    await expect(
      deliver(job.id, async () => {
        throw new Error('worker lost its connection');
      }),
    ).rejects.toThrow();
    let runs = 0;
    await deliver(job.id, async () => {
      runs++;
      return { kind: 'done' };
    }, 2);
    expect(runs).toBe(1);
    expect((await readJob(job.id))?.doc).toMatchObject({ status: 'succeeded', attempts: 2 });
  });

  it('keeps a result over 100 KB in blob storage, not in the job document', async () => {
    const job = await submitted();
    const big = { rows: Array.from({ length: 5_000 }, (_, i) => ({ i, text: 'x'.repeat(20) })) };
    await deliver(job.id, async () => ({ kind: 'done', result: big }));
    const stored = (await readJob(job.id))?.doc;
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
    expect((await readJob(job.id))?.doc).toMatchObject({
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
    const reaped = await reapJobs(policy({ stuckAfterSeconds: 1 }));
    expect(reaped.failed).toBeGreaterThanOrEqual(1);
    expect((await readJob(job.id))?.doc).toMatchObject({ status: 'failed', error: { code: 'stuck' } });
  });

  it('sends the message again, once per pass, for a job still queued after the grace period; the worker then runs it once', async () => {
    const orphan = await storedJob(301);
    const first = await reapJobs(policy());
    expect(first.requeued).toBeGreaterThanOrEqual(1);
    expect(sentFor(orphan.id)).toEqual([{ messageId: orphan.id, body: { jobId: orphan.id, kind: 'labels.export' } }]);
    await reapJobs(policy());
    expect(sentFor(orphan.id)).toHaveLength(2);
    let runs = 0;
    const handler: ExportHandler = async () => {
      runs++;
      return { kind: 'done' };
    };
    // Both re-sent messages reach the worker (no duplicate detection here): the job runs once.
    for (const message of sentFor(orphan.id)) {
      await processJobMessage(message.body, { messageId: message.messageId, deliveryCount: 1, maxDeliveryCount: 10 }, handlers(handler), log);
    }
    expect(runs).toBe(1);
    expect((await readJob(orphan.id))?.doc).toMatchObject({ status: 'succeeded', attempts: 1 });
    await reapJobs(policy());
    expect(sentFor(orphan.id)).toHaveLength(2);
  });

  it('leaves a job queued for less than the grace period alone: its message may only be waiting', async () => {
    const fresh = await storedJob(60);
    await reapJobs(policy());
    expect(sentFor(fresh.id)).toEqual([]);
    expect((await readJob(fresh.id))?.doc.status).toBe('queued');
  });

  it('does not send a message for a running or an ended job, however old', async () => {
    const started = new Date(Date.now() - 3_000_000).toISOString();
    const running = await storedJob(3_000, { status: 'running', startedAt: started, heartbeatAt: new Date().toISOString(), attempts: 1 });
    const succeeded = await storedJob(3_000, { status: 'succeeded', startedAt: started, finishedAt: started, attempts: 1 });
    const canceled = await storedJob(3_000, { status: 'canceled', finishedAt: started, cancelRequested: true });
    await reapJobs(policy());
    expect([...sentFor(running.id), ...sentFor(succeeded.id), ...sentFor(canceled.id)]).toEqual([]);
  });

  it('cancels a queued job past its Cancel-After deadline instead of sending its message again', async () => {
    const late = await storedJob(600, { cancelAfter: new Date(Date.now() - 1_000).toISOString() });
    const reaped = await reapJobs(policy());
    expect(reaped.canceled).toBeGreaterThanOrEqual(1);
    expect(sentFor(late.id)).toEqual([]);
    expect((await readJob(late.id))?.doc).toMatchObject({ status: 'canceled', error: { code: 'deadline' } });
  });
});
