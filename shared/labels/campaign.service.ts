import type { Principal } from '../auth/auth.schema';
import { createApiKey, revokeApiKey } from '../auth/auth.service';
import type { VersionCondition } from '../azure/condition';
import { RETRY, retryOnConflict, type Versioned } from '../azure/store';
import { AppError, errors, type FieldError } from '../errors';
import { decodeCursor, type Page } from '../query/cursor';
import { escapePointerPart } from '../json/pointer';
import { assertCanManage, assertCanReadAll, assertCanReadCampaign, assertCanUseImageset, assertIfMatch } from './access';
import { insertCampaign, listCampaignRecords, patchCampaign, readCampaign, replaceCampaignIfUnchanged } from './campaign.repository';
import {
  type AddLabellerBody,
  CAMPAIGN_TRANSITIONS,
  Campaign,
  type CampaignRecord,
  type CampaignStatus,
  type CreateCampaignBody,
  type Labeller,
  type ListCampaignsQuery,
  type PatchCampaignBody,
  type Progress,
} from './campaign.schema';
import { newId } from './ids';
import { getImagesetRecord } from './imageset.service';
import { countAnnotations } from './label.repository';

const MAX_LABELLERS = 500;

export function toCampaignView(record: CampaignRecord, progress?: Progress): Campaign {
  return Campaign.parse({ ...record, ...(progress ? { progress } : {}) });
}

export async function findCampaign(id: string): Promise<Versioned<CampaignRecord>> {
  const found = await readCampaign(id);
  if (!found) throw errors.notFound('campaign', id);
  return found;
}

/** Checks a vocabulary and its translations: every translation must land on a vocabulary label. */
function validateVocabulary(labels: string[], translations: Record<string, string>, pointer: string): void {
  const vocabulary = new Set(labels);
  const problems: FieldError[] = Object.entries(translations)
    .filter(([, target]) => !vocabulary.has(target))
    .map(([source, target]) => ({
      pointer: `${pointer}/${escapePointerPart(source)}`,
      message: `translates to '${target}', which is not in the campaign's labels`,
    }));
  if (problems.length > 0) throw errors.invalidInputs(problems);
}

/** The imagesets exist (400 naming the field otherwise), and those newly added are the caller's (403). */
async function validateImagesets(principal: Principal, imagesetIds: string[], alreadyUsed: string[] = []): Promise<void> {
  const problems: FieldError[] = [];
  await Promise.all(
    imagesetIds.map(async (id, index) => {
      try {
        const imageset = await getImagesetRecord(id);
        if (!alreadyUsed.includes(id)) assertCanUseImageset(principal, imageset);
      } catch (error) {
        if (!(error instanceof AppError) || error.status !== 404) throw error;
        problems.push({ pointer: `/imagesetIds/${index}`, message: `no imageset with id '${id}'` });
      }
    }),
  );
  if (problems.length > 0) throw errors.invalidInputs(problems);
}

/** Labelled images / images of a campaign: one COUNT per imageset, each within one partition. */
export async function campaignProgress(record: CampaignRecord): Promise<Progress> {
  const parts = await Promise.all(
    record.imagesetIds.map(async (imagesetId) => {
      const [imageset, labelled] = await Promise.all([getImagesetRecord(imagesetId), countAnnotations(imagesetId, record.id)]);
      return { total: imageset.imageCount ?? 0, labelled };
    }),
  );
  return parts.reduce((sum, part) => ({ total: sum.total + part.total, labelled: sum.labelled + part.labelled }), { total: 0, labelled: 0 });
}

export async function createCampaign(principal: Principal, body: CreateCampaignBody): Promise<{ campaign: Campaign; etag: string }> {
  validateVocabulary(body.labels, body.labelTranslations, '/labelTranslations');
  await validateImagesets(principal, body.imagesetIds);
  const now = new Date().toISOString();
  const stored = await insertCampaign({
    id: newId(),
    docType: 'campaign',
    title: body.title,
    description: body.description,
    status: 'created',
    owner: principal.id,
    imagesetIds: body.imagesetIds,
    labels: body.labels,
    labelTranslations: body.labelTranslations,
    labellers: [],
    exports: [],
    exportJobId: null,
    labelledImages: 0,
    createdAt: now,
    updatedAt: now,
    activatedAt: null,
    completedAt: null,
    finishedAt: null,
  });
  // A fresh random id: nobody else can have created it.
  if (!stored) throw new Error('a new campaign id exists already');
  return { campaign: toCampaignView(stored.doc, await campaignProgress(stored.doc)), etag: stored.etag };
}

