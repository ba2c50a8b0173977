import { randomBytes } from 'node:crypto';
import type { Principal } from '../auth/auth.schema';
import { AppError, errors, type FieldError } from '../errors';
import { decodeCursor } from '../http/pagination';
import { assertCanLabel, assertCanManage, assertCanReadCampaign, assertIfMatch, canReadAll } from './access';
import type { CampaignRecord, CampaignStatus } from './campaign.schema';
import { completeIfAllLabelled, findCampaign } from './campaign.service';
import { imagesetOfImage, shortHash } from './ids';
import { listImageRecords, readImages } from './image.repository';
import type { ImageRecord } from './image.schema';
import { findImageOr404, toImageView } from './image.service';
import { getImagesetRecord } from './imageset.service';
import {
  annotatedImageIds,
  annotationId,
  annotationsOfImage,
  leastConfidentPredictions,
  predictionId,
  predictionsOfImage,
  readAnnotation,
  upsertAnnotations,
  upsertPrediction,
  writeAnnotation,
} from './label.repository';
import {
  type AnnotationRecord,
  type BulkLabelInput,
  type BulkLabelsResult,
  type CampaignImage,
  type ImageLabels,
  type Label,
  type LabelInput,
  MAX_LABELS_PER_IMAGE,
  type ModelRef,
  PredictionInput,
  type PredictionRecord,
  type ReviewQueueItem,
  type StoredLabel,
} from './label.schema';

// ---------------------------------------------------------------------------------------------
// Translation and validation

/**
 * The vocabulary label for a label as given: itself when it is in the vocabulary, else its
 * translation (matched exactly, then case-insensitively), else a case-insensitive vocabulary match.
 */
export function translateLabel(campaign: Pick<CampaignRecord, 'labels' | 'labelTranslations'>, label: string): string | undefined {
  if (campaign.labels.includes(label)) return label;
  const exact = campaign.labelTranslations[label];
  if (exact !== undefined) return exact;
  const lower = label.toLowerCase();
  for (const [source, target] of Object.entries(campaign.labelTranslations)) if (source.toLowerCase() === lower) return target;
  return campaign.labels.find((entry) => entry.toLowerCase() === lower);
}

interface Box {
  xMin: number;
  yMin: number;
  xMax: number;
  yMax: number;
}

/** Problems with one box against its image: outside the image, or an unknown label. */
function boxProblems(box: Box & { label: string }, image: ImageRecord, campaign: CampaignRecord, pointer: string): FieldError[] {
  const problems: FieldError[] = [];
  if (box.xMax > image.width) problems.push({ pointer: `${pointer}/xMax`, message: `must be at most the image width (${image.width})` });
  if (box.yMax > image.height) problems.push({ pointer: `${pointer}/yMax`, message: `must be at most the image height (${image.height})` });
  if (translateLabel(campaign, box.label) === undefined) {
    problems.push({ pointer: `${pointer}/label`, message: `'${box.label}' is not in the campaign's labels and has no translation` });
  }
  return problems;
}

function throwIfAny(problems: FieldError[]): void {
  if (problems.length === 0) return;
  const shown = problems.slice(0, 100);
  throw errors.validation(shown, `${problems.length} problem(s): ${shown.slice(0, 5).map((p) => `${p.pointer}: ${p.message}`).join('; ')}`);
}

function sameBox(a: Box & { label: string }, b: Box & { label: string }): boolean {
  return a.label === b.label && a.xMin === b.xMin && a.yMin === b.yMin && a.xMax === b.xMax && a.yMax === b.yMax;
}

function newLabelId(): string {
  return randomBytes(6).toString('hex');
}

