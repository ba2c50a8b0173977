import { z } from 'zod';
import { pageQuery } from '../query/cursor';
import { CampaignId, ImageId, ImagesetId } from './ids';
import { Image } from './image.schema';

/**
 * Labels are bounding boxes in pixels. Two kinds are kept apart, as Label Studio keeps predictions
 * apart from annotations:
 * - annotations: a campaign's human labels of one image, one document per (campaign, image), so
 *   replacing an image's labels is one atomic write;
 * - predictions: model output for one image, one document per (image, model id + version). A
 *   prediction becomes a human label only when a labeller accepts or edits it (a label written with
 *   `predictionId`).
 */
export const ModelRef = z
  .strictObject({ id: z.string().trim().min(1).max(200), version: z.string().trim().min(1).max(100) })
  .meta({ id: 'ModelRef' });
export type ModelRef = z.infer<typeof ModelRef>;

export const LabelSource = z.enum(['human', 'model']).meta({ id: 'LabelSource' });

const coordinate = z.number().finite().min(0).max(1_048_576);
const LabelName = z.string().trim().min(1).max(200);

const boxShape = {
  label: LabelName.describe('The label as given; `labelTranslated` comes from the campaign’s translations.'),
  xMin: coordinate,
  yMin: coordinate,
  xMax: coordinate,
  yMax: coordinate,
};

const boxOrdered = (box: { xMin: number; yMin: number; xMax: number; yMax: number }) => box.xMax > box.xMin && box.yMax > box.yMin;
const boxOrderMessage = { message: 'a box needs xMin < xMax and yMin < yMax', path: ['xMax'] };

const labelInputShape = {
  ...boxShape,
  confidence: z.number().min(0).max(1).default(1),
  source: z
    .literal('human', { error: 'labels written here are human labels; model output is written as predictions' })
    .default('human'),
  predictionId: z.string().min(1).max(100).optional().describe('The prediction this label accepts (same box) or edits.'),
};

export const LabelInput = z.strictObject(labelInputShape).refine(boxOrdered, boxOrderMessage).meta({ id: 'LabelInput' });
export type LabelInput = z.infer<typeof LabelInput>;

export const BulkLabelInput = z
  .strictObject({ imageId: ImageId, ...labelInputShape })
  .refine(boxOrdered, boxOrderMessage)
  .meta({ id: 'BulkLabelInput' });
export type BulkLabelInput = z.infer<typeof BulkLabelInput>;

export const MAX_LABELS_PER_IMAGE = 1000;
export const MAX_BULK_LABELS = 10_000;

export const PutLabelsBody = z
  .strictObject({ labels: z.array(LabelInput).max(MAX_LABELS_PER_IMAGE) })
  .meta({ id: 'PutLabelsBody', description: 'The image’s complete set of labels in this campaign (an empty list: "nothing to label").' });

export const BulkLabelsBody = z
  .strictObject({ labels: z.array(BulkLabelInput).min(1).max(MAX_BULK_LABELS) })
  .meta({ id: 'BulkLabelsBody', description: 'Replaces the labels of every image named; all-or-nothing per image.' });

export const PredictionInput = z
  .strictObject({ ...boxShape, confidence: z.number().min(0).max(1) })
  .refine(boxOrdered, boxOrderMessage)
  .meta({ id: 'PredictionInput' });
export type PredictionInput = z.infer<typeof PredictionInput>;

export const PutPredictionsBody = z
  .strictObject({ model: ModelRef, predictions: z.array(PredictionInput).max(MAX_LABELS_PER_IMAGE) })
  .meta({ id: 'PutPredictionsBody' });

const FromPrediction = z.object({
  id: z.string(),
  model: ModelRef,
  confidence: z.number(),
  edited: z.boolean().describe('False when the labeller accepted the box unchanged.'),
});

/** One stored box (inside an annotation or prediction document). */
export const StoredLabel = z.object({
  id: z.string(),
  ...boxShape,
  labelTranslated: z.string().nullable(),
  confidence: z.number(),
  source: LabelSource,
  model: ModelRef.optional(),
  author: z.string(),
  createdAt: z.iso.datetime(),
  fromPrediction: FromPrediction.optional(),
});
export type StoredLabel = z.infer<typeof StoredLabel>;

/** The keys every document about one image in `labels` has (partition `/imagesetId`), by its docType. */
const imageDocument = <D extends string>(docType: D) => ({ id: z.string(), docType: z.literal(docType), imagesetId: ImagesetId, imageId: ImageId });

export const AnnotationRecord = z.object({
  ...imageDocument('annotation'),
  campaignId: CampaignId,
  labels: z.array(StoredLabel),
  labelCount: z.number().int().min(0),
  updatedAt: z.iso.datetime(),
  updatedBy: z.string(),
  /** 1 for the first write, +1 for every write after it (documents written before history count as 1). */
  version: z.number().int().min(1).default(1),
});
export type AnnotationRecord = z.infer<typeof AnnotationRecord>;

