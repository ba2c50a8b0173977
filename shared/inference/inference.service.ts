import { assertCanManage } from '../labels/access';
import { getImagesetRecord } from '../labels/imageset.service';
import type { Principal } from '../auth/auth.schema';
import { writeMayHaveHappened } from '../azure/cosmos';
import { errors } from '../errors';
import type { JobRecord } from '../jobs/job.schema';
import { findJob, presentJob, submitJob } from '../jobs/job.service';
import { waitForJobEnd } from '../jobs/job.wait';
import { cacheKeyOf, canonicalJson, sha256 } from './cache.service';
import { consumeCall, type Refund } from './grant.service';
import { claimIdempotencyKey, type Claim } from './idempotency.service';
import { type FinishedJob, InferenceJobInput, type SubmitJobBody, type SubmittedJob } from './model.schema';
import { assertRunsOnImages, assertTakesInput, resolveModel, validateModelInput } from './model.service';
import { newWebhookSecret } from './webhook.service';

/** A deadline may lie at most this far ahead. */
const MAX_DEADLINE_MS = 7 * 86_400_000;

/**
 * An ISO 8601 duration in days, hours, minutes and seconds (`PT1H`, `P1DT2H`, `PT0.5S`), in ms, or
 * undefined. Years and months have no fixed length, so they are not durations a deadline can use.
 */
function isoDurationMs(text: string): number | undefined {
  const match = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(text);
  if (!match || text === 'P' || text.endsWith('T')) return undefined;
  const [, d, h, m, s] = match;
  return ((Number(d ?? 0) * 24 + Number(h ?? 0)) * 3600 + Number(m ?? 0) * 60 + Number(s ?? 0)) * 1000;
}

/** `90s`, `5m`, `1h30m`, `2h`, `500ms` in ms, or undefined. */
function shortDurationMs(text: string): number | undefined {
  const match = /^(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+(?:\.\d+)?)s)?(?:(\d+)ms)?$/.exec(text);
  if (!match || text === '') return undefined;
  const [, h, m, s, ms] = match;
  return (Number(h ?? 0) * 3600 + Number(m ?? 0) * 60 + Number(s ?? 0)) * 1000 + Number(ms ?? 0);
}

/**
 * `Cancel-After` (header or `cancelAfter` field): `90s`, `5m`, `1h30m`, `2h`, `500ms`, a bare number
 * of seconds, an ISO 8601 duration (`PT1H`) or an ISO 8601 instant. 400 naming `pointer` for
 * anything else or a deadline that is not in the next 7 days.
 */
export function deadlineOf(text: string, pointer: string, now = Date.now()): Date {
  const trimmed = text.trim();
  let at: number;
  if (/^\d{4}-\d{2}-\d{2}T/.test(trimmed)) {
    at = Date.parse(trimmed);
  } else if (/^\d+(\.\d+)?$/.test(trimmed)) {
    at = now + Number(trimmed) * 1000;
  } else {
    const ms = trimmed.startsWith('P') ? isoDurationMs(trimmed) : shortDurationMs(trimmed);
    if (ms === undefined) {
      throw errors.invalidField(pointer, 'must be a duration (90s, 5m, 1h30m, or ISO 8601 such as PT1H) or an ISO 8601 instant');
    }
    at = now + ms;
  }
  if (!Number.isFinite(at)) throw errors.invalidField(pointer, 'is not a valid instant');
  if (at <= now) throw errors.invalidField(pointer, 'must be in the future');
  if (at > now + MAX_DEADLINE_MS) throw errors.invalidField(pointer, 'must be at most 7 days ahead');
  return new Date(at);
}

export interface SubmitRequest {
  principal: Principal;
  modelId: string;
  body: SubmitJobBody;
  idempotencyKey: string | undefined;
  cancelAfterHeader: string | undefined;
  /** `Prefer: wait=n`: answer with the finished job if it ends within this many seconds. */
  waitSeconds?: number;
  /** `https://host` of the request, for the absolute URLs in the answer. */
  origin: string;
}

export interface SubmitResult {
  view: SubmittedJob;
  /** With `waitSeconds`: the job as it ended within the wait; undefined when it was still going. */
  finished?: FinishedJob;
  /** True when an Idempotency-Key replay returned the job an earlier request created. */
  replayed: boolean;
}

export function jobPath(jobId: string): string {
  return `/api/v1/jobs/${encodeURIComponent(jobId)}`;
}

