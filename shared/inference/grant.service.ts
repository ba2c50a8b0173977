import { isAdmin } from '../auth/auth.service';
import type { Principal } from '../auth/auth.schema';
import { RETRY, retryOnConflict } from '../azure/store';
import { getEntry } from '../catalogue/catalogue.service';
import { errors } from '../errors';
import { decodeCursor, type Page } from '../query/cursor';
import { countCall, deleteGrant, grantId, listGrants, readGrant, readGrantVersion, replaceCounters, uncountCall, upsertGrant } from './grant.repository';
import type { Grant, GrantBody, GrantCounters, GrantRecord, UsageView } from './grant.schema';

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

/** The grant's counters for the periods `now` falls in: a stored period that has ended counts as zero. */
function countersAt(grant: GrantRecord, day: Period, month: Period): GrantCounters {
  const stored = grant.counters;
  return {
    day: day.key,
    dayCount: stored?.day === day.key ? stored.dayCount : 0,
    month: month.key,
    monthCount: stored?.month === month.key ? stored.monthCount : 0,
  };
}

function usageOf(period: Period, used: number, limit: number): UsageView {
  return { period: period.key, used, limit, remaining: Math.max(0, limit - used), resetsAt: period.resetsAt.toISOString() };
}

function toView(grant: GrantRecord, now = new Date()): Grant {
  const [day, month] = periodsOf(now);
  const counters = countersAt(grant, day, month);
  const { id: _id, docType: _docType, counters: _counters, ...fields } = grant;
  return {
    ...fields,
    active: isActive(grant, now),
    usage: { daily: usageOf(day, counters.dayCount, grant.dailyLimit), monthly: usageOf(month, counters.monthCount, grant.monthlyLimit) },
  };
}

/** Grants (or changes the grant of) `principalId` on a model; the model must exist. Admins only (the route says so). */
export async function putGrant(
  admin: Principal,
  modelId: string,
  principalId: string,
  body: GrantBody,
): Promise<{ grant: Grant; created: boolean }> {
  await getEntry(admin, 'models', modelId);
  if (body.expiresAt && Date.parse(body.expiresAt) <= Date.now()) throw errors.invalidInput('/expiresAt', 'must be in the future');
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
    // New limits do not forget the calls already counted in this period.
    ...(existing?.counters ? { counters: existing.counters } : {}),
  });
  return { grant: toView(record), created: !existing };
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
): Promise<Page<Grant>> {
  const page = await listGrants(modelId, limit, decodeCursor(cursor, { modelId }));
  return { items: page.items.map((grant) => toView(grant)), continuation: page.continuation, cursorScope: { modelId } };
}

/** The caller's own grant on a model and what is left of it. */
export async function myGrant(principal: Principal, modelId: string): Promise<Grant> {
  await getEntry(principal, 'models', modelId);
  const grant = await readGrant(principal.id, modelId);
  if (!grant) throw errors.notFound('grant of yours on model', modelId);
  return toView(grant);
}

/** Gives back what `consumeCall` counted, when the submission fails after it. */
export type Refund = () => Promise<void>;

const NO_REFUND: Refund = async () => {};

/**
 * Checks the caller's grant and counts one call against its daily and monthly limits, in one
 * conditional write when the grant is active and below both limits (`countCall`). Otherwise it reads
 * the grant to say why: 403 without an active grant; 429 with `Retry-After` (seconds until the
 * period resets) naming the limit reached; or, on the first call of a new day or month, it starts
 * that period's counters and counts again. Admins run every model without a grant and are not counted.
 */
export async function consumeCall(principal: Principal, modelId: string, now = new Date()): Promise<Refund> {
  if (isAdmin(principal)) return NO_REFUND;
  const [day, month] = periodsOf(now);
  return retryOnConflict<Refund>(async () => {
    const outcome = await countCall(principal.id, modelId, day.key, month.key, now);
    if (outcome === 'counted') return () => uncountCall(principal.id, modelId).catch(() => undefined);
    const current = await readGrantVersion(principal.id, modelId);
    if (!current) throw errors.forbidden(`You have no access grant for model '${modelId}'. Ask an admin for one.`);
    const { doc: grant, etag } = current;
    if (!isActive(grant, now)) throw errors.forbidden(`Your access grant for model '${modelId}' expired at ${grant.expiresAt}.`);
    const counters = countersAt(grant, day, month);
    refuseAtLimit(modelId, now, [
      [day, counters.dayCount, grant.dailyLimit],
      [month, counters.monthCount, grant.monthlyLimit],
    ]);
    const stale = grant.counters?.day !== day.key || grant.counters.month !== month.key;
    if (stale) await replaceCounters(grant, etag, counters);
    return RETRY;
  }, `Your grant for model '${modelId}'`);
}

/** Throws 429 for the first period whose limit is reached. */
function refuseAtLimit(modelId: string, now: Date, periods: Array<[Period, number, number]>): void {
  for (const [period, used, limit] of periods) {
    if (used < limit) continue;
    const retryAfter = (period.resetsAt.getTime() - now.getTime()) / 1000;
    throw errors.tooManyRequests(
      `Your ${period.kind} limit of ${limit} job(s) on model '${modelId}' is used up; it resets at ${period.resetsAt.toISOString()}.`,
      retryAfter,
      { limit: period.kind, limitValue: limit, period: period.key, resetsAt: period.resetsAt.toISOString(), modelId },
    );
  }
}
