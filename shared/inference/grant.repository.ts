import { container, cosmosStatus, queryPage } from '../azure/cosmos';
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

export async function readGrant(principalId: string, modelId: string): Promise<GrantRecord | undefined> {
  return (await readGrantVersion(principalId, modelId))?.grant;
}

/** The grant and its ETag, for a conditional replace. */
export async function readGrantVersion(principalId: string, modelId: string): Promise<{ grant: GrantRecord; etag: string } | undefined> {
  const id = grantId(principalId, modelId);
  try {
    const { resource, etag } = await container('principals').item(id, id).read<GrantRecord>();
    return resource?.docType === 'modelGrant' ? { grant: GrantRecord.parse(resource), etag } : undefined;
  } catch (error) {
    if (cosmosStatus(error) === 404) return undefined;
    throw error;
  }
}

export async function upsertGrant(record: GrantRecord): Promise<GrantRecord> {
  const { resource } = await container('principals').items.upsert(record);
  return GrantRecord.parse(resource);
}

/** True when there was a grant to delete. */
export async function deleteGrant(principalId: string, modelId: string): Promise<boolean> {
  const id = grantId(principalId, modelId);
  try {
    await container('principals').item(id, id).delete();
    return true;
  } catch (error) {
    if (cosmosStatus(error) === 404) return false;
    throw error;
  }
}

export async function listGrants(
  modelId: string,
  limit: number,
  continuation: string | undefined,
): Promise<{ items: GrantRecord[]; continuation: string | undefined }> {
  const page = await queryPage<GrantRecord>(
    container('principals'),
    {
      query: 'SELECT * FROM c WHERE c.docType = @docType AND c.modelId = @modelId ORDER BY c.createdAt DESC',
      parameters: [
        { name: '@docType', value: 'modelGrant' },
        { name: '@modelId', value: modelId },
      ],
    },
    { limit, continuation, crossPartition: true },
  );
  return { items: page.items.map((item) => GrantRecord.parse(item)), continuation: page.continuation };
}

/**
 * Counts one call in one request: a patch `incr` of both counters guarded by a filter predicate
 * that holds only while the grant is active, its counters are for `day` and `month`, and both are
 * below their limits — so concurrent submissions can never pass a limit and no increment is lost.
 * `refused` means the predicate did not hold (expired, a new period, or a limit reached): the caller
 * reads the grant to tell which.
 */
export async function countCall(principalId: string, modelId: string, day: string, month: string, now: Date): Promise<'counted' | 'absent' | 'refused'> {
  const id = grantId(principalId, modelId);
  // Filter predicates take no parameters: every value here is formatted by us (ISO dates), not caller text.
  const condition = [
    `FROM c WHERE (IS_NULL(c.expiresAt) OR c.expiresAt > "${now.toISOString()}")`,
    `c.counters.day = "${day}" AND c.counters.month = "${month}"`,
    'c.counters.dayCount < c.dailyLimit AND c.counters.monthCount < c.monthlyLimit',
  ].join(' AND ');
  try {
    await container('principals').item(id, id).patch({
      condition,
      operations: [
        { op: 'incr', path: '/counters/dayCount', value: 1 },
        { op: 'incr', path: '/counters/monthCount', value: 1 },
      ],
    });
    return 'counted';
  } catch (error) {
    const status = cosmosStatus(error);
    if (status === 404) return 'absent';
    if (status === 412) return 'refused';
    throw error;
  }
}

/** Starts new periods' counters; false when the grant changed since it was read (read it again). */
export async function replaceCounters(grant: GrantRecord, etag: string, counters: GrantCounters): Promise<boolean> {
  try {
    await container('principals').item(grant.id, grant.id).replace({ ...grant, counters }, { accessCondition: { type: 'IfMatch', condition: etag } });
    return true;
  } catch (error) {
    if (cosmosStatus(error) === 412 || cosmosStatus(error) === 404) return false;
    throw error;
  }
}

/** Gives back one counted call. */
export async function uncountCall(principalId: string, modelId: string): Promise<void> {
  const id = grantId(principalId, modelId);
  await container('principals').item(id, id).patch([
    { op: 'incr', path: '/counters/dayCount', value: -1 },
    { op: 'incr', path: '/counters/monthCount', value: -1 },
  ]);
}
