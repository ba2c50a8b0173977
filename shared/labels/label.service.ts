import type { Principal } from '../auth/auth.schema';
import { pinsVersion, type VersionCondition } from '../azure/condition';
import { RETRY, retryOnConflict } from '../azure/store';
import { errors, type FieldError } from '../errors';
import { assertCanLabel, assertCanManage, assertIfMatch } from './access';
import { findCampaign } from './campaign.service';
import { imagesetOfImage, shortHash } from './ids';
import { readImages } from './image.repository';
import type { ImageRecord } from './image.schema';
import { findImageOr404 } from './image.service';
import { getImagesetRecord } from './imageset.service';
import { currentAnnotations, keepReplaced } from './label.history';
import { predictionId, readAnnotation, upsertAnnotations, upsertPrediction, writeAnnotation } from './label.repository';
import {
  afterNewlyLabelled,
  assertActive,
  annotationRecord,
  annotationView,
  boxProblems,
  labellingContext,
  labelView,
  predictionIndex,
  storedLabels,
  throwIfAny,
} from './label.rules';
import {
  type AnnotationRecord,
  type BulkLabelInput,
  type BulkLabelsResult,
  type ImageLabels,
  type Label,
  type LabelInput,
  MAX_LABELS_PER_IMAGE,
  type ModelRef,
  PredictionInput,
  type StoredLabel,
} from './label.schema';


/**
 * Replaces an image's labels in a campaign (only while it is active): one document write, so the
 * image has either all the new labels or all the old ones. Honours If-Match.
 */
export async function putImageLabels(
  principal: Principal,
  campaignId: string,
  imageId: string,
  inputs: LabelInput[],
  ifMatch: VersionCondition | undefined,
): Promise<{ labels: ImageLabels; etag: string }> {
  const { campaign, image } = await labellingContext(principal, campaignId, imageId);
  const problems = inputs.flatMap((input, i) => boxProblems(input, image, campaign, `/labels/${i}`));
  const predictions = inputs.some((input) => input.predictionId) ? await predictionIndex(image.imagesetId, imageId) : new Map<string, StoredLabel>();
  const built = storedLabels(inputs, campaign, principal.id, predictions, (i) => `/labels/${i}`);
  throwIfAny([...problems, ...built.problems]);
  return retryOnConflict(async () => {
    const existing = await readAnnotation(image.imagesetId, campaignId, imageId);
    assertIfMatch(ifMatch, existing?.etag);
    if (existing) await keepReplaced([existing.doc], principal.id);
    const record = annotationRecord(image, campaignId, built.labels, principal.id, (existing?.doc.version ?? 0) + 1);
    const written = await writeAnnotation(record, existing?.etag ?? null);
    if (written) {
      await afterNewlyLabelled(campaignId, existing === undefined ? 1 : 0);
      return { labels: annotationView(written.doc), etag: written.etag };
    }
    if (pinsVersion(ifMatch)) throw errors.preconditionFailed();
    return RETRY;
  }, 'The image’s labels');
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
  const built = storedLabels([input], campaign, principal.id, predictions, () => '');
  throwIfAny([...boxProblems(input, image, campaign, ''), ...built.problems]);
  const label = built.labels[0];
  if (!label) throw errors.internal(new Error('no label built'));
  return retryOnConflict(async () => {
    const existing = await readAnnotation(image.imagesetId, campaignId, imageId);
    const labels = [...(existing?.doc.labels ?? []), label];
    if (labels.length > MAX_LABELS_PER_IMAGE) throw errors.conflict(`An image has at most ${MAX_LABELS_PER_IMAGE} labels in a campaign.`);
    if (existing) await keepReplaced([existing.doc], principal.id);
    const record = annotationRecord(image, campaignId, labels, principal.id, (existing?.doc.version ?? 0) + 1);
    const written = await writeAnnotation(record, existing?.etag ?? null);
    if (!written) return RETRY;
    await afterNewlyLabelled(campaignId, existing === undefined ? 1 : 0);
    return { label: labelView(label, imageId, image.imagesetId, campaignId), etag: written.etag };
  }, 'The image’s labels');
}

/**
 * Bulk ingest (up to 10,000 labels): validates everything first (any problem → 400, nothing
 * written), then writes one annotation document per image with Cosmos bulk operations. Each image
 * is all-or-nothing; an image whose write fails is reported in `failed` and keeps its old labels.
 */
export async function bulkPutLabels(principal: Principal, campaignId: string, inputs: BulkLabelInput[]): Promise<BulkLabelsResult> {
  const { doc: campaign } = await findCampaign(campaignId);
  assertCanLabel(principal, campaign);
  assertActive(campaign);
  const problems: FieldError[] = [];
  const byImage = new Map<string, { input: BulkLabelInput; index: number }[]>();
  inputs.forEach((input, index) => {
    const imagesetId = imagesetOfImage(input.imageId);
    if (!imagesetId || !campaign.imagesetIds.includes(imagesetId)) {
      problems.push({ pointer: `/labels/${index}/imageId`, message: 'is not an image of this campaign' });
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
  await Promise.all(
    [...byImageset].map(async ([imagesetId, imageIds]) => {
      for (const image of await readImages(imagesetId, imageIds)) images.set(image.id, image);
    }),
  );
  const current = await currentAnnotations(campaignId, [...images.values()].map((image) => ({ imagesetId: image.imagesetId, imageId: image.id })));
  const records: AnnotationRecord[] = [];
  const now = new Date().toISOString();
  for (const [imageId, group] of byImage) {
    const image = images.get(imageId);
    if (!image) {
      for (const { index } of group) problems.push({ pointer: `/labels/${index}/imageId`, message: 'no such image' });
      continue;
    }
    if (group.length > MAX_LABELS_PER_IMAGE) {
      problems.push({ pointer: `/labels/${group[0]?.index ?? 0}/imageId`, message: `more than ${MAX_LABELS_PER_IMAGE} labels for one image` });
      continue;
    }
    for (const { input, index } of group) problems.push(...boxProblems(input, image, campaign, `/labels/${index}`));
    const predictions = group.some(({ input }) => input.predictionId) ? await predictionIndex(image.imagesetId, imageId) : new Map<string, StoredLabel>();
    const built = storedLabels(
      group.map(({ input }) => input),
      campaign,
      principal.id,
      predictions,
      (i) => `/labels/${group[i]?.index ?? 0}`,
    );
    problems.push(...built.problems);
    records.push(annotationRecord(image, campaignId, built.labels, principal.id, (current.get(imageId)?.version ?? 0) + 1, now));
  }
  throwIfAny(problems);
  await keepReplaced([...current.values()], principal.id, now);
  const failed = await upsertAnnotations(records);
  const written = records.filter((record) => !failed.has(record.id));
  const newlyLabelled = written.filter((record) => !current.has(record.imageId)).length;
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
