import { assertCanManage } from '../labels/access';
import { getImagesetRecord } from '../labels/imageset.service';
import type { Principal } from '../auth/auth.schema';
import { writeMayHaveHappened } from '../azure/cosmos';
import { errors } from '../errors';
import type { JobRecord } from '../jobs/job.schema';
import { findJob, presentJob, submitJob } from '../jobs/job.service';
import { waitForJobEnd } from '../jobs/job.wait';
import { sha256 } from '../hash';
import { canonicalJson } from '../json/canonical';
import { cacheKeyOf } from './cache.service';
import { consumeCall, type Refund } from './grant.service';
import { type Deadline, deadlineOf } from './deadline';
import { claimIdempotencyKey, type Claim } from './idempotency.service';
import { type FinishedJob, InferenceJobInput, type SubmitJobBody, type SubmittedJob } from './model.schema';
import { assertRunsOnImages, assertTakesInput, resolveModel, validateModelInput } from './model.service';
import { newWebhookSecret } from './webhook.service';

export interface SubmitRequest {
  principal: Principal;
  modelId: string;
  body: SubmitJobBody;
  idempotencyKey: string | undefined;
  /** A deadline given beside the body, when the body has no `cancelAfter`. */
  cancelAfter: Deadline | undefined;
  /** Answer with the finished job if it ends within this many seconds. */
  waitSeconds?: number;
}

/** The job as accepted or as it ended; its URLs are the HTTP layer's to add. */
export type AcceptedJob = Omit<SubmittedJob, 'urls'>;
export type EndedJob = Omit<FinishedJob, 'urls'>;

export interface SubmitResult {
  view: AcceptedJob;
  /** With `waitSeconds`: the job as it ended within the wait; undefined when it was still going. */
  finished?: EndedJob;
  /** True when an Idempotency-Key replay returned the job an earlier request created. */
  replayed: boolean;
}

function viewOf(job: JobRecord): AcceptedJob {
  const input = InferenceJobInput.parse(job.input);
  return {
    id: job.id,
    status: job.status,
    model: { id: input.model.id, version: input.model.version },
    createdAt: job.createdAt,
    cancelAfter: job.cancelAfter,
    ...(input.webhook ? { webhookSecret: input.webhook.secret } : {}),
  };
}

function deadline(body: SubmitJobBody, beside: Deadline | undefined): Date | undefined {
  return body.cancelAfter !== undefined ? deadlineOf(body.cancelAfter, '/cancelAfter') : beside?.at;
}

/** The accepted job, and with a wait, the job as it ended if it ended within the wait. */
async function answer(job: JobRecord, request: SubmitRequest, replayed: boolean): Promise<SubmitResult> {
  const view = viewOf(job);
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
  const model = await resolveModel(principal, modelId);
  const cancelAfter = deadline(body, request.cancelAfter);
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
    const fingerprint = sha256(canonicalJson({ modelId, body, cancelAfter: request.cancelAfter?.asWritten ?? null }));
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