/** Turns validated inputs into stored human labels; a `predictionId` records the prediction accepted or edited. */
function storedLabels(
  inputs: LabelInput[],
  campaign: CampaignRecord,
  author: string,
  predictions: Map<string, StoredLabel>,
  pointer: (index: number) => string,
): { labels: StoredLabel[]; problems: FieldError[] } {
  const now = new Date().toISOString();
  const problems: FieldError[] = [];
  const labels = inputs.map((input, index): StoredLabel => {
    const prediction = input.predictionId ? predictions.get(input.predictionId) : undefined;
    if (input.predictionId && !prediction) {
      problems.push({ pointer: `${pointer(index)}/predictionId`, message: `no prediction '${input.predictionId}' for this image` });
    }
    return {
      id: newLabelId(),
      label: input.label,
      labelTranslated: translateLabel(campaign, input.label) ?? null,
      xMin: input.xMin,
      yMin: input.yMin,
      xMax: input.xMax,
      yMax: input.yMax,
      confidence: input.confidence,
      source: 'human',
      author,
      createdAt: now,
      ...(prediction?.model
        ? {
            fromPrediction: {
              id: prediction.id,
              model: prediction.model,
              confidence: prediction.confidence,
              edited: !sameBox(prediction, input),
            },
          }
        : {}),
    };
  });
  return { labels, problems };
}

async function predictionIndex(imagesetId: string, imageId: string): Promise<Map<string, StoredLabel>> {
  const records = await predictionsOfImage(imagesetId, imageId);
  return new Map(records.flatMap((record) => record.predictions.map((p) => [p.id, p] as const)));
}

// ---------------------------------------------------------------------------------------------
// Views

function labelView(stored: StoredLabel, imageId: string, imagesetId: string, campaignId: string | null): Label {
  return { ...stored, imageId, imagesetId, campaignId };
}

/** The labels of one image in one campaign, as stored: one document, written whole. */
function annotationRecord(image: ImageRecord, campaignId: string, labels: StoredLabel[], by: string, at = new Date().toISOString()): AnnotationRecord {
  return {
    id: annotationId(campaignId, image.id),
    docType: 'annotation',
    imagesetId: image.imagesetId,
    imageId: image.id,
    campaignId,
    labels,
    labelCount: labels.length,
    updatedAt: at,
    updatedBy: by,
  };
}

function annotationView(record: AnnotationRecord): ImageLabels {
  return {
    imageId: record.imageId,
    campaignId: record.campaignId,
    labels: record.labels.map((label) => labelView(label, record.imageId, record.imagesetId, record.campaignId)),
  };
}

/** Predictions as a labeller sees them: translated with the campaign's vocabulary, least confident first. */
function predictionViews(records: PredictionRecord[], campaign: CampaignRecord | undefined, descending = false): Label[] {
  const views = records.flatMap((record) =>
    record.predictions.map((p) =>
      labelView({ ...p, labelTranslated: campaign ? (translateLabel(campaign, p.label) ?? null) : null }, record.imageId, record.imagesetId, null),
    ),
  );
  return views.sort((a, b) => (descending ? b.confidence - a.confidence : a.confidence - b.confidence));
}

// ---------------------------------------------------------------------------------------------
// Campaign context

async function labellingContext(principal: Principal, campaignId: string, imageId: string) {
  const { record: campaign } = await findCampaign(campaignId);
  assertCanLabel(principal, campaign);
  if (campaign.status !== 'active') {
    throw errors.conflict(`The campaign is '${campaign.status}'; labels can only be written while it is 'active'.`, {
      status: campaign.status,
    });
  }
  const image = await imageInCampaign(campaign, imageId);
  return { campaign, image };
}

async function imageInCampaign(campaign: CampaignRecord, imageId: string): Promise<ImageRecord> {
  const imagesetId = imagesetOfImage(imageId);
  if (!imagesetId || !campaign.imagesetIds.includes(imagesetId)) {
    throw errors.notFound('image in this campaign', imageId);
  }
  return findImageOr404(imageId, imagesetId);
}

async function afterNewlyLabelled(campaignId: string, newlyLabelled: number): Promise<CampaignStatus | undefined> {
  return newlyLabelled > 0 ? completeIfAllLabelled(campaignId, newlyLabelled) : undefined;
}

// ---------------------------------------------------------------------------------------------
// Writes

/**
 * Replaces an image's labels in a campaign (only while it is active): one document write, so the
 * image has either all the new labels or all the old ones. Honours If-Match.
 */