/**
 * A replaced version of an annotation, kept when a write replaces it (`v~<campaign>~<image>~<version>`,
 * same partition): who wrote it, when, and its labels.
 */
export const AnnotationVersionRecord = AnnotationRecord.omit({ docType: true }).extend({
  docType: z.literal('annotationVersion'),
  replacedAt: z.iso.datetime(),
  replacedBy: z.string(),
});
export type AnnotationVersionRecord = z.infer<typeof AnnotationVersionRecord>;

export const PredictionRecord = z.object({
  ...imageDocument('prediction'),
  model: ModelRef,
  predictions: z.array(StoredLabel),
  predictionCount: z.number().int().min(0),
  minConfidence: z.number(),
  createdAt: z.iso.datetime(),
});
export type PredictionRecord = z.infer<typeof PredictionRecord>;

export const Label = StoredLabel.extend({
  imageId: ImageId,
  imagesetId: ImagesetId,
  campaignId: CampaignId.nullable().describe('Null for predictions (they belong to the image, not to a campaign).'),
}).meta({ id: 'Label' });
export type Label = z.infer<typeof Label>;

export const ImageLabels = z
  .object({
    imageId: ImageId,
    campaignId: CampaignId.nullable().describe('The campaign whose labels these are; null when no campaign has labelled it.'),
    labels: z.array(Label),
    predictions: z.array(Label).optional().describe('With `source=model` or `source=all`: least confident first.'),
  })
  .meta({ id: 'ImageLabels' });
export type ImageLabels = z.infer<typeof ImageLabels>;

export const ImageLabelsQuery = z.strictObject({
  campaign: z
    .union([CampaignId, z.array(CampaignId).max(20)])
    .optional()
    .transform((value) => (value === undefined ? [] : Array.isArray(value) ? value : [value]))
    .describe(
      'Campaign ids in order of preference: the first that labelled the image wins. Without it, the most recently ' +
        'finished campaign that labelled the image wins (the Label Store rule); labeller keys default to their campaign.',
    ),
  source: z.enum(['human', 'model', 'all']).default('human'),
});

export const CampaignImageParams = z.strictObject({ campaignId: CampaignId, imageId: ImageId });
export const PredictionParams = z.strictObject({ imagesetId: ImagesetId, imageId: ImageId });
export const LabelsByImageParams = z.strictObject({ imageId: ImageId });

export const PredictionsQuery = z.strictObject({
  order: z.enum(['confidence', '-confidence']).default('confidence').describe('`confidence`: least sure first (review order).'),
});

export const BulkLabelsResult = z
  .object({
    images: z.number().int(),
    labels: z.number().int(),
    failed: z.array(z.object({ imageId: ImageId, reason: z.string() })).describe('Images whose write failed; nothing was written for them.'),
    campaignStatus: z.string(),
  })
  .meta({ id: 'BulkLabelsResult' });
export type BulkLabelsResult = z.infer<typeof BulkLabelsResult>;

export const CampaignImage = Image.extend({
  labelled: z.boolean(),
  labelCount: z.number().int().min(0),
}).meta({ id: 'CampaignImage' });
export type CampaignImage = z.infer<typeof CampaignImage>;

export const CampaignImagesQuery = z.strictObject({ ...pageQuery });

export const ReviewQueueItem = z
  .object({
    imageId: ImageId,
    imagesetId: ImagesetId,
    minConfidence: z.number(),
    predictions: z.number().int(),
    labelled: z.boolean(),
  })
  .meta({ id: 'ReviewQueueItem' });
export type ReviewQueueItem = z.infer<typeof ReviewQueueItem>;

export const ReviewQueueQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  unlabelled: z
    .enum(['true', 'false'])
    .default('true')
    .transform((value) => value === 'true')
    .describe('Only images not labelled yet in this campaign (default).'),
});

export const LabelVersion = z
  .object({
    version: z.number().int().min(1),
    current: z.boolean(),
    labels: z.array(Label),
    labelCount: z.number().int().min(0),
    updatedAt: z.iso.datetime().describe('When this version was written.'),
    updatedBy: z.string().describe('Who wrote it (principal id).'),
    replacedAt: z.iso.datetime().nullable(),
    replacedBy: z.string().nullable(),
  })
  .meta({ id: 'LabelVersion' });
export type LabelVersion = z.infer<typeof LabelVersion>;

export const LabelVersionParams = z.strictObject({ campaignId: CampaignId, imageId: ImageId, version: z.coerce.number().int().min(1).max(1_000_000) });
