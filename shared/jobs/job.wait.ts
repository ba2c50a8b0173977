import { readJob } from './job.repository';
import type { JobRecord } from './job.schema';
import { isTerminal } from './job.service';

/**
 * The job once it has ended, or as it is when `waitMs` has passed. Reads the job document with a
 * growing pause (50 ms up to 500 ms): a builtin model's job is answered within a few reads, and a
 * long wait costs about two reads a second.
 */
export async function waitForJobEnd(job: JobRecord, waitMs: number): Promise<JobRecord> {
  const deadline = Date.now() + waitMs;
  let current = job;
  let pause = 50;
  while (!isTerminal(current.status)) {
    const left = deadline - Date.now();
    if (left <= 0) return current;
    await new Promise((resolve) => setTimeout(resolve, Math.min(pause, left)));
    pause = Math.min(pause * 2, 500);
    current = (await readJob(job.id))?.doc ?? current;
  }
  return current;
}
