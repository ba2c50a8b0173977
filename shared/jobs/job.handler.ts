import type { JobInput, JobPart } from './job.kinds';
import type { JobKind, JobMessage, JobRecord } from './job.schema';

/** What a job handler of kind `K` gets for one delivery of its message. */
export interface JobContext<K extends JobKind = JobKind> {
  job: JobRecord;
  /** The job's payload, parsed by the worker with its kind's schema (job.kinds.ts). */
  input: JobInput<K>;
  /** The message's `part` (fan-out jobs), parsed with its kind's part schema; undefined for whole-job messages. */
  part: JobPart<K> | undefined;
  deliveryCount: number;
  /** True on the last delivery before the message is dead-lettered. */
  isLastDelivery: boolean;
  /** The checkpoint saved by an earlier delivery, to resume from. */
  state: unknown;
  /**
   * Saves a checkpoint: a redelivery after a crash resumes from here. Throws a `canceled`
   * PermanentJobError (after saving) once the job's owner has asked to cancel it.
   */
  saveState(state: unknown): Promise<void>;
  /**
   * Records progress (shown to callers polling the job). Throws a `canceled` PermanentJobError once
   * the job's owner has asked to cancel it: long handlers stop at their next report.
   */
  progress(done: number, total: number): Promise<void>;
  /** Sends another message for this job (fan-out into batches). */
  enqueuePart(part: JobPart<K>): Promise<void>;
  /**
   * Records a fan-out part as done, once per `partId` however often its message is redelivered:
   * adds `units` to `progress.done` and keeps `result` as the part's own document. Exactly one first
   * completion sees `done === total` and finishes the job (a redelivered part sees the same numbers
   * again; finishing twice is harmless, the worker ignores a job that has ended).
   */
  completePart(partId: string, result: unknown, units: number): Promise<PartsDone>;
  /**
   * Aborted once the job's owner cancels it while this delivery runs: pass it to slow calls (a
   * remote model) so they stop at once instead of at the next progress report.
   */
  signal: AbortSignal;
  /** The result a part was recorded with; undefined while it is not done (a redelivery skips done work). */
  partResult(partId: string): Promise<unknown>;
  log(message: string): void;
}

/**
 * The outcome of a handler: `done` with a result ends the job `succeeded` (`cached`: the result was
 * a cached one, shown on the job); `pending` leaves it `running` (a fan-out job whose other parts
 * are still out).
 */
export type JobOutcome = { kind: 'done'; result?: unknown; cached?: boolean } | { kind: 'pending' };

export type JobHandler<K extends JobKind = JobKind> = (context: JobContext<K>) => Promise<JobOutcome>;

/** Progress after `completePart`; the parts' results are read when asked for (the finishing part). */
export interface PartsDone {
  done: number;
  total: number;
  /** Every part's result by part id (one single-partition query). */
  readParts(): Promise<Record<string, unknown>>;
}

/**
 * Thrown by a handler for input that can never succeed (a bad model input, a missing imageset):
 * the job fails at once instead of burning every redelivery.
 */
export class PermanentJobError extends Error {
  constructor(
    message: string,
    readonly code = 'bad-input',
  ) {
    super(message);
    this.name = 'PermanentJobError';
  }
}

export type { JobMessage };
