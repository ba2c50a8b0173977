import { z } from 'zod';
import { JobView } from '../jobs/job.schema';

/** Webhook events and the payloads of the `webhook.deliver` job (shared/inference/webhook.job.ts). */

/**
 * Replicate's `webhook_events_filter`: `start` when the job starts, `output` when it has output (a
 * job here has one, with its end), `logs` (accepted; jobs here write no logs, so it sends nothing),
 * `completed` when it ends, whatever the end.
 */
export const WebhookEvent = z.enum(['start', 'output', 'logs', 'completed']).meta({ id: 'WebhookEvent' });
export type WebhookEvent = z.infer<typeof WebhookEvent>;

/** Replicate's default: whenever there is new output or the job has ended. */
export const DEFAULT_WEBHOOK_EVENTS: readonly WebhookEvent[] = ['output', 'completed'];

/** The job whose state is posted, where to, and which event: `start` carries the job as it started. */
export const WebhookJobInput = z.object({
  targetJobId: z.string(),
  url: z.string(),
  secret: z.string(),
  event: z.enum(['start', 'end']).default('end'),
  /** With `start`: the job as it was when it started (the delivery may run after it has ended). */
  started: JobView.optional(),
  /** With `end`: the events asked for (`output` is only for a job that ended with output). */
  events: z.array(WebhookEvent).optional(),
});
export type WebhookJobInput = z.infer<typeof WebhookJobInput>;

/** A scheduled attempt: which one, and how often it has waited for the reported job to end. */
export const WebhookPart = z.object({ attempt: z.number().int().min(1), waits: z.number().int().min(0) });
export type WebhookPart = z.infer<typeof WebhookPart>;
