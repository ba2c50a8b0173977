import type { PatchOperation } from '@azure/cosmos';
import { blobServiceClient } from '../azure/blob';
import { RETRY, retryOnConflict } from '../azure/store';
import { sha256 } from '../hash';
import { findJobsOlderThan, findUnfinishedJobs, patchJob, readJob, readPart, readParts, recordPart } from './job.repository';
import { type JobContext, type JobOutcome, type PartsDone, PermanentJobError } from './job.handler';
import type { HandlerLookup } from './job.handlers';
import { type JobInput, type JobPart, parseJobPayload } from './job.kinds';
import { JobKind, JobMessage, type JobRecord } from './job.schema';
import { isTerminal, sendJobMessage } from './job.service';

/** Results above this size go to blob storage; Cosmos documents stay small (and cheap to poll). */
export const INLINE_RESULT_LIMIT_BYTES = 100 * 1024;
export const RESULTS_CONTAINER = 'job-results';
/**
 * How often a running handler's job is read to learn of a cancel: a cancel in another instance is
 * seen within this, one read per running job and interval (fast jobs end before the first).
 */
export const CANCEL_POLL_MS = 300;

export type { HandlerLookup };

let resultsContainerReady: Promise<void> | undefined;

export interface Delivery {
  messageId: string;
  deliveryCount: number;
  maxDeliveryCount: number;
}

export type WorkerLog = (message: string) => void;

function now(): string {
  return new Date().toISOString();
}

/** A short reason fit to show the job's owner: the error's message, bounded. */
function reason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.length > 500 ? `${message.slice(0, 497)}...` : message;
}

/** Writes that end a job apply only while it is open: an end, once recorded, is never overwritten. */
const OPEN = "FROM c WHERE c.status IN ('queued', 'running')";

/** Ends the job with `fields` (and `finishedAt`) in one conditional write; false when `condition` did not hold. */
async function finish(jobId: string, fields: Partial<JobRecord>, condition = OPEN): Promise<boolean> {
  const operations = Object.entries({ ...fields, finishedAt: now() }).map(([key, value]) => ({
    op: 'set' as const,
    path: `/${key}`,
    value,
  }));
  return (await patchJob(jobId, operations, { filter: condition })) !== undefined;
}

async function finishCanceled(jobId: string): Promise<void> {
  await finish(jobId, { status: 'canceled', error: { code: 'canceled', message: 'Canceled while it was running; what it had done by then is kept.' } });
}

function startOperations(startedAt: string, at: string): PatchOperation[] {
  return [
    { op: 'set', path: '/status', value: 'running' },
    { op: 'set', path: '/startedAt', value: startedAt },
    { op: 'set', path: '/heartbeatAt', value: at },
    { op: 'incr', path: '/attempts', value: 1 },
  ];
}

/**
 * queued → running in one conditional write, without reading the job first: of racing deliveries
 * only one starts it. Only a job never started, not canceled and before its deadline passes the
 * filter; for anything else (missing, started, canceled, late, re-queued) it is undefined and the
 * caller reads the job to decide.
 */
async function claimNew(jobId: string): Promise<JobRecord | undefined> {
  const at = now();
  const filter =
    "FROM c WHERE c.status = 'queued' AND c.cancelRequested = false AND IS_NULL(c.startedAt) " +
    `AND (IS_NULL(c.cancelAfter) OR c.cancelAfter > '${at}')`;
  return patchJob(jobId, startOperations(at, at), { filter });
}

async function storeResult(job: JobRecord, result: unknown): Promise<Partial<JobRecord>> {
  const json = JSON.stringify(result ?? null);
  if (Buffer.byteLength(json) <= INLINE_RESULT_LIMIT_BYTES) return { result };
  const blob = `${job.id}.json`;
  const containerClient = blobServiceClient().getContainerClient(RESULTS_CONTAINER);
  resultsContainerReady ??= containerClient.createIfNotExists().then(() => undefined);
  await resultsContainerReady;
  await containerClient.getBlockBlobClient(blob).upload(json, Buffer.byteLength(json), {
    blobHTTPHeaders: { blobContentType: 'application/json' },
  });
  return { resultBlob: `${RESULTS_CONTAINER}/${blob}` };
}

/** Records a part once (job.repository.ts `recordPart`) and answers the job's counters after it. */
async function completePart(jobId: string, partId: string, result: unknown, units: number): Promise<PartsDone> {
  const job = await recordPart(jobId, partId, result, units, now());
  return { done: job.progress?.done ?? 0, total: job.progress?.total ?? 0, readParts: () => readParts(jobId) };
}

