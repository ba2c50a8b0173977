import { z } from 'zod';
import { pageQuery } from '../query/cursor';
import { CampaignId, ImagesetId } from './ids';

export const CampaignStatus = z
  .enum(['created', 'active', 'completed', 'finished'])
  .meta({
    id: 'CampaignStatus',
    description:
      'created → active → completed ↔ active; completed or active → finished. Labels are written only while active; ' +
      'the campaign moves to completed by itself when every image is labelled.',
  });
export type CampaignStatus = z.infer<typeof CampaignStatus>;

/** The transitions a campaign may make; anything else is 409. */
export const CAMPAIGN_TRANSITIONS: Record<CampaignStatus, readonly CampaignStatus[]> = {
  created: ['active'],
  active: ['completed', 'finished'],
  completed: ['active', 'finished'],
  finished: [],
};

export const ExportFormat = z
  .enum(['coco', 'yolo', 'voc', 'azureml'])
  .meta({
    id: 'ExportFormat',
    description:
      'coco: COCO JSON. yolo: ustar archive in the Ultralytics layout (data.yaml, images.txt, labels/<imageset>/<stem>.txt per image). ' +
      'voc: ustar archive of Pascal VOC XML files (1-based pixel coordinates). azureml: Azure ML object-detection JSON Lines. ' +
      'Every image of the campaign is exported, labelled or not.',
  });
export type ExportFormat = z.infer<typeof ExportFormat>;

const LabelName = z.string().trim().min(1).max(200);

export const Labeller = z
  .object({
    keyId: z.string(),
    name: z.string(),
    addedAt: z.iso.datetime(),
    expiresAt: z.iso.datetime().nullable(),
    removedAt: z.iso.datetime().nullable(),
  })
  .meta({ id: 'Labeller' });
export type Labeller = z.infer<typeof Labeller>;

export const ExportRecord = z.object({
  format: ExportFormat,
  blobName: z.string(),
  createdAt: z.iso.datetime(),
  images: z.number().int().min(0),
  annotations: z.number().int().min(0),
});
export type ExportRecord = z.infer<typeof ExportRecord>;

/** The stored campaign (container `campaigns`, partition `/id`). */
export const CampaignRecord = z.object({
  id: CampaignId,
  docType: z.literal('campaign'),
  title: z.string(),
  description: z.string(),
  status: CampaignStatus,
  owner: z.string(),
  imagesetIds: z.array(ImagesetId),
  labels: z.array(z.string()),
  labelTranslations: z.record(z.string(), z.string()),
  labellers: z.array(Labeller),
  exports: z.array(ExportRecord),
  exportJobId: z.string().nullable(),
  /**
   * Images given their first labels, counted as it happens (an atomic increment). Only a trigger:
   * when it reaches the image total, a COUNT confirms before the campaign completes.
   */
  labelledImages: z.number().int().min(0).default(0),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  activatedAt: z.iso.datetime().nullable(),
  completedAt: z.iso.datetime().nullable(),
  finishedAt: z.iso.datetime().nullable(),
});
export type CampaignRecord = z.infer<typeof CampaignRecord>;

export const Progress = z
  .object({
    labelled: z.number().int().min(0),
    total: z.number().int().min(0),
  })
  .meta({ id: 'CampaignProgress' });
export type Progress = z.infer<typeof Progress>;

export const Campaign = CampaignRecord.omit({ docType: true })
  .extend({ progress: Progress.optional().describe('Labelled images / images; on single reads.') })
  .meta({ id: 'Campaign' });
export type Campaign = z.infer<typeof Campaign>;

const Vocabulary = z
  .array(LabelName)
  .min(1)
  .max(1000)
  .refine((labels) => new Set(labels).size === labels.length, { message: 'labels must be unique' })
  .describe('The label vocabulary: the categories of the exports, in this order.');

const Translations = z
  .record(LabelName, LabelName)
  .refine((value) => Object.keys(value).length <= 5000, { message: 'at most 5000 translations' })
  .describe('Label as given → vocabulary label (e.g. `{ "fles": "bottle" }`). Matched case-insensitively.');

const ImagesetIds = z
  .array(ImagesetId)
  .min(1)
  .max(50)
  .refine((ids) => new Set(ids).size === ids.length, { message: 'imagesetIds must be unique' });

export const CreateCampaignBody = z
  .strictObject({
    title: z.string().trim().min(1).max(200),
    description: z.string().max(4000).default(''),
    imagesetIds: ImagesetIds,
    labels: Vocabulary,
    labelTranslations: Translations.default({}),
  })
  .meta({ id: 'CreateCampaignBody' });
export type CreateCampaignBody = z.infer<typeof CreateCampaignBody>;

export const PatchCampaignBody = z
  .strictObject({
    title: z.string().trim().min(1).max(200).optional(),
    description: z.string().max(4000).optional(),
    imagesetIds: ImagesetIds.optional().describe('Only while created.'),
    labels: Vocabulary.optional().describe('Only while created.'),
    labelTranslations: Translations.optional().describe('Replaces the translations; applies to labels written from now on.'),
  })
  .refine((body) => Object.values(body).some((value) => value !== undefined), { message: 'send at least one field' })
  .meta({ id: 'PatchCampaignBody' });
export type PatchCampaignBody = z.infer<typeof PatchCampaignBody>;

export const CampaignStatusBody = z.strictObject({ status: CampaignStatus }).meta({ id: 'CampaignStatusBody' });

export const AddLabellerBody = z
  .strictObject({
    name: z.string().trim().min(1).max(200),
    expiresAt: z.iso.datetime({ offset: true }).optional(),
  })
  .meta({ id: 'AddLabellerBody' });
export type AddLabellerBody = z.infer<typeof AddLabellerBody>;

export const AddedLabeller = z
  .object({
    labeller: Labeller,
    key: z.string().describe('`<keyId>.<secret>` for X-API-Key: role labeller, scoped to this campaign. Shown once.'),
  })
  .meta({ id: 'AddedLabeller' });

export const CampaignParams = z.strictObject({ campaignId: CampaignId });
export const LabellerParams = z.strictObject({ campaignId: CampaignId, keyId: z.string().regex(/^[a-f0-9]{24}$/) });

export const ListCampaignsQuery = z.strictObject({ ...pageQuery, status: CampaignStatus.optional() });
export type ListCampaignsQuery = z.infer<typeof ListCampaignsQuery>;

export const ExportBody = z
  .strictObject({
    format: ExportFormat,
    mode: z
      .enum(['auto', 'inline', 'job'])
      .default('auto')
      .describe('auto: inline for up to 1,000 images, else a job. job: always a `labels.export` job.'),
    imageUrls: z
      .boolean()
      .default(false)
      .describe(
        'Give every image an absolute read URL (COCO `coco_url`, third column of YOLO `images.txt`): a read SAS link, valid for ' +
          'IMAGE_READ_TOKEN_TTL from the export, so a consumer can fetch the images without credentials.',
      ),
  })
  .meta({ id: 'ExportBody' });
export type ExportBody = z.infer<typeof ExportBody>;

export const Export = ExportRecord.extend({
  campaignId: CampaignId,
  url: z.string().describe('Read-only SAS link to the export blob.'),
  expiresAt: z.iso.datetime(),
}).meta({ id: 'Export' });
export type Export = z.infer<typeof Export>;

export const ExportAccepted = z.object({ jobId: z.string() }).meta({ id: 'ExportAccepted' });
