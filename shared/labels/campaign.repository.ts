import type { PatchOperation } from '@azure/cosmos';
import { container, cosmosStatus, patchIfExists, queryPage, replaceIfUnchanged } from '../azure/cosmos';
import { CampaignRecord } from './campaign.schema';

// Campaigns live in `campaigns` (partition `/id`): every label write reads its campaign by id
// (1 RU); listing campaigns is rare and may cross partitions.

export interface StoredCampaign {
  record: CampaignRecord;
  etag: string;
}

function stored(resource: unknown, etag: string | undefined): StoredCampaign {
  return { record: CampaignRecord.parse(resource), etag: etag ?? '' };
}

export async function readCampaign(id: string): Promise<StoredCampaign | undefined> {
  try {
    const { resource, etag } = await container('campaigns').item(id, id).read<CampaignRecord>();
    return resource?.docType === 'campaign' ? stored(resource, etag) : undefined;
  } catch (error) {
    if (cosmosStatus(error) === 404) return undefined;
    throw error;
  }
}

export async function insertCampaign(record: CampaignRecord): Promise<StoredCampaign> {
  const { resource, etag } = await container('campaigns').items.create(record);
  return stored(resource, etag);
}

/** Replaces the campaign if its ETag still matches; undefined when it changed meanwhile. */
export async function replaceCampaignIfUnchanged(record: CampaignRecord, etag: string): Promise<StoredCampaign | undefined> {
  const written = await replaceIfUnchanged(container('campaigns'), record.id, record.id, record, etag);
  return written && stored(written.resource, written.etag);
}

export async function patchCampaign(id: string, operations: PatchOperation[]): Promise<StoredCampaign | undefined> {
  const written = await patchIfExists(container('campaigns'), id, id, operations);
  return written && stored(written.resource, written.etag);
}

export async function listCampaignRecords(
  filters: { status?: string },
  limit: number,
  continuation: string | undefined,
): Promise<{ items: CampaignRecord[]; continuation: string | undefined }> {
  const conditions = ['c.docType = @docType'];
  const parameters: { name: string; value: string }[] = [{ name: '@docType', value: 'campaign' }];
  if (filters.status) {
    conditions.push('c.status = @status');
    parameters.push({ name: '@status', value: filters.status });
  }
  const page = await queryPage<CampaignRecord>(
    container('campaigns'),
    { query: `SELECT * FROM c WHERE ${conditions.join(' AND ')} ORDER BY c.createdAt DESC`, parameters },
    { limit, continuation, crossPartition: true },
  );
  return { items: page.items.map((resource) => CampaignRecord.parse(resource)), continuation: page.continuation };
}
