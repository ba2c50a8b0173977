import { expect } from 'vitest';

/** What a poll of `GET /api/v1/jobs/{id}` answered: any tier's `call()` gives this shape. */
export interface JobPoll<T> {
  status: number;
  text: string;
  body: T;
}

const TERMINAL = ['succeeded', 'failed', 'canceled'];

/**
 * Polls a job until it ends and answers it as it ended. `read` asks for the job once (through
 * whichever stack the test talks to); `mayNotExistYet` waits out 404s while the job may still be
 * created. The timeout is a safety net; a test asserts what the job became, never how fast.
 */
export async function untilJobEnds<T extends { status?: unknown }>(
  read: () => Promise<JobPoll<T>>,
  options: { timeoutMs?: number; mayNotExistYet?: boolean } = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = await read();
    if (!(options.mayNotExistYet && job.status === 404)) {
      expect(job.status, job.text).toBe(200);
      if (TERMINAL.includes(String(job.body.status))) return job.body;
    }
    if (Date.now() > deadline) {
      throw new Error(`the job is still ${job.status === 404 ? 'missing' : String(job.body.status)} after ${timeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
