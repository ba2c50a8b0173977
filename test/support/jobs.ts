import { expect } from 'vitest';
import { type JobView, TERMINAL_STATUSES } from '../../shared/jobs/job.schema';
import { call } from './api';

/** A job as `GET /api/v1/jobs/{id}` answers it (the `Job` component). */
export type Job = JobView;

/** What a poll of `GET /api/v1/jobs/{id}` answered: any tier's `call()` gives this shape. */
export interface JobPoll<T> {
  status: number;
  text: string;
  body: T;
}

export interface WaitForJobOptions<T> {
  /** A safety net, never an assertion on speed. */
  timeoutMs?: number;
  /** Waits out 404s while the job may still be created (a webhook delivery job, say). */
  mayNotExistYet?: boolean;
  /** Asks for the job once, at `path` below `/api`; by default through `call()` on the suite's stack. */
  read?: (path: string) => Promise<JobPoll<T>>;
}

/**
 * Polls a job until it ends and answers it as it ended. `job` is the job's id or the `Location` the
 * API answered with (`/api/v1/jobs/{id}`); `key` is the caller's API key. A test asserts what the job
 * became, never how fast.
 *
 * @example const job = await waitForJob(finalize.headers.get('location') ?? '', alice);
 * @example await waitForJob(id, undefined, { read: (path) => callPrivateStack('GET', path) }); // a stack of the test's own
 */
export async function waitForJob<T extends { status?: unknown } = Job>(job: string, key?: string, options: WaitForJobOptions<T> = {}): Promise<T> {
  const path = job.startsWith('/api/') ? job.slice('/api'.length) : `/v1/jobs/${job}`;
  const read = options.read ?? ((at: string) => call<T>('GET', at, { key }));
  const timeoutMs = options.timeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const answer = await read(path);
    if (!(options.mayNotExistYet && answer.status === 404)) {
      expect(answer.status, answer.text).toBe(200);
      if (TERMINAL_STATUSES.some((status) => status === answer.body.status)) return answer.body;
    }
    if (Date.now() > deadline) {
      throw new Error(`the job is still ${answer.status === 404 ? 'missing' : String(answer.body.status)} after ${timeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