export async function listCampaigns(
  principal: Principal,
  query: ListCampaignsQuery,
): Promise<Page<Campaign>> {
  assertCanReadAll(principal);
  const { limit, cursor, ...filters } = query;
  const page = await listCampaignRecords(filters, limit, decodeCursor(cursor, filters));
  return { items: page.items.map((record) => toCampaignView(record)), continuation: page.continuation, cursorScope: filters };
}

export async function getCampaign(principal: Principal, id: string): Promise<{ campaign: Campaign; etag: string }> {
  const { doc: record, etag } = await findCampaign(id);
  assertCanReadCampaign(principal, record);
  return { campaign: toCampaignView(record, await campaignProgress(record)), etag };
}

/** Title, description and translations any time before finished; imagesets and vocabulary only while created. */
export async function patchCampaignFields(
  principal: Principal,
  id: string,
  body: PatchCampaignBody,
  ifMatch: VersionCondition | undefined,
): Promise<{ campaign: Campaign; etag: string }> {
  const { doc: record, etag } = await findCampaign(id);
  assertCanManage(principal, record, 'campaign');
  assertIfMatch(ifMatch, etag);
  if (record.status === 'finished') throw errors.conflict("The campaign is 'finished'; it can no longer change.", { status: record.status });
  if ((body.imagesetIds || body.labels) && record.status !== 'created') {
    throw errors.conflict(`The campaign is '${record.status}'; imagesets and labels can only change while it is 'created'.`, {
      status: record.status,
    });
  }
  const labels = body.labels ?? record.labels;
  const labelTranslations = body.labelTranslations ?? record.labelTranslations;
  validateVocabulary(labels, labelTranslations, '/labelTranslations');
  if (body.imagesetIds) await validateImagesets(principal, body.imagesetIds, record.imagesetIds);
  const next: CampaignRecord = {
    ...record,
    title: body.title ?? record.title,
    description: body.description ?? record.description,
    imagesetIds: body.imagesetIds ?? record.imagesetIds,
    labels,
    labelTranslations,
    updatedAt: new Date().toISOString(),
  };
  const replaced = await replaceCampaignIfUnchanged(next, etag);
  if (!replaced) throw errors.preconditionFailed('The campaign changed while it was being updated; read it again and retry.');
  return { campaign: toCampaignView(replaced.doc, await campaignProgress(replaced.doc)), etag: replaced.etag };
}

function transitionError(from: CampaignStatus, to: CampaignStatus): AppError {
  const allowed = CAMPAIGN_TRANSITIONS[from];
  const hint = allowed.length > 0 ? ` From '${from}' it can move to: ${allowed.map((s) => `'${s}'`).join(', ')}.` : '';
  return errors.conflict(`The campaign is '${from}'; it cannot move to '${to}'.${hint}`, { from, to });
}

function withStatus(record: CampaignRecord, to: CampaignStatus): CampaignRecord {
  const now = new Date().toISOString();
  return {
    ...record,
    status: to,
    updatedAt: now,
    ...(to === 'active' ? { activatedAt: now, completedAt: null } : {}),
    ...(to === 'completed' ? { completedAt: now } : {}),
    ...(to === 'finished' ? { finishedAt: now } : {}),
  };
}

async function assertReadyToActivate(record: CampaignRecord): Promise<void> {
  for (const imagesetId of record.imagesetIds) {
    const imageset = await getImagesetRecord(imagesetId);
    if (imageset.status !== 'ready') {
      throw errors.conflict(`Imageset '${imagesetId}' is '${imageset.status}'; finalize it before activating the campaign.`, {
        imagesetId,
        status: imageset.status,
      });
    }
  }
}

/**
 * Moves a campaign along its lifecycle (409 naming both states for a transition it cannot make).
 * `onFinished` runs after a move to finished (the export job); its failure does not undo the move.
 */
export async function transitionCampaign(
  principal: Principal,
  id: string,
  to: CampaignStatus,
  ifMatch: VersionCondition | undefined,
  onFinished: (principal: Principal, record: CampaignRecord) => Promise<string | undefined>,
): Promise<{ campaign: Campaign; etag: string }> {
  const { doc: record, etag } = await findCampaign(id);
  assertCanManage(principal, record, 'campaign');
  assertIfMatch(ifMatch, etag);
  if (!CAMPAIGN_TRANSITIONS[record.status].includes(to)) throw transitionError(record.status, to);
  if (to === 'active') await assertReadyToActivate(record);
  let replaced = await replaceCampaignIfUnchanged(withStatus(record, to), etag);
  if (!replaced) throw errors.preconditionFailed('The campaign changed while its status was being changed; read it again.');
  if (to === 'finished') {
    const jobId = await onFinished(principal, replaced.doc).catch(() => undefined);
    if (jobId) replaced = (await patchCampaign(id, [{ op: 'set', path: '/exportJobId', value: jobId }])) ?? replaced;
  }
  return { campaign: toCampaignView(replaced.doc, await campaignProgress(replaced.doc)), etag: replaced.etag };
}

