import { z } from 'zod';
import { EntryId } from '../catalogue/catalogue.schema';

/**
 * Access grants and quotas (after the inference template's "service access policies"): an admin
 * grants a principal the right to run a model, with daily and monthly call limits and an optional
 * expiry. One call is one accepted job submission (an imageset job is one call, however many images).
 */
const limit = z.int().min(0).max(100_000_000);

export const PrincipalId = z
  .string()
  .min(1)
  .max(256)
  .describe('The principal’s id as the API reports it: `apikey:<keyId>`, a key’s `subject`, or `oidc:<sub>`.');

export const GrantParams = z.strictObject({ id: EntryId, principalId: PrincipalId });

export const GrantBody = z
  .strictObject({
    dailyLimit: limit.describe('Accepted jobs per UTC day.'),
    monthlyLimit: limit.describe('Accepted jobs per UTC calendar month.'),
    expiresAt: z.iso.datetime({ offset: true }).nullable().optional().describe('When the grant stops working; null or absent: never.'),
  })
  .meta({ id: 'ModelGrantBody' });
export type GrantBody = z.infer<typeof GrantBody>;

/**
 * The calls counted in the current UTC day and month, kept in the grant itself so that one
 * conditional patch both checks the grant and counts a call. A period other than the current one
 * counts as zero.
 */
export const GrantCounters = z.object({
  day: z.string(),
  dayCount: z.number().int(),
  month: z.string(),
  monthCount: z.number().int(),
});
export type GrantCounters = z.infer<typeof GrantCounters>;

/** Stored in `principals` (partition `/id`) as `grant~<principal hash>~<model id>`: one conditional patch per submission. */
export const GrantRecord = z.object({
  id: z.string(),
  docType: z.literal('modelGrant'),
  principalId: z.string(),
  modelId: z.string(),
  dailyLimit: z.number().int(),
  monthlyLimit: z.number().int(),
  expiresAt: z.iso.datetime().nullable(),
  createdAt: z.iso.datetime(),
  createdBy: z.string(),
  updatedAt: z.iso.datetime(),
  updatedBy: z.string(),
  counters: GrantCounters.optional(),
});
export type GrantRecord = z.infer<typeof GrantRecord>;

export const UsageView = z
  .object({
    period: z.string().describe('`2025-06-01` (day) or `2025-06` (month), UTC.'),
    used: z.number().int(),
    limit: z.number().int(),
    remaining: z.number().int(),
    resetsAt: z.iso.datetime(),
  })
  .meta({ id: 'ModelUsage' });
export type UsageView = z.infer<typeof UsageView>;

export const Grant = GrantRecord.omit({ id: true, docType: true, counters: true })
  .extend({
    active: z.boolean().describe('False once `expiresAt` has passed.'),
    usage: z.object({ daily: UsageView, monthly: UsageView }),
  })
  .meta({ id: 'ModelGrant' });
export type Grant = z.infer<typeof Grant>;
