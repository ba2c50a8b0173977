import { AppError } from '../errors';
import { type JobContext, type JobOutcome, PermanentJobError } from '../jobs/job.handler';
import { findImageOr404, toImageView } from '../labels/image.service';
import { imageIdsOf } from '../labels/image.system';
import { writeModelPredictions } from '../labels/label.service';
import { cachedResult, rememberResult } from './cache.service';
import {
  BatchResult,
  type ImagesetJobResult,
  type InferenceJobInput,
  type ModelSnapshot,
  type WebhookTarget,
} from './model.schema';
import { runModel, runModelOnImage } from './model.service';
import { requestWebhook, wantsEndEvent, wantsStartEvent } from './webhook.job';

/**
 * The `inference.run` job handler. A job with one `input` answers from the result cache or runs the
 * model once. An imageset job fans out: its first message lists the images and sends one message
 * per batch (`enqueuePart`); each batch scores its images and writes their predictions into the
 * label store (source `model`), then records itself done (`completePart`, once per batch however
 * often it is redelivered); the batch that completes the count finishes the job.
 */
export const IMAGE_BATCH_SIZE = 8;
const IMAGE_CONCURRENCY = 4;
const MAX_SKIPPED_LISTED = 100;

/** Per-image failures that skip the image; anything else (a misconfigured model, auth) fails the job. */
const PER_IMAGE_CODES = new Set(['unsupported-image', 'bad-input', 'model-output']);

type InferenceContext = JobContext<'inference.run'>;

/**
 * Starts the webhook jobs the caller's `webhookEvents` ask for: `start` as the job starts; the end
 * after success, on a permanent failure, on the last delivery.
 */
async function withWebhook(context: InferenceContext, webhook: WebhookTarget | undefined, step: () => Promise<JobOutcome>): Promise<JobOutcome> {
  if (!webhook) return step();
  if (context.part === undefined && wantsStartEvent(webhook.events)) await requestWebhook(context.job, webhook, 'start');
  try {
    const outcome = await step();
    if (outcome.kind === 'done' && wantsEndEvent(webhook.events, 'succeeded')) await requestWebhook(context.job, webhook);
    return outcome;
  } catch (error) {
    if ((error instanceof PermanentJobError || context.isLastDelivery) && wantsEndEvent(webhook.events, 'failed')) {
      await requestWebhook(context.job, webhook).catch((cause: unknown) => context.log(`webhook job not started: ${String(cause)}`));
    }
    throw error;
  }
}

async function runOnce(input: InferenceJobInput, signal: AbortSignal): Promise<JobOutcome> {
  if (input.cacheKey) {
    const hit = await cachedResult(input.cacheKey);
    if (hit) return { kind: 'done', result: hit.result, cached: true };
  }
  const result = await runModel(input.model, input.input, signal);
  if (input.cacheKey) await rememberResult(input.cacheKey, input.model, result);
  return { kind: 'done', result, cached: false };
}

function summary(input: InferenceJobInput, total: number, parts: Record<string, unknown>): ImagesetJobResult {
  const results = Object.values(parts).flatMap((part) => {
    const parsed = BatchResult.safeParse(part);
    return parsed.success ? [parsed.data] : [];
  });
  return {
    imagesetId: input.imagesetId ?? '',
    model: { id: input.model.id, version: input.model.version },
    images: total,
    predictions: results.reduce((sum, r) => sum + r.predictions, 0),
    skipped: results.flatMap((r) => r.skipped).slice(0, MAX_SKIPPED_LISTED),
  };
}

async function plan(context: InferenceContext, input: InferenceJobInput, imagesetId: string): Promise<JobOutcome> {
  const ids = await imageIdsOf(imagesetId).catch((error: unknown) => {
    if (error instanceof AppError && error.status === 404) throw new PermanentJobError(`The imageset ${imagesetId} no longer exists.`, 'not-found');
    throw error;
  });
  if (ids.length === 0) return { kind: 'done', result: summary(input, 0, {}) };
  const planned = (context.state as { planned?: boolean } | undefined)?.planned === true;
  if (!planned) {
    // Progress first, then the checkpoint, then the parts: a redelivery never resets counted parts.
    await context.progress(0, ids.length);
    await context.saveState({ planned: true, images: ids.length });
  }
  const batches: string[][] = [];
  for (let i = 0; i < ids.length; i += IMAGE_BATCH_SIZE) batches.push(ids.slice(i, i + IMAGE_BATCH_SIZE));
  for (let i = 0; i < batches.length; i += 16) {
    await Promise.all(batches.slice(i, i + 16).map((imageIds, k) => context.enqueuePart({ batch: i + k, imageIds })));
  }
  return { kind: 'pending' };
}

async function scoreImage(model: ModelSnapshot, imagesetId: string, imageId: string, signal: AbortSignal): Promise<{ predictions: number } | { skipped: string }> {
  let record;
  try {
    record = await findImageOr404(imageId, imagesetId);
  } catch (error) {
    if (error instanceof AppError && error.status === 404) return { skipped: 'the image no longer exists' };
    throw error;
  }
  const view = await toImageView(record);
  let predictions;
  try {
    const image = { imageId, imageUrl: view.url, contentType: record.contentType, width: record.width, height: record.height };
    predictions = await runModelOnImage(model, image, signal);
  } catch (error) {
    if (error instanceof PermanentJobError && PER_IMAGE_CODES.has(error.code)) return { skipped: error.message };
    throw error;
  }
  try {
    // Replaces this model version's earlier predictions for the image: a redelivered batch writes the same.
    await writeModelPredictions(imagesetId, imageId, predictions, { id: model.id, version: model.version });
  } catch (error) {
    if (error instanceof AppError && (error.status === 404 || error.status === 400)) return { skipped: `not stored: ${error.detail}` };
    throw error;
  }
  return { predictions: predictions.length };
}

async function scoreBatch(input: InferenceJobInput, imagesetId: string, imageIds: string[], signal: AbortSignal): Promise<BatchResult> {
  const result: BatchResult = { images: imageIds.length, predictions: 0, skipped: [] };
  for (let i = 0; i < imageIds.length; i += IMAGE_CONCURRENCY) {
    const outcomes = await Promise.all(imageIds.slice(i, i + IMAGE_CONCURRENCY).map((id) => scoreImage(input.model, imagesetId, id, signal)));
    outcomes.forEach((outcome, k) => {
      if ('skipped' in outcome) result.skipped.push({ imageId: imageIds[i + k] ?? '', reason: outcome.skipped });
      else result.predictions += outcome.predictions;
    });
  }
  return result;
}

async function imagesetStep(context: InferenceContext, input: InferenceJobInput, imagesetId: string): Promise<JobOutcome> {
  const batch = context.part;
  if (batch === undefined) return plan(context, input, imagesetId);
  if (context.job.cancelRequested) throw new PermanentJobError('Canceled while it was running; batches already done keep their predictions.', 'canceled');
  const partId = `batch-${batch.batch}`;
  const done = await context.partResult(partId);
  const result = done === undefined ? await scoreBatch(input, imagesetId, batch.imageIds, context.signal) : done;
  const progress = await context.completePart(partId, result, batch.imageIds.length);
  if (progress.done < progress.total) return { kind: 'pending' };
  return { kind: 'done', result: summary(input, progress.total, await progress.readParts()) };
}

export async function runInferenceJob(context: InferenceContext): Promise<JobOutcome> {
  const input = context.input;
  const { imagesetId } = input;
  return withWebhook(context, input.webhook, () => (imagesetId ? imagesetStep(context, input, imagesetId) : runOnce(input, context.signal)));
}
