import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { JobHandler } from '../../shared/jobs/job.handler';
import { readJob } from '../../shared/jobs/job.repository';
import { findJob, submitJob } from '../../shared/jobs/job.service';
import { handlersOf } from '../../shared/jobs/job.handlers';
import { processJobMessage } from '../../shared/jobs/job.worker';
import { batchPart, inferencePayload } from '../support/job-payloads';
import { captureJobMessages } from '../support/job-queue';

/**
 * Issue 17, item 3: a fan-out job's parts (and the per-image skip reasons in them) must not grow
 * the job document. Cosmos DB refuses items over 2 MB (strict mode of the local server refuses them
 * too, with 413), and rewriting a growing job on every part costs quadratically.
 */
captureJobMessages();

const PARTS = 40;
/** About 64 KB of skip reasons per part: 40 parts hold 2.5 MB, more than one Cosmos item may. */
const skipsOfPart = (part: number) => Array.from({ length: 320 }, (_, i) => ({ imageId: `img-${part}-${i}`, reason: `unreadable: ${'x'.repeat(160)}` }));

describe('a fan-out job with 2.5 MB of part results', () => {
  it('completes every part, reads every part back at the end, and its job document stays small', async () => {
    const job = await submitJob({ kind: 'inference.run', owner: `owner-${randomUUID()}`, input: inferencePayload() });
    const handler: JobHandler<'inference.run'> = async (context) => {
      if (context.part === undefined) {
        await context.progress(0, PARTS);
        return { kind: 'pending' };
      }
      const part = context.part.batch;
      const progress = await context.completePart(`batch-${part}`, { skipped: skipsOfPart(part) }, 1);
      if (progress.done < progress.total) return { kind: 'pending' };
      const parts = await progress.readParts();
      const skipped = Object.values(parts).reduce<number>((sum, result) => sum + (result as { skipped: unknown[] }).skipped.length, 0);
      return { kind: 'done', result: { parts: Object.keys(parts).length, skipped } };
    };
    const deliver = (part: unknown) =>
      processJobMessage({ jobId: job.id, kind: 'inference.run', part }, { messageId: randomUUID(), deliveryCount: 1, maxDeliveryCount: 10 }, handlersOf({ 'inference.run': handler }), () => {});
    await deliver(undefined);
    for (let n = 0; n < PARTS; n += 1) await deliver(batchPart(n));

    expect(await findJob(job.id)).toMatchObject({ status: 'succeeded', progress: { done: PARTS, total: PARTS }, result: { parts: PARTS, skipped: PARTS * 320 } });
    const stored = await readJob(job.id);
    expect(Buffer.byteLength(JSON.stringify(stored?.doc))).toBeLessThan(4_096);
  });
});