export async function putImageLabels(
  principal: Principal,
  campaignId: string,
  imageId: string,
  inputs: LabelInput[],
  ifMatch: string | undefined,
): Promise<{ labels: ImageLabels; etag: string }> {
  const { campaign, image } = await labellingContext(principal, campaignId, imageId);
  const problems = inputs.flatMap((input, i) => boxProblems(input, image, campaign, `/body/labels/${i}`));
  const predictions = inputs.some((input) => input.predictionId) ? await predictionIndex(image.imagesetId, imageId) : new Map<string, StoredLabel>();
  const built = storedLabels(inputs, campaign, principal.id, predictions, (i) => `/body/labels/${i}`);
  throwIfAny([...problems, ...built.problems]);
  for (let attempt = 0; attempt < 5; attempt++) {
    const existing = await readAnnotation(image.imagesetId, campaignId, imageId);
    assertIfMatch(ifMatch, existing?.etag);
    const written = await writeAnnotation(annotationRecord(image, campaignId, built.labels, principal.id), existing?.etag ?? null);
    if (written) {
      await afterNewlyLabelled(campaignId, existing === undefined ? 1 : 0);
      return { labels: annotationView(written.record), etag: written.etag };
    }
    if (ifMatch) throw errors.preconditionFailed();
  }
  throw errors.conflict('The image’s labels kept changing while they were being written; try again.');
}

/** Adds one label to an image's labels in a campaign (read, append, write guarded by the ETag). */
export async function addImageLabel(
  principal: Principal,
  campaignId: string,
  imageId: string,
  input: LabelInput,
): Promise<{ label: Label; etag: string }> {
  const { campaign, image } = await labellingContext(principal, campaignId, imageId);
  const predictions = input.predictionId ? await predictionIndex(image.imagesetId, imageId) : new Map<string, StoredLabel>();
  const built = storedLabels([input], campaign, principal.id, predictions, () => '/body');
  throwIfAny([...boxProblems(input, image, campaign, '/body'), ...built.problems]);
  const label = built.labels[0];
  if (!label) throw errors.internal(new Error('no label built'));
  for (let attempt = 0; attempt < 8; attempt++) {
    const existing = await readAnnotation(image.imagesetId, campaignId, imageId);
    const labels = [...(existing?.record.labels ?? []), label];
    if (labels.length > MAX_LABELS_PER_IMAGE) throw errors.conflict(`An image has at most ${MAX_LABELS_PER_IMAGE} labels in a campaign.`);
    const written = await writeAnnotation(annotationRecord(image, campaignId, labels, principal.id), existing?.etag ?? null);
    if (written) {
      await afterNewlyLabelled(campaignId, existing === undefined ? 1 : 0);
      return { label: labelView(label, imageId, image.imagesetId, campaignId), etag: written.etag };
    }
  }
  throw errors.conflict('The image’s labels kept changing while the label was being added; try again.');
}

/**
 * Bulk ingest (up to 10,000 labels): validates everything first (any problem → 400, nothing
 * written), then writes one annotation document per image with Cosmos bulk operations. Each image
 * is all-or-nothing; an image whose write fails is reported in `failed` and keeps its old labels.
 */
