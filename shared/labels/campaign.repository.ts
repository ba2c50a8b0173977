import type { PatchOperation } from '@azure/cosmos';
import { newestFirst, whereEqual } from '../azure/cosmos';
import { store, type Versioned } from '../azure/store';
import { CampaignRecord } from './campaign.schema';

// Campaigns live in `campaigns` (partition `/id`): every label write reads its campaign by id
// (1 RU); listing campaigns is rare and may cross partitions.

const campaigns = store<CampaignRecord>('campaigns', (raw) => CampaignRecord.parse(raw), (doc) => doc.id);

export async function readCampaign(id: string): Promise<Versioned<CampaignRecord> | undefined> {
  return campaigns.read(id, id);
}

/** Creates the campaign; undefined when its id exists. */
export async function insertCampaign(record: CampaignRecord): Promise<Versioned<CampaignRecord> | undefined> {
  return campaigns.create(record);
}

/** Replaces the campaign if its ETag still matches; undefined when it changed meanwhile. */
export async function replaceCampaignIfUnchanged(record: CampaignRecord, etag: string): Promise<Versioned<CampaignRecord> | undefined> {
  return campaigns.replaceIfUnchanged(record, etag);
}

/** Patches the campaign; undefined when it does not exist. */
export async function patchCampaign(id: string, operations: PatchOperation[]): Promise<Versioned<CampaignRecord> | undefined> {
  return campaigns.patch(id, id, operations);
}

export async function listCampaignRecords(
  filters: { status?: string },
  limit: number,
  continuation: string | undefined,
): Promise<{ items: CampaignRecord[]; continuation: string | undefined }> {
  const where = whereEqual({ docType: 'campaign', status: filters.status });
  return newestFirst('campaigns', where, { limit, continuation }, (raw) => CampaignRecord.parse(raw));
}
