import { createHash } from 'node:crypto';
import { container, cosmosStatus, queryPage } from '../azure/cosmos';
import { GrantRecord, UsageRecord } from './grant.schema';

// Grants and quota counters live in `principals` (partition `/id`) beside the API keys: a submission
// costs one point read of the grant and one conditional patch per counter.

/** Principal ids are caller-chosen text (key subjects, OIDC `sub`); a digest keeps document ids short and safe. */
function principalKey(principalId: string): string {
  return createHash('sha256').update(principalId, 'utf8').digest('hex').slice(0, 32);
}

export function grantId(principalId: string, modelId: string): string {
  return `grant~${principalKey(principalId)}~${modelId}`;
}

export function usageId(principalId: string, modelId: string, period: string): string {
  return `usage~${principalKey(principalId)}~${modelId}~${period}`;
}

export async function readGrant(principalId: string, modelId: string): Promise<GrantRecord | undefined> {
  const id = grantId(principalId, modelId);
  try {
    const { resource } = await container('principals').item(id, id).read<GrantRecord>();
    return resource?.docType === 'modelGrant' ? GrantRecord.parse(resource) : undefined;
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

export async function readUsage(principalId: string, modelId: string, period: string): Promise<number> {
  const id = usageId(principalId, modelId, period);
  try {
    const { resource } = await container('principals').item(id, id).read<UsageRecord>();
    return resource ? UsageRecord.parse(resource).count : 0;
  } catch (error) {
    if (cosmosStatus(error) === 404) return 0;
    throw error;
  }
}

/**
 * Adds one to a counter only while it is below `limit`, atomically on the server: a patch `incr`
 * guarded by a filter predicate, so concurrent submissions can never push it past the limit and no
 * increment is lost. Creates the counter on first use. Returns false when the limit is reached.
 */
export async function incrementBelow(principalId: string, modelId: string, period: string, limit: number): Promise<boolean> {
  if (!Number.isSafeInteger(limit) || limit < 0) throw new Error(`bad limit ${limit}`);
  if (limit === 0) return false;
  const id = usageId(principalId, modelId, period);
  const item = container('principals').item(id, id);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      // The limit is a validated integer (not caller text); Cosmos filter predicates take no parameters.
      await item.patch({ condition: `FROM c WHERE c.count < ${limit}`, operations: [{ op: 'incr', path: '/count', value: 1 }] });
      return true;
    } catch (error) {
      const status = cosmosStatus(error);
      if (status === 412) return false;
      if (status !== 404) throw error;
    }
    const record: UsageRecord = { id, docType: 'modelUsage', principalId, modelId, period, count: 0 };
    try {
      await container('principals').items.create(record);
    } catch (error) {
      // Another submission created it first: fine, patch it.
      if (cosmosStatus(error) !== 409) throw error;
    }
  }
  throw new Error(`usage counter ${id} could not be created`);
}

/** Gives back one call (a submission that failed after it was counted). */
export async function decrement(principalId: string, modelId: string, period: string): Promise<void> {
  const id = usageId(principalId, modelId, period);
  await container('principals').item(id, id).patch([{ op: 'incr', path: '/count', value: -1 }]);
}
