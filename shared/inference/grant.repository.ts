import { cosmosStatus, newestFirst, whereEqual } from '../azure/cosmos';
import { store, type Versioned } from '../azure/store';
import { sha256 } from '../hash';
import { type GrantCounters, GrantRecord } from './grant.schema';

// Grants live in `principals` (partition `/id`) beside the API keys, with their quota counters
// inside: a submission costs one conditional patch (issue 22), and a read or refusal one more read.

/** Principal ids are caller-chosen text (key subjects, OIDC `sub`); a digest keeps document ids short and safe. */
function principalKey(principalId: string): string {
  return sha256(principalId).slice(0, 32);
}

export function grantId(principalId: string, modelId: string): string {
  return `grant~${principalKey(principalId)}~${modelId}`;
}

// Grant ids (`grant~…`) are derived: nothing else in `principals` has one.
const grants = store<GrantRecord>('principals', (raw) => GrantRecord.parse(raw), (doc) => doc.id);

export async function readGrant(principalId: string, modelId: string): Promise<GrantRecord | undefined> {
  return (await readGrantVersion(principalId, modelId))?.doc;
}

/** The grant and its ETag, for a conditional replace. */
export async function readGrantVersion(principalId: string, modelId: string): Promise<Versioned<GrantRecord> | undefined> {
  const id = grantId(principalId, modelId);
  return grants.read(id, id);
}

export async function upsertGrant(record: GrantRecord): Promise<GrantRecord> {
  return (await grants.upsert(record)).doc;
}

/** True when there was a grant to delete. */
export async function deleteGrant(principalId: string, modelId: string): Promise<boolean> {
  const id = grantId(principalId, modelId);
  return grants.remove(id, id);
}

export async function listGrants(
  modelId: string,
  limit: number,
  continuation: string | undefined,
): Promise<{ items: GrantRecord[]; continuation: string | undefined }> {
  const where = whereEqual({ docType: 'modelGrant', modelId });
  return newestFirst('principals', where, { limit, continuation }, (raw) => GrantRecord.parse(raw));
}

/**
 * Counts one call in one request: a patch `incr` of both counters guarded by a filter predicate
 * that holds only while the grant is active, its counters are for `day` and `month`, and both are
 * below their limits — so concurrent submissions can never pass a limit and no increment is lost.
 * `refused` means there is no grant or the predicate did not hold (expired, a new period, or a limit
 * reached): the caller reads the grant to tell which.
 */
export async function countCall(principalId: string, modelId: string, day: string, month: string, now: Date): Promise<'counted' | 'refused'> {
  const id = grantId(principalId, modelId);
  // Filter predicates take no parameters: every value here is formatted by us (ISO dates), not caller text.
  const condition = [
    `FROM c WHERE (IS_NULL(c.expiresAt) OR c.expiresAt > "${now.toISOString()}")`,
    `c.counters.day = "${day}" AND c.counters.month = "${month}"`,
    'c.counters.dayCount < c.dailyLimit AND c.counters.monthCount < c.monthlyLimit',
  ].join(' AND ');
  const counted = await grants.patch(
    id,
    id,
    [
      { op: 'incr', path: '/counters/dayCount', value: 1 },
      { op: 'incr', path: '/counters/monthCount', value: 1 },
    ],
    { filter: condition },
  );
  return counted ? 'counted' : 'refused';
}

/** Starts new periods' counters; false when the grant changed since it was read (read it again). */
export async function replaceCounters(grant: GrantRecord, etag: string, counters: GrantCounters): Promise<boolean> {
  return (await grants.replaceIfUnchanged({ ...grant, counters }, etag)) !== undefined;
}

/** Gives back one counted call (nothing when the grant is gone). */
export async function uncountCall(principalId: string, modelId: string): Promise<void> {
  const id = grantId(principalId, modelId);
  await grants.patch(id, id, [
    { op: 'incr', path: '/counters/dayCount', value: -1 },
    { op: 'incr', path: '/counters/monthCount', value: -1 },
  ]);
}
