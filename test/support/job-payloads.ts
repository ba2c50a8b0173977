import { randomBytes } from 'node:crypto';
import type { JobInput, JobPart } from '../../shared/jobs/job.kinds';

/** Valid payloads for tests that drive the worker themselves: the worker parses every payload before a handler runs. */

const hex = (bytes: number) => randomBytes(bytes).toString('hex');

/** An `inference.run` payload: one input for the builtin iris model. */
export function inferencePayload(overrides: Partial<JobInput<'inference.run'>> = {}): JobInput<'inference.run'> {
  return {
    model: { id: 'iris-classifier', version: 'test', runtime: { kind: 'builtin', name: 'iris-classifier' } },
    input: { sepal_length: 5.1, sepal_width: 3.5, petal_length: 1.4, petal_width: 0.2 },
    ...overrides,
  };
}

/** Part `n` of an `inference.run` imageset job: one batch of one image. */
export function batchPart(n: number): JobPart<'inference.run'> {
  return { batch: n, imageIds: [`${hex(8)}~${hex(10)}`] };
}

/** A `labels.export` payload for a campaign that need not exist (handlers in tests never read it). */
export function exportPayload(): JobInput<'labels.export'> {
  return { campaignId: hex(8), formats: ['coco'], imageUrls: false };
}