function viewOf(job: JobRecord, origin: string): SubmittedJob {
  const input = InferenceJobInput.parse(job.input);
  return {
    id: job.id,
    status: job.status,
    model: { id: input.model.id, version: input.model.version },
    createdAt: job.createdAt,
    cancelAfter: job.cancelAfter,
    urls: { get: `${origin}${jobPath(job.id)}`, cancel: `${origin}${jobPath(job.id)}/cancel` },
    ...(input.webhook ? { webhookSecret: input.webhook.secret } : {}),
  };
}

function deadline(body: SubmitJobBody, header: string | undefined): Date | undefined {
  if (body.cancelAfter !== undefined && header !== undefined) {
    throw errors.invalidField('/body/cancelAfter', 'give the deadline in the body or in the Cancel-After header, not both');
  }
  if (body.cancelAfter !== undefined) return deadlineOf(body.cancelAfter, '/body/cancelAfter');
  if (header !== undefined) return deadlineOf(header, '/headers/cancel-after');
  return undefined;
}

/** The accepted job, and with a wait, the job as it ended if it ended within the wait. */
async function answer(job: JobRecord, request: SubmitRequest, replayed: boolean): Promise<SubmitResult> {
  const view = viewOf(job, request.origin);
  if (request.waitSeconds === undefined) return { view, replayed };
  const ended = await waitForJobEnd(job, request.waitSeconds * 1000);
  if (ended.status === 'queued' || ended.status === 'running') return { view: { ...view, status: ended.status }, replayed };
  const { result, resultUrl, expiresAt, error, startedAt, finishedAt, cached, metrics } = await presentJob(ended);
  return { view, finished: { ...view, status: ended.status, result, resultUrl, expiresAt, error, startedAt, finishedAt, cached, metrics }, replayed };
}

/**
 * Accepts an inference job: model visible and runnable → input valid for it (or the imageset ready
 * and the caller allowed to write predictions into it) → Idempotency-Key → grant and quota → job
 * document, then its Service Bus message. A replayed key returns the first job without counting a
 * call again; any failure after counting gives the call back and frees the key.
 */
export async function submitInference(request: SubmitRequest): Promise<SubmitResult> {
  const { principal, modelId, body } = request;
  const model = await resolveModel(modelId, principal);
  const cancelAfter = deadline(body, request.cancelAfterHeader);
  if (body.imagesetId !== undefined) {
    assertRunsOnImages(model);
    const imageset = await getImagesetRecord(body.imagesetId);
    // The job writes predictions into the imageset: its owner's (or an admin's) decision.
    assertCanManage(principal, imageset, 'imageset');
    if (imageset.status !== 'ready') {
      throw errors.conflict(`The imageset is '${imageset.status}'; models run on ready (finalized) imagesets only.`, { status: imageset.status });
    }
  } else {
    assertTakesInput(model);
    validateModelInput(model, body.input);
  }
  let claim: Claim | undefined;
  if (request.idempotencyKey !== undefined) {
    const fingerprint = sha256(canonicalJson({ modelId, body, cancelAfter: request.cancelAfterHeader ?? null }));
    claim = await claimIdempotencyKey(principal.id, request.idempotencyKey, fingerprint);
    if (claim.kind === 'replay') {
      const job = await findJob(claim.jobId);
      if (!job) throw errors.conflict('The job of this Idempotency-Key is not available yet; retry in a moment.');
      return answer(job, request, true);
    }
  }
  let refund: Refund;
  try {
    refund = await consumeCall(principal, modelId);
  } catch (error) {
    if (claim?.kind === 'new') await claim.release().catch(() => undefined);
    throw error;
  }
  let job: JobRecord;
  try {
    const webhook = body.webhookUrl ? { url: body.webhookUrl, secret: newWebhookSecret(), events: body.webhookEvents } : undefined;
    const input: InferenceJobInput =
      body.imagesetId !== undefined
        ? { model: model.snapshot, imagesetId: body.imagesetId, webhook }
        : { model: model.snapshot, input: body.input, cacheKey: cacheKeyOf(model.snapshot, body.input), webhook };
    job = await submitJob({
      id: claim?.jobId,
      kind: 'inference.run',
      owner: principal.id,
      input,
      labels: {
        modelId: model.snapshot.id,
        modelVersion: model.snapshot.version,
        ...(body.imagesetId ? { imagesetId: body.imagesetId } : {}),
      },
      cancelAfter,
    });
  } catch (error) {
    // A job create Cosmos never answered (and could not be read back) may be stored and will run —
    // the reaper queues it: keep the call counted and the claim, so the caller's retry replays that
    // job instead of making a second one.
    if (writeMayHaveHappened(error)) throw error;
    await refund();
    if (claim?.kind === 'new') await claim.release().catch(() => undefined);
    throw error;
  }
  return answer(job, request, false);
}
