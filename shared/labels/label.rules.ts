import { ownValue } from '../json/own';
import { randomBytes } from 'node:crypto';
import type { Principal } from '../auth/auth.schema';
import { errors, type FieldError, listFields } from '../errors';
import { assertCanLabel } from './access';
import type { CampaignRecord, CampaignStatus } from './campaign.schema';
import { completeIfAllLabelled, findCampaign } from './campaign.service';
import { imagesetOfImage } from './ids';
import type { ImageRecord } from './image.schema';
import { findImageOr404 } from './image.service';
import { annotationId, predictionsOfImage } from './label.repository';
import type { AnnotationRecord, ImageLabels, Label, LabelInput, PredictionRecord, StoredLabel } from './label.schema';

// What the label writes, reads, imports and history share: the vocabulary translation, box checks
// against the image, stored-label building, the API views of stored documents, and the campaign
// context a write needs.

/**
 * The vocabulary label for a label as given: itself when it is in the vocabulary, else its
 * translation (matched exactly, then case-insensitively), else a case-insensitive vocabulary match.
 */
export function translateLabel(campaign: Pick<CampaignRecord, 'labels' | 'labelTranslations'>, label: string): string | undefined {
  if (campaign.labels.includes(label)) return label;
  const exact = ownValue(campaign.labelTranslations, label);
  if (exact !== undefined) return exact;
  const lower = label.toLowerCase();
  for (const [source, target] of Object.entries(campaign.labelTranslations)) if (source.toLowerCase() === lower) return target;
  return campaign.labels.find((entry) => entry.toLowerCase() === lower);
}

export interface Box {
  xMin: number;
  yMin: number;
  xMax: number;
  yMax: number;
}

/** Problems with one box against its image: outside the image, or an unknown label. */
export function boxProblems(box: Box & { label: string }, image: ImageRecord, campaign: CampaignRecord, pointer: string): FieldError[] {
  const problems: FieldError[] = [];
  if (box.xMax > image.width) problems.push({ pointer: `${pointer}/xMax`, message: `must be at most the image width (${image.width})` });
  if (box.yMax > image.height) problems.push({ pointer: `${pointer}/yMax`, message: `must be at most the image height (${image.height})` });
  if (translateLabel(campaign, box.label) === undefined) {
    problems.push({ pointer: `${pointer}/label`, message: `'${box.label}' is not in the campaign's labels and has no translation` });
  }
  return problems;
}

export function throwIfAny(problems: FieldError[]): void {
  if (problems.length === 0) return;
  const shown = problems.slice(0, 100);
  throw errors.invalidInputs(shown, (placed) => `${problems.length} problem(s): ${listFields(placed.slice(0, 5))}`);
}

function sameBox(a: Box & { label: string }, b: Box & { label: string }): boolean {
  return a.label === b.label && a.xMin === b.xMin && a.yMin === b.yMin && a.xMax === b.xMax && a.yMax === b.yMax;
}

function newLabelId(): string {
  return randomBytes(6).toString('hex');
}

/** Turns validated inputs into stored human labels; a `predictionId` records the prediction accepted or edited. */
export function storedLabels(
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

export async function predictionIndex(imagesetId: string, imageId: string): Promise<Map<string, StoredLabel>> {
  const records = await predictionsOfImage(imagesetId, imageId);
  return new Map(records.flatMap((record) => record.predictions.map((p) => [p.id, p] as const)));
}

export function labelView(stored: StoredLabel, imageId: string, imagesetId: string, campaignId: string | null): Label {
  return { ...stored, imageId, imagesetId, campaignId };
}

/** The labels of one image in one campaign, as stored: one document, written whole. */
export function annotationRecord(
  image: ImageRecord,
  campaignId: string,
  labels: StoredLabel[],
  by: string,
  version: number,
  at = new Date().toISOString(),
): AnnotationRecord {
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
    version,
  };
}

export function annotationView(record: AnnotationRecord): ImageLabels {
  return {
    imageId: record.imageId,
    campaignId: record.campaignId,
    labels: record.labels.map((label) => labelView(label, record.imageId, record.imagesetId, record.campaignId)),
  };
}

/** Predictions as a labeller sees them: translated with the campaign's vocabulary, least confident first. */
export function predictionViews(records: PredictionRecord[], campaign: CampaignRecord | undefined, descending = false): Label[] {
  const views = records.flatMap((record) =>
    record.predictions.map((p) =>
      labelView({ ...p, labelTranslated: campaign ? (translateLabel(campaign, p.label) ?? null) : null }, record.imageId, record.imagesetId, null),
    ),
  );
  return views.sort((a, b) => (descending ? b.confidence - a.confidence : a.confidence - b.confidence));
}

export async function labellingContext(principal: Principal, campaignId: string, imageId: string) {
  const { doc: campaign } = await findCampaign(campaignId);
  assertCanLabel(principal, campaign);
  assertActive(campaign);
  const image = await imageInCampaign(campaign, imageId);
  return { campaign, image };
}

/** Labels are written only while a campaign is active (409 naming its status). */
export function assertActive(campaign: CampaignRecord): void {
  if (campaign.status !== 'active') {
    throw errors.conflict(`The campaign is '${campaign.status}'; labels can only be written while it is 'active'.`, {
      status: campaign.status,
    });
  }
}

export async function imageInCampaign(campaign: CampaignRecord, imageId: string): Promise<ImageRecord> {
  const imagesetId = imagesetOfImage(imageId);
  if (!imagesetId || !campaign.imagesetIds.includes(imagesetId)) {
    throw errors.notFound('image in this campaign', imageId);
  }
  return findImageOr404(imageId, imagesetId);
}

export async function afterNewlyLabelled(campaignId: string, newlyLabelled: number): Promise<CampaignStatus | undefined> {
  return newlyLabelled > 0 ? completeIfAllLabelled(campaignId, newlyLabelled) : undefined;
}
