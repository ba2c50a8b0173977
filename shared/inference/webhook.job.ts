import { queueSender } from '../azure/queue';
import { config } from '../config';
import { type JobContext, type JobOutcome, PermanentJobError } from '../jobs/job.handler';
import type { JobMessage, JobRecord } from '../jobs/job.schema';
import { createJob, findJob, isTerminal, presentJob, sendJobMessage } from '../jobs/job.service';
import type { WebhookTarget } from './model.schema';
import type { WebhookPart } from './webhook.schema';
import { postWebhook, WEBHOOK_MAX_ATTEMPTS, WEBHOOK_RETRY_DELAYS_S } from './webhook.service';

/**
 * Webhook delivery as its own job (`webhook.deliver`, visible to its owner in GET /jobs): it waits
 * until the job it reports on has ended (so a receiver that then GETs the job sees the same state),
 * posts the signed event, and on a refusal schedules the next attempt as a Service Bus message with
 * `scheduledEnqueueTimeUtc` — no function sleeps between attempts.
 */
/** How long to wait, at most, for the reported job to record its end (normally milliseconds). */
const MAX_WAITS = 12;

export function webhookJobId(targetJobId: string): string {
  return `${targetJobId}.webhook`;
}

/**
 * Starts the webhook job for `target` (called by a handler just before its job ends). Idempotent: a
 * redelivered handler finds the webhook job already there and only re-sends its message, which
 * Service Bus duplicate detection (or the worker, once it has run) drops.
 */
export async function requestWebhook(target: JobRecord, webhook: WebhookTarget): Promise<void> {
  const id = webhookJobId(target.id);
  const created = await createJob({
    id,
    kind: 'webhook.deliver',
    owner: target.owner,
    input: { targetJobId: target.id, url: webhook.url, secret: webhook.secret },
    labels: { targetJobId: target.id },
  });
  if (!created) await sendJobMessage({ jobId: id, kind: 'webhook.deliver' }, id);
}

async function schedule(job: JobRecord, part: WebhookPart, delaySeconds: number): Promise<void> {
  const body: JobMessage = { jobId: job.id, kind: 'webhook.deliver', part };
  await queueSender().send(config().serviceBus.queue, {
    messageId: `${job.id}:a${part.attempt}:w${part.waits}`,
    body,
    scheduledEnqueueTimeUtc: new Date(Date.now() + delaySeconds * 1000),
  });
}

export async function deliverWebhookJob(context: JobContext<'webhook.deliver'>): Promise<JobOutcome> {
  const part = context.part ?? { attempt: 1, waits: 0 };
  const { targetJobId, url, secret } = context.input;
  const target = await findJob(targetJobId);
  if (!target) throw new PermanentJobError(`The job ${targetJobId} this webhook reports on does not exist.`, 'not-found');
  if (!isTerminal(target.status)) {
    if (part.waits >= MAX_WAITS) throw new PermanentJobError(`The job ${targetJobId} did not end; no webhook sent.`, 'not-ended');
    await schedule(context.job, { attempt: part.attempt, waits: part.waits + 1 }, Math.min(2 ** part.waits * 0.25, 30));
    return { kind: 'pending' };
  }
  const payload = { type: `job.${target.status}`, timestamp: new Date().toISOString(), data: await presentJob(target) };
  const attempt = await postWebhook(url, secret, `msg_${target.id}`, payload);
  await context.progress(part.attempt, WEBHOOK_MAX_ATTEMPTS);
  if (attempt.delivered) return { kind: 'done', result: { targetJobId, delivered: true, attempts: part.attempt, status: attempt.status } };
  // What the owner reads: delivered or not, and a status code only from a target the policy allowed.
  const answered = attempt.status === undefined ? 'no answer' : `HTTP ${attempt.status}`;
  context.log(`webhook for job ${targetJobId}: attempt ${part.attempt} not delivered (${attempt.refused ? 'refused by the outbound policy' : answered})`);
  if (attempt.refused) {
    // The policy will refuse the same target on every attempt: no point in scheduling five more.
    throw new PermanentJobError('Not delivered: the outbound policy does not allow calls to the webhook URL’s address.', 'webhook-refused');
  }
  const delay = WEBHOOK_RETRY_DELAYS_S[part.attempt - 1];
  if (delay === undefined) {
    throw new PermanentJobError(`Not delivered in ${WEBHOOK_MAX_ATTEMPTS} attempts; the last got ${answered}.`, 'webhook-failed');
  }
  await schedule(context.job, { attempt: part.attempt + 1, waits: 0 }, delay);
  return { kind: 'pending' };
}
