import { z } from 'zod';
import { EntryId } from '../catalogue/catalogue.schema';
import { ModelRuntime } from '../catalogue/types/model.schema';
import { JobError, JobStatus, JobView } from '../jobs/job.schema';
import { ImageId, ImagesetId } from '../labels/ids';
import { config } from '../config';
import { refusedUrl } from '../outbound/outbound.policy';
import { WebhookEvent } from './webhook.schema';

/**
 * Inference jobs: what callers send and get back, what a job document carries, and the shapes a
 * model's runtime speaks. Models themselves are catalogue entries of type `models` (their `runtime`,
 * `inputSchema`, `outputSchema` and `version`); this area runs them.
 */
export const ModelParams = z.strictObject({ id: EntryId });

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * `https://…`, or `http://` on loopback (development). An IP-literal host the outbound policy
 * refuses (private, loopback, metadata, … unless OUTBOUND_ALLOW_PRIVATE_NETWORKS) is refused here
 * already; names are resolved and checked when the webhook is sent (shared/outbound).
 */
export const WebhookUrl = z
  .url({ protocol: /^https?$/ })
  .max(2048)
  .superRefine((text, ctx) => {
    // zod runs this even when the URL check above failed (and has said so): nothing more to check.
    if (!URL.canParse(text)) return;
    const url = new URL(text);
    if (url.username || url.password) ctx.addIssue({ code: 'custom', message: 'must not carry credentials' });
    const refusal = refusedUrl(text, { allowPrivateNetworks: config().outbound.allowPrivateNetworks });
    if (refusal) ctx.addIssue({ code: 'custom', message: `must be a public address: the host ${refusal}` });
    if (url.protocol === 'http:' && !LOOPBACK_HOSTS.has(url.hostname)) {
      ctx.addIssue({ code: 'custom', message: 'must be https (plain http only on loopback, for development)' });
    }
  })
  .describe('Called once the job has ended, signed in the Standard Webhooks style.');

/** Deadlines: a duration (`90s`, `5m`, `1h30m`, `600` = seconds) or an instant (`2025-01-01T12:00:00Z`). */
export const CancelAfterText = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .describe('A duration (`90s`, `5m`, `1h30m`; a bare number is seconds) or an ISO 8601 instant; at most 7 days ahead.');

export const SubmitJobBody = z
  .strictObject({
    input: z.json().optional().describe('One input for the model, validated against its `inputSchema`.'),
    imagesetId: ImagesetId.optional().describe('Run the model on every image of this (ready) imageset; predictions go to the label store.'),
    webhookUrl: WebhookUrl.optional(),
    webhookEvents: z
      .array(WebhookEvent)
      .min(1)
      .max(4)
      .optional()
      .describe('Which events call `webhookUrl` (Replicate’s `webhook_events_filter`); by default `output` and `completed`: once, when the job ends.'),
    cancelAfter: CancelAfterText.optional().describe('A job not started by then ends `canceled` (or send the `Cancel-After` header).'),
  })
  .superRefine((body, ctx) => {
    if ((body.input === undefined) === (body.imagesetId === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['input'], message: 'give exactly one of `input` and `imagesetId`' });
    }
    if (body.webhookEvents !== undefined && body.webhookUrl === undefined) {
      ctx.addIssue({ code: 'custom', path: ['webhookEvents'], message: 'needs a `webhookUrl` to call' });
    }
  })
  .meta({ id: 'SubmitInferenceJob' });
export type SubmitJobBody = z.infer<typeof SubmitJobBody>;

export const ModelRef = z.object({ id: z.string(), version: z.string() }).meta({ id: 'InferenceModelRef' });
export type ModelRef = z.infer<typeof ModelRef>;

export const SubmittedJob = z
  .object({
    id: z.string(),
    status: JobStatus,
    model: ModelRef,
    createdAt: z.iso.datetime(),
    cancelAfter: z.iso.datetime().nullable(),
    urls: z.object({
      get: z.string().describe('Poll here: `GET` the job.'),
      cancel: z.string().describe('`POST` here to cancel it.'),
    }),
    webhookSecret: z
      .string()
      .optional()
      .describe('With `webhookUrl`: the key (`whsec_…`) that signs this job’s webhook calls. Returned only in this response.'),
  })
  .meta({ id: 'SubmittedInferenceJob', description: 'The job as accepted (202). Its `Location` header is `urls.get`.' });
