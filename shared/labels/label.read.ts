import type { Principal } from '../auth/auth.schema';
import { AppError, errors } from '../errors';
import { decodeCursor, type Page } from '../query/cursor';
import { assertCanReadCampaign, canReadAll } from './access';
import type { CampaignRecord } from './campaign.schema';
import { findCampaign } from './campaign.service';
import { imagesetOfImage } from './ids';
import { listImageRecords } from './image.repository';
import { findImageOr404, toImageView } from './image.service';
import { annotatedImageIds, annotationsOfImage, leastConfidentPredictions, predictionsOfImage, readAnnotation } from './label.repository';
import { annotationView, imageInCampaign, predictionViews } from './label.rules';
import type { AnnotationRecord, CampaignImage, ImageLabels, Label, ReviewQueueItem } from './label.schema';

// Reading labels: an image's labels by the Label Store rule, a campaign's images, its predictions
// and review queue.


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
    const { doc: record } = await findCampaign(id);
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
      if (found?.doc.status === 'finished' && found.doc.finishedAt) {
        campaigns.set(found.doc.id, found.doc);
        finished.push({ annotation, finishedAt: found.doc.finishedAt });
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

/**
 * The ETag of an image's labels in one campaign, for `If-Match` on the next write (a tool reads,
 * edits, then saves); undefined before the image's first labels there. Callers read the labels with
 * `getImageLabels` first, which checks access.
 */
export async function campaignLabelsEtag(imageId: string, campaignId: string): Promise<string | undefined> {
  const imagesetId = imagesetOfImage(imageId);
  return imagesetId ? (await readAnnotation(imagesetId, campaignId, imageId))?.etag : undefined;
}

/** Pre-annotations of one image of a campaign, least confident first (or most, with `-confidence`). */
export async function getCampaignPredictions(
  principal: Principal,
  campaignId: string,
  imageId: string,
  order: 'confidence' | '-confidence',
): Promise<Label[]> {
  const { doc: campaign } = await findCampaign(campaignId);
  assertCanReadCampaign(principal, campaign);
  const image = await imageInCampaign(campaign, imageId);
  return predictionViews(await predictionsOfImage(image.imagesetId, imageId), campaign, order === '-confidence');
}

/** A campaign image's read URL (labellers see images only through their campaign). */
export async function campaignImageContentUrl(principal: Principal, campaignId: string, imageId: string): Promise<string> {
  const { doc: campaign } = await findCampaign(campaignId);
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
  const { doc: campaign } = await findCampaign(campaignId);
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
): Promise<Page<CampaignImage>> {
  const { doc: campaign } = await findCampaign(campaignId);
  assertCanReadCampaign(principal, campaign);
  const filters = { campaignId };
  const position = decodePosition(decodeCursor(cursor, filters));
  const imagesetId = campaign.imagesetIds[position.index];
  if (!imagesetId) return { items: [], continuation: undefined, cursorScope: filters };
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
  return { items, continuation: next ? JSON.stringify(next) : undefined, cursorScope: filters };
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
  throw errors.invalidInput('/cursor', 'is not a cursor this API issued');
}
