import { randomUUID } from 'node:crypto';
import { queueSender } from '../azure/queue';
import { RETRY, retryOnConflict } from '../azure/store';
import { sasSigner } from '../azure/sas';
import { isAdmin } from '../auth/auth.service';
import type { Principal } from '../auth/auth.schema';
import { config } from '../config';
import { errors } from '../errors';
import { decodeCursor, type Page } from '../query/cursor';
import type { JobInputToSubmit } from './job.kinds';
import { type JobFilters, insertJob, listJobs, patchJob, readJob, replaceJobIfUnchanged, type StoredJob } from './job.repository';
import { FOLLOW_UP_JOB_KINDS, type JobKind, type JobMessage, type JobRecord, type JobStatus, JobView, TERMINAL_STATUSES } from './job.schema';

export interface SubmitJob<K extends JobKind = JobKind> {
  kind: K;
  owner: string;
  /** The payload of its kind (job.kinds.ts); the worker parses it before the handler runs. */
  input: JobInputToSubmit<K>;
  labels?: Record<string, string>;
  cancelAfter?: Date;
  /** Use this id instead of a random one (idempotent submission by a caller-derived key). */
  id?: string;
}

export function isTerminal(status: JobStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

export async function sendJobMessage(message: JobMessage, messageId: string): Promise<void> {
  await queueSender().send(config().serviceBus.queue, { messageId, body: message });
}

/**
 * Writes the job (queued) first, then its message, so a message never points at nothing; if the
 * send fails the job is marked failed and the caller gets 503 — no orphan on either side. Undefined
 * (and no message) when a job with `submission.id` exists already.
 */
export async function createJob<K extends JobKind>(submission: SubmitJob<K>): Promise<JobRecord | undefined> {
  const record: JobRecord = {
    id: submission.id ?? randomUUID(),
    docType: 'job',
    kind: submission.kind,
    owner: submission.owner,
    status: 'queued',
    input: submission.input,
    attempts: 0,
    createdAt: new Date().toISOString(),
    startedAt: null,
    heartbeatAt: null,
    finishedAt: null,
    cancelAfter: submission.cancelAfter?.toISOString() ?? null,
    cancelRequested: false,
    labels: submission.labels ?? {},
  };
  const inserted = await insertJob(record);
  if (!inserted) return undefined;
  const created = inserted.doc;
  try {
    await sendJobMessage({ jobId: created.id, kind: created.kind }, created.id);
  } catch (error) {
    await patchJob(created.id, [
      { op: 'set', path: '/status', value: 'failed' },
      { op: 'set', path: '/finishedAt', value: new Date().toISOString() },
      { op: 'set', path: '/error', value: { code: 'queue-unavailable', message: 'The job could not be queued.' } },
    ]);
    throw errors.unavailable('The job queue is not reachable; the job was not started. Try again shortly.', 30);
  }
  return created;
}

/** `createJob` for a new job: 409 when a job with `submission.id` exists already. */
export async function submitJob<K extends JobKind>(submission: SubmitJob<K>): Promise<JobRecord> {
  const created = await createJob(submission);
  if (!created) throw errors.conflict(`A job with id '${submission.id ?? ''}' exists already.`);
  return created;
}

/** The job by id with no access check, for the areas' own workers and services; undefined if absent. */
export async function findJob(id: string): Promise<JobRecord | undefined> {
  return (await readJob(id))?.doc;
}

/** The job if the caller may see it (its owner or an admin); 404 otherwise, so ids leak nothing. */
export async function getJobFor(principal: Principal, id: string): Promise<StoredJob> {
  const stored = await readJob(id);
  if (!stored || (stored.doc.owner !== principal.id && !isAdmin(principal))) throw errors.notFound('job', id);
  return stored;
}

export function toJobView(record: JobRecord): JobView {
  const { startedAt, finishedAt } = record;
  const metrics = startedAt && finishedAt ? { predictTime: Math.max(0, Date.parse(finishedAt) - Date.parse(startedAt)) / 1000 } : undefined;
  return JobView.parse({ ...record, ...(metrics ? { metrics } : {}) });
}

/** The job as its poller sees it: a result kept in blob storage comes as a short-lived read SAS link. */
export async function presentJob(record: JobRecord): Promise<JobView> {
  const view = toJobView(record);
  if (!record.resultBlob) return view;
  const [containerName = '', ...blob] = record.resultBlob.split('/');
  const link = await sasSigner().readUrl(containerName, blob.join('/'), config().sas.readTokenTtlSeconds);
  return { ...view, resultUrl: link.url, expiresAt: link.expiresOn.toISOString() };
}

export async function listJobsFor(
  principal: Principal,
  filters: Omit<JobFilters, 'owner'> & { all?: boolean },
  limit: number,
  cursor: string | undefined,
): Promise<Page<JobView>> {
  const { all, ...rest } = filters;
  // What the caller submitted, as Replicate lists predictions: the platform's own follow-up jobs
  // (webhook deliveries) only when asked for by kind.
  const visible: JobFilters = rest.kind ? rest : { ...rest, exceptKinds: FOLLOW_UP_JOB_KINDS };
  const scoped: JobFilters = all && isAdmin(principal) ? visible : { ...visible, owner: principal.id };
  const page = await listJobs(scoped, limit, decodeCursor(cursor, filters));
  return { items: page.items.map(toJobView), continuation: page.continuation, cursorScope: filters };
}

/**
 * Cancels a job: a queued one ends `canceled` now (the worker will skip its message); a running
 * one is asked to stop (handlers check `cancelRequested` between batches). 409 once it has ended.
 */
export async function cancelJob(principal: Principal, id: string): Promise<JobRecord> {
  return retryOnConflict(async () => {
    const { doc: record, etag } = await getJobFor(principal, id);
    if (isTerminal(record.status)) throw errors.conflict(`The job has already ended (${record.status}).`, { status: record.status });
    const next: JobRecord =
      record.status === 'queued'
        ? {
            ...record,
            status: 'canceled',
            finishedAt: new Date().toISOString(),
            cancelRequested: true,
            error: { code: 'canceled', message: 'Canceled before it started.' },
          }
        : { ...record, cancelRequested: true };
    return (await replaceJobIfUnchanged(next, etag))?.doc ?? RETRY;
  }, 'The job');
}