export type SubmittedJob = z.infer<typeof SubmittedJob>;

export const FinishedJob = SubmittedJob.extend({
  result: z.unknown().optional().describe('What the model answered (a result over 100 KB comes as `resultUrl`).'),
  resultUrl: z.string().optional().describe('A short-lived read SAS link to a result kept in blob storage.'),
  expiresAt: z.iso.datetime().optional().describe('When `resultUrl` stops working.'),
  error: JobError.optional(),
  startedAt: z.iso.datetime().nullable(),
  finishedAt: z.iso.datetime().nullable(),
  cached: JobView.shape.cached,
  metrics: JobView.shape.metrics,
}).meta({
  id: 'FinishedInferenceJob',
  description: 'With `Prefer: wait`: the job as it ended within the wait (Replicate’s sync mode). Its `Location` header is `urls.get`.',
});
export type FinishedJob = z.infer<typeof FinishedJob>;

/** One bounding box a model predicts, in pixels of the image. */
export const Prediction = z
  .strictObject({
    label: z.string().trim().min(1).max(200),
    confidence: z.number().min(0).max(1),
    xMin: z.number().min(0),
    yMin: z.number().min(0),
    xMax: z.number().min(0),
    yMax: z.number().min(0),
  })
  .refine((box) => box.xMax > box.xMin && box.yMax > box.yMin, { message: 'a box needs xMin < xMax and yMin < yMax', path: ['xMax'] })
  .meta({ id: 'InferencePrediction' });
export type Prediction = z.infer<typeof Prediction>;

/** What a model that runs on images gets for each image (an `http` model receives it as its JSON input). */
export const ImageInput = z
  .strictObject({
    imageId: ImageId,
    imageUrl: z.url().describe('A short-lived read-only SAS URL of the image.'),
    contentType: z.string(),
    width: z.number().int().min(1),
    height: z.number().int().min(1),
  })
  .meta({ id: 'InferenceImageInput' });
export type ImageInput = z.infer<typeof ImageInput>;

/** What a model that runs on images answers for each image. */
export const ImageOutput = z.object({ predictions: z.array(Prediction).max(1000) }).meta({ id: 'InferenceImageOutput' });
export type ImageOutput = z.infer<typeof ImageOutput>;

/** The model as it was when the job was submitted: a later catalogue edit does not change a queued job. */
export const ModelSnapshot = z.object({
  id: z.string(),
  version: z.string(),
  runtime: ModelRuntime,
  outputSchema: z.record(z.string(), z.unknown()).optional(),
});
export type ModelSnapshot = z.infer<typeof ModelSnapshot>;

export const WebhookTarget = z.object({ url: z.string(), secret: z.string(), events: z.array(WebhookEvent).optional() });
export type WebhookTarget = z.infer<typeof WebhookTarget>;

/** `input` of an `inference.run` job (never shown to callers: it holds the webhook secret). */
export const InferenceJobInput = z.object({
  model: ModelSnapshot,
  input: z.unknown().optional(),
  imagesetId: ImagesetId.optional(),
  /** Hash of (model, version, input): the result cache's key. Absent for imageset jobs. */
  cacheKey: z.string().optional(),
  webhook: WebhookTarget.optional(),
});
export type InferenceJobInput = z.infer<typeof InferenceJobInput>;

/** A part of an imageset job: one batch of images. */
export const ImageBatch = z.object({ batch: z.number().int().min(0), imageIds: z.array(ImageId).min(1) });
export type ImageBatch = z.infer<typeof ImageBatch>;

/** What each batch reports; the job's result adds them up. */
export const BatchResult = z.object({
  images: z.number().int(),
  predictions: z.number().int(),
  skipped: z.array(z.object({ imageId: z.string(), reason: z.string() })),
});
export type BatchResult = z.infer<typeof BatchResult>;

export const ImagesetJobResult = z
  .object({
    imagesetId: ImagesetId,
    model: ModelRef,
    images: z.number().int(),
    predictions: z.number().int(),
    skipped: z.array(z.object({ imageId: z.string(), reason: z.string() })).describe('Images the model could not score (at most 100 listed).'),
  })
  .meta({ id: 'ImagesetInferenceResult' });
export type ImagesetJobResult = z.infer<typeof ImagesetJobResult>;
