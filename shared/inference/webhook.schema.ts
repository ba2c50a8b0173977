import { z } from 'zod';

/** The payloads of the `webhook.deliver` job (shared/inference/webhook.job.ts). */

/** The job whose state is posted, and where to. */
export const WebhookJobInput = z.object({ targetJobId: z.string(), url: z.string(), secret: z.string() });
export type WebhookJobInput = z.infer<typeof WebhookJobInput>;

/** A scheduled attempt: which one, and how often it has waited for the reported job to end. */
export const WebhookPart = z.object({ attempt: z.number().int().min(1), waits: z.number().int().min(0) });
export type WebhookPart = z.infer<typeof WebhookPart>;
