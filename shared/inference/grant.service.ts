import { isAdmin } from '../auth/auth.service';
import type { Principal } from '../auth/auth.schema';
import { getEntry } from '../catalogue/catalogue.service';
import { errors } from '../errors';
import { decodeCursor } from '../http/pagination';
import { decrement, deleteGrant, grantId, incrementBelow, listGrants, readGrant, readUsage, upsertGrant } from './grant.repository';
import type { Grant, GrantBody, GrantRecord, UsageView } from './grant.schema';

interface Period {
  kind: 'daily' | 'monthly';
  key: string;
  resetsAt: Date;
}

/** The UTC day and month `now` falls in, and when each ends. */
export function periodsOf(now: Date): [Period, Period] {
  const y = now.getUTCFullYear();
  const m = now.getUTCMonth();
  const d = now.getUTCDate();
  const day = now.toISOString().slice(0, 10);
  return [
    { kind: 'daily', key: day, resetsAt: new Date(Date.UTC(y, m, d + 1)) },
    { kind: 'monthly', key: day.slice(0, 7), resetsAt: new Date(Date.UTC(y, m + 1, 1)) },
  ];
}

function isActive(grant: GrantRecord, now: Date): boolean {
  return grant.expiresAt === null || Date.parse(grant.expiresAt) > now.getTime();
}

function limitOf(grant: GrantRecord, period: Period): number {
  return period.kind === 'daily' ? grant.dailyLimit : grant.monthlyLimit;
}

async function usageOf(grant: GrantRecord, period: Period): Promise<UsageView> {
  const used = await readUsage(grant.principalId, grant.modelId, period.key);
  const limit = limitOf(grant, period);
  return { period: period.key, used, limit, remaining: Math.max(0, limit - used), resetsAt: period.resetsAt.toISOString() };
}

async function toView(grant: GrantRecord, now = new Date()): Promise<Grant> {
  const [day, month] = periodsOf(now);
  const [daily, monthly] = await Promise.all([usageOf(grant, day), usageOf(grant, month)]);
  const { id: _id, docType: _docType, ...fields } = grant;
  return { ...fields, active: isActive(grant, now), usage: { daily, monthly } };
}

/** Grants (or changes the grant of) `principalId` on a model; the model must exist. Admins only (the route says so). */
export async function putGrant(
  modelId: string,
  principalId: string,
  body: GrantBody,
  admin: Principal,
): Promise<{ grant: Grant; created: boolean }> {
  await getEntry('models', modelId, admin);
  if (body.expiresAt && Date.parse(body.expiresAt) <= Date.now()) throw errors.invalidField('/body/expiresAt', 'must be in the future');
  const existing = await readGrant(principalId, modelId);
  const now = new Date().toISOString();
  const record = await upsertGrant({
    id: grantId(principalId, modelId),
    docType: 'modelGrant',
    principalId,
    modelId,
    dailyLimit: body.dailyLimit,
    monthlyLimit: body.monthlyLimit,
    expiresAt: body.expiresAt ? new Date(body.expiresAt).toISOString() : null,
    createdAt: existing?.createdAt ?? now,
    createdBy: existing?.createdBy ?? admin.id,
    updatedAt: now,
    updatedBy: admin.id,
  });
  return { grant: await toView(record), created: !existing };
}

export async function getGrant(modelId: string, principalId: string): Promise<Grant> {
  const grant = await readGrant(principalId, modelId);
  if (!grant) throw errors.notFound('grant on this model for principal', principalId);
  return toView(grant);
}

export async function revokeGrant(modelId: string, principalId: string): Promise<void> {
  if (!(await deleteGrant(principalId, modelId))) throw errors.notFound('grant on this model for principal', principalId);
}

export async function listGrantsOf(
  modelId: string,
  limit: number,
  cursor: string | undefined,
): Promise<{ items: Grant[]; continuation: string | undefined }> {
  const page = await listGrants(modelId, limit, decodeCursor(cursor, { modelId }));
  return { items: await Promise.all(page.items.map((grant) => toView(grant))), continuation: page.continuation };
}

/** The caller's own grant on a model and what is left of it. */
export async function myGrant(principal: Principal, modelId: string): Promise<Grant> {
  await getEntry('models', modelId, principal);
  const grant = await readGrant(principal.id, modelId);
  if (!grant) throw errors.notFound('grant of yours on model', modelId);
  return toView(grant);
}

/** Gives back what `consumeCall` counted, when the submission fails after it. */
export type Refund = () => Promise<void>;

const NO_REFUND: Refund = async () => {};

/**
 * Checks the caller's grant and counts one call against its daily and monthly limits. 403 without
 * an active grant; 429 with `Retry-After` (seconds until the period resets) naming the limit reached.
 * Admins run every model without a grant and are not counted.
 */
export async function consumeCall(principal: Principal, modelId: string, now = new Date()): Promise<Refund> {
  if (isAdmin(principal)) return NO_REFUND;
  const grant = await readGrant(principal.id, modelId);
  if (!grant) throw errors.forbidden(`You have no access grant for model '${modelId}'. Ask an admin for one.`);
  if (!isActive(grant, now)) throw errors.forbidden(`Your access grant for model '${modelId}' expired at ${grant.expiresAt}.`);
  const counted: Period[] = [];
  const refund: Refund = async () => {
    await Promise.all(counted.map((period) => decrement(principal.id, modelId, period.key).catch(() => undefined)));
  };
  for (const period of periodsOf(now)) {
    const limit = limitOf(grant, period);
    if (!(await incrementBelow(principal.id, modelId, period.key, limit))) {
      await refund();
      const retryAfter = (period.resetsAt.getTime() - now.getTime()) / 1000;
      throw errors.tooManyRequests(
        `Your ${period.kind} limit of ${limit} job(s) on model '${modelId}' is used up; it resets at ${period.resetsAt.toISOString()}.`,
        retryAfter,
        { limit: period.kind, limitValue: limit, period: period.key, resetsAt: period.resetsAt.toISOString(), modelId },
      );
    }
    counted.push(period);
  }
  return refund;
}