/**
 * A running job stops where its handler next reports progress or saves a checkpoint once its owner
 * has asked to cancel it: the write that records either answers the job as it is now, so cancelling
 * costs no extra read, and a handler needs no code of its own to honour it.
 */
function stopIfCancelRequested(current: JobRecord | undefined): void {
  if (current?.cancelRequested) {
    throw new PermanentJobError('Canceled while it was running; what it had done by then is kept.', 'canceled');
  }
}

/**
 * Watches the job while its handler runs and aborts `signal` once its owner asks to cancel it (the
 * cancel route only marks the job; the worker may run in another instance). Stop it when the
 * handler returns.
 */
function watchForCancel(jobId: string, log: WorkerLog): { signal: AbortSignal; stop: () => void } {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const poll = async () => {
    try {
      const current = await readJob(jobId);
      if (current?.doc.cancelRequested || (current && isTerminal(current.doc.status))) controller.abort(new Error('canceled'));
    } catch (error) {
      // A failed read only delays the cancel to the next poll.
      log(`could not read job ${jobId} to check for a cancel: ${reason(error)}`);
    }
    if (!stopped && !controller.signal.aborted) timer = setTimeout(() => void poll(), CANCEL_POLL_MS);
  };
  timer = setTimeout(() => void poll(), CANCEL_POLL_MS);
  return {
    signal: controller.signal,
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

function contextFor<K extends JobKind>(
  job: JobRecord,
  payload: { input: JobInput<K>; part: JobPart<K> | undefined },
  delivery: Delivery,
  log: WorkerLog,
  signal: AbortSignal,
): JobContext<K> {
  return {
    job,
    input: payload.input,
    part: payload.part,
    deliveryCount: delivery.deliveryCount,
    isLastDelivery: delivery.deliveryCount >= delivery.maxDeliveryCount,
    state: job.state,
    async saveState(state) {
      const current = await patchJob(job.id, [
        { op: 'set', path: '/state', value: state },
        { op: 'set', path: '/heartbeatAt', value: now() },
      ]);
      job.state = state;
      stopIfCancelRequested(current);
    },
    async progress(done, total) {
      stopIfCancelRequested(
        await patchJob(job.id, [
          { op: 'set', path: '/progress', value: { done, total } },
          { op: 'set', path: '/heartbeatAt', value: now() },
        ]),
      );
    },
    async enqueuePart(nextPart) {
      // Deterministic message ids make a re-sent part a duplicate that Service Bus drops.
      const digest = sha256(JSON.stringify(nextPart)).slice(0, 16);
      await sendJobMessage({ jobId: job.id, kind: job.kind, part: nextPart }, `${job.id}:${digest}`);
    },
    completePart: (partId, result, units) => completePart(job.id, partId, result, units),
    signal,
    partResult: (partId) => readPart(job.id, partId),
    log,
  };
}

/**
 * The job this delivery runs, or undefined when it runs nothing. A whole-job message first tries
 * the one-write claim; otherwise the job is read: a queued one past its deadline or canceled ends
 * here, a queued one started before (re-queued) is started keeping its first start, a part message
 * of a running job runs, and a whole-job message for a running job runs only as a redelivery.
 */
async function begin(message: JobMessage, delivery: Delivery, log: WorkerLog): Promise<JobRecord | undefined> {
  if (message.part === undefined) {
    const claimed = await claimNew(message.jobId);
    if (claimed) return claimed;
  }
  return retryOnConflict(async () => {
    const stored = await readJob(message.jobId);
    if (!stored || isTerminal(stored.doc.status)) return undefined;
    const { doc: job, etag } = stored;
    if (job.status === 'queued') {
      if (job.cancelRequested || (job.cancelAfter && Date.parse(job.cancelAfter) <= Date.now())) {
        const byDeadline = !job.cancelRequested;
        await finish(job.id, {
          status: 'canceled',
          error: byDeadline
            ? { code: 'deadline', message: 'The job was not started before its Cancel-After deadline.' }
            : { code: 'canceled', message: 'Canceled before it started.' },
        });
        return undefined;
      }
      return (await patchJob(job.id, startOperations(job.startedAt ?? now(), now()), { ifMatch: etag })) ?? RETRY;
    }
    if (message.part !== undefined) return job;
    if (delivery.deliveryCount <= 1) {
      // The first delivery of a message for a job already running is a second message for it (a
      // racing duplicate, the reaper's re-send of a job whose message was only slow), not a
      // redelivery after a crash: the message that started the job comes back itself if its worker fails.
      log(`skipped message ${delivery.messageId}: job ${job.id} is already running`);
      return undefined;
    }
    // A redelivery of a job that was running: count the attempt and show it is alive again.
    return patchJob(job.id, [
      { op: 'incr', path: '/attempts', value: 1 },
      { op: 'set', path: '/heartbeatAt', value: now() },
    ]);
  }, `Job ${message.jobId}`);
}

/** A result stored, then refused because the job was canceled meanwhile: its blob goes too. */
async function discardResult(stored: Partial<JobRecord>): Promise<void> {
  const [containerName = '', ...blob] = (stored.resultBlob ?? '').split('/');
  if (blob.length > 0) await blobServiceClient().getContainerClient(containerName).getBlockBlobClient(blob.join('/')).deleteIfExists();
}

/**
 * Records the result in the same conditional write that says `succeeded`, never after it, and only
 * while the job runs and nobody asked to cancel it. Canceled before its result was recorded, the job
 * ends `canceled` without it, as Replicate's canceled predictions have no output.
 */
async function succeed(job: JobRecord, outcome: { result?: unknown; cached?: boolean }): Promise<void> {
  const stored = await storeResult(job, outcome.result);
  const cached = outcome.cached === undefined ? {} : { cached: outcome.cached };
  const running = "FROM c WHERE c.status = 'running' AND (NOT IS_DEFINED(c.cancelRequested) OR c.cancelRequested = false)";
  if (await finish(job.id, { status: 'succeeded', ...cached, ...stored }, running)) return;
  await discardResult(stored);
  await finish(
    job.id,
    { status: 'canceled', error: { code: 'canceled', message: 'Canceled while it was running; what it had done by then is kept.' } },
    "FROM c WHERE c.status = 'running' AND c.cancelRequested = true",
  );
}

/**
 * Handles one delivery of a job message. Idempotent: a message for a job that has ended, or a
 * second message for a job another message has started, is completed without running anything
 * (only a redelivery, `deliveryCount` > 1, resumes a running job). Returns normally to complete the
 * message; throws only for transient failures, so Service Bus redelivers (ARCHITECTURE.md 9 and 12).
 */
export async function processJobMessage(body: unknown, delivery: Delivery, handlerFor: HandlerLookup, log: WorkerLog): Promise<void> {
  const parsed = JobMessage.safeParse(body);
  if (!parsed.success) {
    // A poison message: rerunning cannot help, so end its job (if we can tell which) and complete.
    const { jobId, kind } = (body ?? {}) as { jobId?: unknown; kind?: unknown };
    const unknownKind = typeof kind === 'string' && !JobKind.safeParse(kind).success;
    const message = unknownKind
      ? `Unknown job kind '${String(kind)}'; this deployment runs ${JobKind.options.join(', ')}.`
      : 'The job message could not be read.';
    if (typeof jobId === 'string') await finish(jobId, { status: 'failed', error: { code: unknownKind ? 'unknown-kind' : 'bad-message', message } });
    log(`discarded unreadable message ${delivery.messageId}: ${message}`);
    return;
  }
  const job = await begin(parsed.data, delivery, log);
  if (job) await run(job.kind, job, parsed.data.part, delivery, handlerFor, log);
}

/** Runs the handler of the job's kind with its payload parsed, and records how it ended. */
async function run<K extends JobKind>(kind: K, job: JobRecord, part: unknown, delivery: Delivery, handlerFor: HandlerLookup, log: WorkerLog): Promise<void> {
  const handler = handlerFor(kind);
  if (!handler) {
    // A deployment without this kind's handler: no redelivery will find one.
    await finish(job.id, { status: 'failed', error: { code: 'no-handler', message: `No handler for job kind '${kind}'.` } });
    log(`no handler for job kind ${kind}`);
    return;
  }
  const payload = parseJobPayload(kind, job.input, part);
  if (!payload.ok) {
    // The payload is what the job was submitted with: no redelivery will read it better.
    await finish(job.id, { status: 'failed', error: { code: 'bad-payload', message: payload.problem } });
    log(`job ${job.id}: ${payload.problem}`);
    return;
  }
  let outcome: JobOutcome;
  const watch = watchForCancel(job.id, log);
  try {
    outcome = await handler(contextFor<K>(job, payload, delivery, log, watch.signal));
  } catch (error) {
    if (watch.signal.aborted) {
      // Whatever the handler threw once its calls were aborted, the job was canceled, not broken.
      await finishCanceled(job.id);
      return;
    }
    if (error instanceof PermanentJobError) {
      // A handler that stops because its job was asked to stop ends it `canceled`, not `failed`.
      await finish(job.id, { status: error.code === 'canceled' ? 'canceled' : 'failed', error: { code: error.code, message: error.message } });
      return;
    }
    if (delivery.deliveryCount >= delivery.maxDeliveryCount) {
      // Record the failure before the message goes to the dead-letter queue.
      await finish(job.id, { status: 'failed', error: { code: 'failed', message: reason(error) } });
    }
    throw error;
  } finally {
    watch.stop();
  }
  if (outcome.kind === 'done') await succeed(job, outcome);
}

/** The dead-letter trigger: a job whose message was dead-lettered ends `failed` with the reason. */
export async function processDeadLetter(body: unknown, deadLetterReason: string | undefined): Promise<void> {
  const parsed = JobMessage.safeParse(body);
  if (!parsed.success) return;
  await finish(parsed.data.jobId, {
    status: 'failed',
    error: { code: 'dead-lettered', message: `The job's message was dead-lettered: ${deadLetterReason ?? 'unknown reason'}.` },
  });
}

export interface ReapPolicy {
  /** A running job whose heartbeat is older than this has lost its worker. */
  stuckAfterSeconds: number;
  /** A queued job older than this may never have had its message sent. */
  requeueAfterSeconds: number;
}

export interface Reaped {
  failed: number;
  canceled: number;
  requeued: number;
}

/**
 * Re-sends the message of jobs still `queued` long after they were created: the request that wrote
 * the job may have failed before its message was sent (queue down, Cosmos gone after the write), and
 * nothing else would ever start it. The message id is the job id, so Service Bus duplicate detection
 * drops a re-send of a message that is only waiting in the queue, and the worker skips a message for a
 * job that has already started (processJobMessage).
 */
async function requeueUnsent(requeueAfterSeconds: number): Promise<number> {
  const cutoff = new Date(Date.now() - requeueAfterSeconds * 1000).toISOString();
  const waiting = (await findJobsOlderThan('queued', 'createdAt', cutoff, 100)).filter((job) => job.startedAt === null);
  for (const job of waiting) await sendJobMessage({ jobId: job.id, kind: job.kind }, job.id);
  return waiting.length;
}

/**
 * The reaper: jobs `running` longer than `stuckAfterSeconds` (their worker died without a
 * redelivery) end `failed`; queued jobs past their deadline end `canceled`; queued jobs older than
 * `requeueAfterSeconds` get their message again.
 */
export async function reapJobs(policy: ReapPolicy): Promise<Reaped> {
  const { stuckAfterSeconds, requeueAfterSeconds } = policy;
  const cutoff = new Date(Date.now() - stuckAfterSeconds * 1000).toISOString();
  const stuck = await findJobsOlderThan('running', 'heartbeatAt', cutoff, 100);
  for (const job of stuck) {
    await finish(job.id, { status: 'failed', error: { code: 'stuck', message: `No progress for ${stuckAfterSeconds} s.` } });
  }
  const late = await findJobsOlderThan('queued', 'cancelAfter', now(), 100);
  for (const job of late) {
    await finish(job.id, { status: 'canceled', error: { code: 'deadline', message: 'The job was not started before its Cancel-After deadline.' } });
  }
  // After the cancellations: a job whose deadline passed is not worth a message.
  const requeued = await requeueUnsent(requeueAfterSeconds);
  return { failed: stuck.length, canceled: late.length, requeued };
}

/**
 * For a host whose queue does not survive a restart (the local stack with `--data`): every job
 * still `queued` or `running` lost its message with the old process. A running one goes back to
 * `queued` (only if still running: whoever changed it meanwhile decided its fate) so that the worker starts
 * it again from its checkpoint — a first delivery for a running job is skipped as a duplicate —
 * and each gets its message again, with the job id as message id as when it was submitted. Without
 * this a job running at a crash would hold its imageset until the reaper failed it as stuck.
 */
export async function requeueUnfinishedJobs(): Promise<number> {
  let requeued = 0;
  for (const record of await findUnfinishedJobs()) {
    const queued =
      record.status === 'queued' ||
      (await patchJob(record.id, [{ op: 'set', path: '/status', value: 'queued' }], { filter: "FROM c WHERE c.status = 'running'" })) !== undefined;
    if (!queued) continue;
    await sendJobMessage({ jobId: record.id, kind: record.kind }, record.id);
    requeued += 1;
  }
  return requeued;
}