/**
 * Called after `newlyLabelled` images got their first labels: counts them on the campaign (one atomic
 * increment) and, only once the count reaches the number of images, confirms with a COUNT per
 * imageset and moves the campaign active → completed. A COUNT on every label write would grow with
 * the campaign; this costs one patch per newly labelled image.
 */
export async function completeIfAllLabelled(campaignId: string, newlyLabelled: number): Promise<CampaignStatus> {
  if (newlyLabelled <= 0) return (await findCampaign(campaignId)).doc.status;
  const counted = await patchCampaign(campaignId, [{ op: 'incr', path: '/labelledImages', value: newlyLabelled }]);
  if (!counted) throw errors.notFound('campaign', campaignId);
  if (counted.doc.status !== 'active') return counted.doc.status;
  const imagesets = await Promise.all(counted.doc.imagesetIds.map((id) => getImagesetRecord(id)));
  const total = imagesets.reduce((sum, imageset) => sum + (imageset.imageCount ?? 0), 0);
  if (counted.doc.labelledImages < total) return counted.doc.status;
  return retryOnConflict<CampaignStatus>(async () => {
    const { doc: record, etag } = await findCampaign(campaignId);
    if (record.status !== 'active') return record.status;
    const progress = await campaignProgress(record);
    if (progress.total === 0 || progress.labelled < progress.total) return record.status;
    return (await replaceCampaignIfUnchanged(withStatus(record, 'completed'), etag)) ? 'completed' : RETRY;
  }, 'The campaign');
}

/**
 * Adds a labeller: a new API key with only the `labeller` role, scoped to this campaign. If the
 * campaign cannot record it, the key is revoked again, so no unlisted key stays valid.
 */
export async function addLabeller(
  principal: Principal,
  campaignId: string,
  body: AddLabellerBody,
): Promise<{ labeller: Labeller; key: string }> {
  const { doc: record } = await findCampaign(campaignId);
  assertCanManage(principal, record, 'campaign');
  if (record.status === 'finished') throw errors.conflict("The campaign is 'finished'; it takes no new labellers.", { status: record.status });
  if (record.labellers.length >= MAX_LABELLERS) throw errors.conflict(`A campaign has at most ${MAX_LABELLERS} labellers.`);
  const key = await createApiKey(principal, {
    name: `labeller ${body.name} (campaign ${campaignId})`,
    roles: ['labeller'],
    scope: { campaignId },
    expiresAt: body.expiresAt,
  });
  const labeller: Labeller = { keyId: key.id, name: body.name, addedAt: key.createdAt, expiresAt: key.expiresAt, removedAt: null };
  try {
    const patched = await patchCampaign(campaignId, [
      { op: 'add', path: '/labellers/-', value: labeller },
      { op: 'set', path: '/updatedAt', value: new Date().toISOString() },
    ]);
    if (!patched) throw errors.notFound('campaign', campaignId);
  } catch (error) {
    await revokeApiKey(key.id).catch(() => undefined);
    throw error;
  }
  return { labeller, key: key.key };
}

/** Removes a labeller: their key is revoked at once. */
export async function removeLabeller(principal: Principal, campaignId: string, keyId: string): Promise<Campaign> {
  const first = await findCampaign(campaignId);
  assertCanManage(principal, first.doc, 'campaign');
  if (!first.doc.labellers.some((labeller) => labeller.keyId === keyId)) throw errors.notFound('labeller', keyId);
  await revokeApiKey(keyId);
  return retryOnConflict(async (attempt) => {
    const { doc: record, etag } = attempt === 0 ? first : await findCampaign(campaignId);
    const now = new Date().toISOString();
    const labellers = record.labellers.map((labeller) =>
      labeller.keyId === keyId && !labeller.removedAt ? { ...labeller, removedAt: now } : labeller,
    );
    const replaced = await replaceCampaignIfUnchanged({ ...record, labellers, updatedAt: now }, etag);
    return replaced ? toCampaignView(replaced.doc) : RETRY;
  }, 'The campaign (its labeller key is revoked already)');
}
