import { z } from 'zod';

/**
 * Every kind of job the worker runs. Each area registers its kinds' handlers next to its routes
 * (`registerJobHandler`); the local stack refuses to start while a kind has none, and the worker
 * fails a job of such a kind instead of retrying it.
 */
export const JobKind = z.enum(['imageset.finalize', 'labels.export', 'labels.import', 'inference.run', 'webhook.deliver', 'connector.run']).meta({ id: 'JobKind' });
/** Jobs the platform starts after one of the caller's (a webhook delivery): listed only when asked for by kind. */
export const FOLLOW_UP_JOB_KINDS: readonly JobKind[] = ['webhook.deliver'];
export type JobKind = z.infer<typeof JobKind>;

export const JobStatus = z.enum(['queued', 'running', 'succeeded', 'failed', 'canceled']).meta({ id: 'JobStatus' });
export type JobStatus = z.infer<typeof JobStatus>;

export const TERMINAL_STATUSES: readonly JobStatus[] = ['succeeded', 'failed', 'canceled'];

export const JobError = z.object({
  code: z.string().describe('`bad-input`, `dead-lettered`, `stuck`, `canceled`, `deadline`, `failed`, …'),
  message: z.string(),
});

export const Progress = z.object({ done: z.number().int().min(0), total: z.number().int().min(0) });

/** The stored job. `state` is the handler's checkpoint (what a redelivery resumes from); never shown. */
export const JobRecord = z.object({
  id: z.string(),
  docType: z.literal('job'),
  kind: JobKind,
  owner: z.string(),
  status: JobStatus,
  input: z.unknown(),
  state: z.unknown().optional(),
  /** Counters only: a fan-out job's parts are documents of their own (job.repository.ts `recordPart`). */
  progress: Progress.optional(),
  result: z.unknown().optional(),
  /** Results too big to store inline live in blob storage; this is the blob path. */
  resultBlob: z.string().optional(),
  /** The result was served from a cache instead of running again (inference jobs say so). */
  cached: z.boolean().optional(),
  error: JobError.optional(),
  attempts: z.number().int().min(0),
  createdAt: z.iso.datetime(),
  startedAt: z.iso.datetime().nullable(),
  /** Updated on start, progress and checkpoints; the reaper fails running jobs whose heartbeat stopped. */
  heartbeatAt: z.iso.datetime().nullable().default(null),
  finishedAt: z.iso.datetime().nullable(),
  /** A job not started by then ends `canceled` (the `Cancel-After` deadline). */
  cancelAfter: z.iso.datetime().nullable(),
  cancelRequested: z.boolean().default(false),
  /** Kind-specific fields areas may add (e.g. modelId) for listing and filtering. */
  labels: z.record(z.string(), z.string()).default({}),
});
export type JobRecord = z.infer<typeof JobRecord>;

/** What a job message carries: the job id and kind; the job document holds the rest. */
export const JobMessage = z.object({
  jobId: z.string().min(1).max(128),
  kind: JobKind,
  /** For fan-out: which part of the job this message is for. */
  part: z.unknown().optional(),
});
export type JobMessage = z.infer<typeof JobMessage>;

export const JobView = JobRecord.omit({ docType: true, state: true, input: true, resultBlob: true })
  .extend({
    resultUrl: z.string().optional().describe('A short-lived read SAS link to a result kept in blob storage.'),
    expiresAt: z.iso.datetime().optional().describe('When `resultUrl` stops working; fetch the job again for a fresh link.'),
    metrics: z
      .object({ predictTime: z.number().min(0).describe('Seconds from its start (first attempt) to its end: Replicate’s `predict_time`, retries included.') })
      .optional()
      .describe('Once the job has ended after starting.'),
  })
  .meta({ id: 'Job' });
export type JobView = z.infer<typeof JobView>;
