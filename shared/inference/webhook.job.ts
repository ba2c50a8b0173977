import { queueSender } from '../azure/queue';
import { config } from '../config';
import { type JobContext, type JobOutcome, PermanentJobError } from '../jobs/job.handler';
import type { JobMessage, JobRecord, JobStatus, JobView } from '../jobs/job.schema';
import { createJob, findJob, isTerminal, presentJob, sendJobMessage, toJobView } from '../jobs/job.service';
import type { WebhookTarget } from './model.schema';
import { DEFAULT_WEBHOOK_EVENTS, type WebhookEvent, type WebhookPart } from './webhook.schema';
import { postWebhook, WEBHOOK_MAX_ATTEMPTS, WEBHOOK_RETRY_DELAYS_S } from './webhook.service';

/**
 * Webhook delivery as its own job (`webhook.deliver`, listed to its owner with `kind=webhook.deliver`):
 * the end event waits until the job it reports on has ended (so a receiver that then GETs the job
 * sees the same state), posts the signed event, and on a refusal schedules the next attempt as a
 * Service Bus message with `scheduledEnqueueTimeUtc` — no function sleeps between attempts. The
 * start event posts the job as it was when it started, at once.
 */
/** How long to wait, at most, for the reported job to record its end (normally milliseconds). */
const MAX_WAITS = 12;

export function webhookJobId(targetJobId: string, event: 'start' | 'end' = 'end'): string {
  return event === 'start' ? `${targetJobId}.webhook.start` : `${targetJobId}.webhook`;
}

/** Whether `events` (Replicate's filter; its default when absent) asks for a call when a job ends `status`. */
export function wantsEndEvent(events: readonly WebhookEvent[] | undefined, status: JobStatus): boolean {
  const chosen = events ?? DEFAULT_WEBHOOK_EVENTS;
  return chosen.includes('completed') || (status === 'succeeded' && chosen.includes('output'));
}

export function wantsStartEvent(events: readonly WebhookEvent[] | undefined): boolean {
  return (events ?? DEFAULT_WEBHOOK_EVENTS).includes('start');
}

/**
 * Starts the webhook job of `event` for `target`: `end` is called by a handler just before its job
 * ends, `start` when it starts. Idempotent: a redelivered handler finds the webhook job already there
 * and only re-sends its message, which Service Bus duplicate detection (or the worker, once it has
 * run) drops.
 */
export async function requestWebhook(target: JobRecord, webhook: WebhookTarget, event: 'start' | 'end' = 'end'): Promise<void> {
  const id = webhookJobId(target.id, event);
  const created = await createJob({
    id,
    kind: 'webhook.deliver',
    owner: target.owner,
    input: {
      targetJobId: target.id,
      url: webhook.url,
      secret: webhook.secret,
      event,
      ...(event === 'start' ? { started: toJobView(target) } : { events: webhook.events }),
    },
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

interface WebhookCall {
  id: string;
  payload: { type: string; timestamp: string; data: JobView };
}

/** The call the end event makes, or what to do instead: wait for the job to end, or send nothing (filtered out). */
async function endCall(context: JobContext<'webhook.deliver'>, part: WebhookPart): Promise<WebhookCall | JobOutcome> {
  const { targetJobId, events } = context.input;
  const target = await findJob(targetJobId);
  if (!target) throw new PermanentJobError(`The job ${targetJobId} this webhook reports on does not exist.`, 'not-found');
  if (!isTerminal(target.status)) {
    if (part.waits >= MAX_WAITS) throw new PermanentJobError(`The job ${targetJobId} did not end; no webhook sent.`, 'not-ended');
    await schedule(context.job, { attempt: part.attempt, waits: part.waits + 1 }, Math.min(2 ** part.waits * 0.25, 30));
    return { kind: 'pending' };
  }
  // Asked for `output` only, and it ended without (failed, canceled): Replicate sends nothing either.
  if (!wantsEndEvent(events, target.status)) return { kind: 'done', result: { targetJobId, delivered: false, skipped: 'not among webhookEvents' } };
  return { id: `msg_${target.id}`, payload: { type: `job.${target.status}`, timestamp: new Date().toISOString(), data: await presentJob(target) } };
}

export async function deliverWebhookJob(context: JobContext<'webhook.deliver'>): Promise<JobOutcome> {
  const part = context.part ?? { attempt: 1, waits: 0 };
  const { targetJobId, url, secret, event, started } = context.input;
  if (event === 'start' && !started) throw new PermanentJobError('A start event without the job as it started.', 'bad-input');
  const call: WebhookCall | JobOutcome = started
    ? { id: `msg_${targetJobId}.start`, payload: { type: 'job.started', timestamp: new Date().toISOString(), data: started } }
    : await endCall(context, part);
  if ('kind' in call) return call;
  const attempt = await postWebhook(url, secret, call.id, call.payload);
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