export async function bulkPutLabels(principal: Principal, campaignId: string, inputs: BulkLabelInput[]): Promise<BulkLabelsResult> {
  const { record: campaign } = await findCampaign(campaignId);
  assertCanLabel(principal, campaign);
  if (campaign.status !== 'active') {
    throw errors.conflict(`The campaign is '${campaign.status}'; labels can only be written while it is 'active'.`, {
      status: campaign.status,
    });
  }
  const problems: FieldError[] = [];
  const byImage = new Map<string, { input: BulkLabelInput; index: number }[]>();
  inputs.forEach((input, index) => {
    const imagesetId = imagesetOfImage(input.imageId);
    if (!imagesetId || !campaign.imagesetIds.includes(imagesetId)) {
      problems.push({ pointer: `/body/labels/${index}/imageId`, message: 'is not an image of this campaign' });
      return;
    }
    const group = byImage.get(input.imageId) ?? [];
    group.push({ input, index });
    byImage.set(input.imageId, group);
  });
  const byImageset = new Map<string, string[]>();
  for (const imageId of byImage.keys()) {
    const imagesetId = imagesetOfImage(imageId) ?? '';
    byImageset.set(imagesetId, [...(byImageset.get(imagesetId) ?? []), imageId]);
  }
  const images = new Map<string, ImageRecord>();
  const alreadyLabelled = new Set<string>();
  await Promise.all(
    [...byImageset].map(async ([imagesetId, imageIds]) => {
      const [found, annotated] = await Promise.all([readImages(imagesetId, imageIds), annotatedImageIds(imagesetId, campaignId, imageIds)]);
      for (const image of found) images.set(image.id, image);
      for (const imageId of annotated.keys()) alreadyLabelled.add(imageId);
    }),
  );
  const records: AnnotationRecord[] = [];
  const now = new Date().toISOString();
  for (const [imageId, group] of byImage) {
    const image = images.get(imageId);
    if (!image) {
      for (const { index } of group) problems.push({ pointer: `/body/labels/${index}/imageId`, message: 'no such image' });
      continue;
    }
    if (group.length > MAX_LABELS_PER_IMAGE) {
      problems.push({ pointer: `/body/labels/${group[0]?.index ?? 0}/imageId`, message: `more than ${MAX_LABELS_PER_IMAGE} labels for one image` });
      continue;
    }
    for (const { input, index } of group) problems.push(...boxProblems(input, image, campaign, `/body/labels/${index}`));
    const predictions = group.some(({ input }) => input.predictionId) ? await predictionIndex(image.imagesetId, imageId) : new Map<string, StoredLabel>();
    const built = storedLabels(
      group.map(({ input }) => input),
      campaign,
      principal.id,
      predictions,
      (i) => `/body/labels/${group[i]?.index ?? 0}`,
    );
    problems.push(...built.problems);
    records.push(annotationRecord(image, campaignId, built.labels, principal.id, now));
  }
  throwIfAny(problems);
  const failed = await upsertAnnotations(records);
  const written = records.filter((record) => !failed.has(record.id));
  const newlyLabelled = written.filter((record) => !alreadyLabelled.has(record.imageId)).length;
  const status = (await afterNewlyLabelled(campaignId, newlyLabelled)) ?? campaign.status;
  return {
    images: written.length,
    labels: written.reduce((sum, record) => sum + record.labelCount, 0),
    failed: records.filter((record) => failed.has(record.id)).map((record) => ({ imageId: record.imageId, reason: failed.get(record.id) ?? '' })),
    campaignStatus: status,
  };
}

/**
 * Stores a model's predictions for one image (source `model`), replacing that model version's
 * earlier output for the image. Predictions never count as labels: a labeller turns one into a label
 * by accepting or editing it (a label written with its `predictionId`).
 *
 * Throws AppError 404 for an unknown imageset or image and 400 for boxes outside the image.
 *
 * @example await writeModelPredictions(imagesetId, imageId, [{ label: 'bottle', confidence: 0.42, xMin: 3, yMin: 4, xMax: 50, yMax: 60 }], { id: 'detr', version: '1' });
 */
export async function writeModelPredictions(
  imagesetId: string,
  imageId: string,
  predictions: { label: string; confidence: number; xMin: number; yMin: number; xMax: number; yMax: number }[],
  model: ModelRef,
): Promise<{ id: string; predictions: Label[] }> {
  await getImagesetRecord(imagesetId);
  const image = await findImageOr404(imageId, imagesetId);
  const problems: FieldError[] = [];
  const parsed = predictions.map((prediction, i) => {
    const result = PredictionInput.safeParse(prediction);
    if (!result.success) {
      problems.push(...result.error.issues.map((issue) => ({ pointer: `/predictions/${i}/${issue.path.join('/')}`, message: issue.message })));
      return undefined;
    }
    if (result.data.xMax > image.width) problems.push({ pointer: `/predictions/${i}/xMax`, message: `must be at most the image width (${image.width})` });
    if (result.data.yMax > image.height) problems.push({ pointer: `/predictions/${i}/yMax`, message: `must be at most the image height (${image.height})` });
    return result.data;
  });
  throwIfAny(problems);
  const id = predictionId(model, imageId);
  const prefix = shortHash(`${model.id}@${model.version}`, 8);
  const now = new Date().toISOString();
  const stored: StoredLabel[] = parsed.flatMap((p, i) =>
    p
      ? [
          {
            id: `${prefix}-${i}`,
            label: p.label,
            labelTranslated: null,
            xMin: p.xMin,
            yMin: p.yMin,
            xMax: p.xMax,
            yMax: p.yMax,
            confidence: p.confidence,
            source: 'model' as const,
            model,
            author: `model:${model.id}@${model.version}`,
            createdAt: now,
          },
        ]
      : [],
  );
  await upsertPrediction({
    id,
    docType: 'prediction',
    imagesetId,
    imageId,
    model,
    predictions: stored,
    predictionCount: stored.length,
    minConfidence: stored.reduce((min, p) => Math.min(min, p.confidence), 1),
    createdAt: now,
  });
  return { id, predictions: stored.map((p) => labelView(p, imageId, imagesetId, null)) };
}

