import type { JobMessage, JobRecord } from './job.schema';

/** What a job handler gets for one delivery of its message. */
export interface JobContext {
  job: JobRecord;
  /** The message's `part` (fan-out jobs); undefined for whole-job messages. */
  part: unknown;
  deliveryCount: number;
  /** True on the last delivery before the message is dead-lettered. */
  isLastDelivery: boolean;
  /** The checkpoint saved by an earlier delivery, to resume from. */
  state: unknown;
  /** Saves a checkpoint: a redelivery after a crash resumes from here. */
  saveState(state: unknown): Promise<void>;
  /** Records progress (shown to callers polling the job). */
  progress(done: number, total: number): Promise<void>;
  /** Sends another message for this job (fan-out into batches). */
  enqueuePart(part: unknown): Promise<void>;
  log(message: string): void;
}

/**
 * The outcome of a handler: `done` with a result ends the job `succeeded`; `pending` leaves it
 * `running` (a fan-out job whose other parts are still out).
 */
export type JobOutcome = { kind: 'done'; result?: unknown } | { kind: 'pending' };

export type JobHandler = (context: JobContext) => Promise<JobOutcome>;

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