/** `writeModelPredictions` over HTTP: the imageset's owner (or an admin) stores a model's output. */
export async function putImagePredictions(
  principal: Principal,
  imagesetId: string,
  imageId: string,
  predictions: PredictionInput[],
  model: ModelRef,
): Promise<{ id: string; predictions: Label[] }> {
  assertCanManage(principal, await getImagesetRecord(imagesetId), 'imageset');
  return writeModelPredictions(imagesetId, imageId, predictions, model);
}

// ---------------------------------------------------------------------------------------------
// Reads

/** Campaigns a caller may name; a labeller key only its own (and it is the default). */
function campaignsToConsider(principal: Principal, named: string[]): string[] {
  if (canReadAll(principal)) return named;
  const own = principal.scope?.campaignId;
  if (!own) throw errors.forbidden('This key is not scoped to a campaign.');
  if (named.some((id) => id !== own)) throw errors.forbidden('This key is scoped to another campaign.');
  return [own];
}

/**
 * An image's labels. With `campaign` ids: the first of them that labelled the image wins. Without:
 * the most recently finished campaign that labelled it (the Label Store rule), so unfinished work is
 * never served as "the" labels. Predictions are added with `source=model|all`.
 */
export async function getImageLabels(
  principal: Principal,
  imageId: string,
  query: { campaign: string[]; source: 'human' | 'model' | 'all' },
): Promise<ImageLabels> {
  const named = campaignsToConsider(principal, query.campaign);
  const imagesetId = imagesetOfImage(imageId);
  const campaigns = new Map<string, CampaignRecord>();
  for (const id of named) {
    const { record } = await findCampaign(id);
    assertCanReadCampaign(principal, record);
    if (!canReadAll(principal) && (!imagesetId || !record.imagesetIds.includes(imagesetId))) {
      throw errors.forbidden('This image is not part of your campaign.');
    }
    campaigns.set(id, record);
  }
  const image = await findImageOr404(imageId);
  const annotations = await annotationsOfImage(image.imagesetId, imageId);
  let chosen: AnnotationRecord | undefined;
  if (named.length > 0) {
    chosen = named.map((id) => annotations.find((a) => a.campaignId === id)).find((a) => a !== undefined);
  } else {
    const finished: { annotation: AnnotationRecord; finishedAt: string }[] = [];
    for (const annotation of annotations) {
      const found = await findCampaign(annotation.campaignId).catch((error: unknown) => {
        if (error instanceof AppError && error.status === 404) return undefined;
        throw error;
      });
      if (found?.record.status === 'finished' && found.record.finishedAt) {
        campaigns.set(found.record.id, found.record);
        finished.push({ annotation, finishedAt: found.record.finishedAt });
      }
    }
    chosen = finished.sort((a, b) => b.finishedAt.localeCompare(a.finishedAt))[0]?.annotation;
  }
  const result: ImageLabels = chosen ? annotationView(chosen) : { imageId, campaignId: null, labels: [] };
  if (query.source === 'human') return result;
  const context = campaigns.get(result.campaignId ?? named[0] ?? '');
  const predictions = predictionViews(await predictionsOfImage(image.imagesetId, imageId), context);
  return query.source === 'model' ? { ...result, labels: [], predictions } : { ...result, predictions };
}

/** Pre-annotations of one image of a campaign, least confident first (or most, with `-confidence`). */
export async function getCampaignPredictions(
  principal: Principal,
  campaignId: string,
  imageId: string,
  order: 'confidence' | '-confidence',
): Promise<Label[]> {
  const { record: campaign } = await findCampaign(campaignId);
  assertCanReadCampaign(principal, campaign);
  const image = await imageInCampaign(campaign, imageId);
  return predictionViews(await predictionsOfImage(image.imagesetId, imageId), campaign, order === '-confidence');
}

/** A campaign image's read URL (labellers see images only through their campaign). */
export async function campaignImageContentUrl(principal: Principal, campaignId: string, imageId: string): Promise<string> {
  const { record: campaign } = await findCampaign(campaignId);
  assertCanReadCampaign(principal, campaign);
  return (await toImageView(await imageInCampaign(campaign, imageId))).url;
}

/** The images a reviewer should look at next: those whose least confident prediction is lowest. */
export async function reviewQueue(
  principal: Principal,
  campaignId: string,
  limit: number,
  unlabelledOnly: boolean,
): Promise<ReviewQueueItem[]> {
  const { record: campaign } = await findCampaign(campaignId);
  assertCanReadCampaign(principal, campaign);
  const perImageset = await Promise.all(
    campaign.imagesetIds.map(async (imagesetId) => {
      const rows = await leastConfidentPredictions(imagesetId, unlabelledOnly ? limit * 4 : limit * 2);
      const byImage = new Map<string, { minConfidence: number; predictions: number }>();
      for (const row of rows) {
        const seen = byImage.get(row.imageId);
        byImage.set(row.imageId, {
          minConfidence: Math.min(seen?.minConfidence ?? 1, row.minConfidence),
          predictions: (seen?.predictions ?? 0) + row.count,
        });
      }
      const labelled = await annotatedImageIds(imagesetId, campaignId, [...byImage.keys()]);
      return [...byImage].map(([imageId, value]) => ({ imageId, imagesetId, ...value, labelled: labelled.has(imageId) }));
    }),
  );
  return perImageset
    .flat()
    .filter((item) => !unlabelledOnly || !item.labelled)
    .sort((a, b) => a.minConfidence - b.minConfidence)
    .slice(0, limit);
}

/**
 * A campaign's images, imageset by imageset, each with a read URL and whether it is labelled. The
 * cursor carries the imageset's position and its Cosmos continuation; a page never spans two imagesets.
 */
export async function listCampaignImages(
  principal: Principal,
  campaignId: string,
  limit: number,
  cursor: string | undefined,
): Promise<{ items: CampaignImage[]; continuation: string | undefined }> {
  const { record: campaign } = await findCampaign(campaignId);
  assertCanReadCampaign(principal, campaign);
  const filters = { campaignId };
  const position = decodePosition(decodeCursor(cursor, filters));
  const imagesetId = campaign.imagesetIds[position.index];
  if (!imagesetId) return { items: [], continuation: undefined };
  const page = await listImageRecords(imagesetId, limit, position.continuation);
  const labelled = await annotatedImageIds(imagesetId, campaignId, page.items.map((image) => image.id));
  const items = await Promise.all(
    page.items.map(async (image) => ({
      ...(await toImageView(image)),
      labelled: labelled.has(image.id),
      labelCount: labelled.get(image.id) ?? 0,
    })),
  );
  const next = page.continuation
    ? { index: position.index, continuation: page.continuation }
    : position.index + 1 < campaign.imagesetIds.length
      ? { index: position.index + 1, continuation: undefined }
      : undefined;
  return { items, continuation: next ? JSON.stringify(next) : undefined };
}

function decodePosition(continuation: string | undefined): { index: number; continuation: string | undefined } {
  if (!continuation) return { index: 0, continuation: undefined };
  try {
    const parsed = JSON.parse(continuation) as { index?: unknown; continuation?: unknown };
    if (typeof parsed.index === 'number' && Number.isInteger(parsed.index) && parsed.index >= 0) {
      return { index: parsed.index, continuation: typeof parsed.continuation === 'string' ? parsed.continuation : undefined };
    }
  } catch {
    // fall through
  }
  throw errors.invalidField('/query/cursor', 'is not a cursor this API issued');
}
