import { randomBytes } from 'node:crypto';
import { blobServiceClient } from '../azure/blob';
import { sasSigner } from '../azure/sas';
import type { Principal } from '../auth/auth.schema';
import { config } from '../config';
import { errors } from '../errors';
import { submitJob } from '../jobs/job.service';
import { assertCanReadCampaign, isScoped } from './access';
import { azureMlExport } from './azureml.export';
import { patchCampaign } from './campaign.repository';
import { type CampaignRecord, type Export, type ExportBody, type ExportFormat, type ExportRecord } from './campaign.schema';
import { campaignProgress, findCampaign } from './campaign.service';
import { cocoExport } from './coco.export';
import type { ExportBox, ExportDataset, ExportImage } from './export.dataset';
import { allImages } from './image.repository';
import { toImageView } from './image.service';
import { campaignAnnotations } from './label.repository';
import { vocExport } from './voc.export';
import { yoloExport } from './yolo.export';

export const EXPORTS_CONTAINER = 'exports';
export const EXPORT_JOB_KIND = 'labels.export';
/** Up to this many images an export runs inside the request; above, as a job. */
export const INLINE_EXPORT_MAX_IMAGES = 1000;
export const ALL_FORMATS: ExportFormat[] = ['coco', 'yolo', 'voc', 'azureml'];
const MAX_LISTED_EXPORTS = 50;

const FILES: Record<ExportFormat, { suffix: string; contentType: string }> = {
  coco: { suffix: 'coco.json', contentType: 'application/json' },
  yolo: { suffix: 'yolo.tar', contentType: 'application/x-tar' },
  voc: { suffix: 'voc.tar', contentType: 'application/x-tar' },
  azureml: { suffix: 'azureml.jsonl', contentType: 'application/jsonl' },
};

let containerReady: Promise<unknown> | undefined;

function exportsContainer() {
  const client = blobServiceClient().getContainerClient(EXPORTS_CONTAINER);
  containerReady ??= client.createIfNotExists().catch((error: unknown) => {
    containerReady = undefined;
    throw error;
  });
  return { client, ready: containerReady };
}

/**
 * Every image of a campaign and its boxes (categories: the vocabulary, in order). Images never
 * labelled are included: YOLO trains on them as backgrounds and COCO consumers expect every image.
 * With `imageUrls`, each image carries a read SAS URL (valid for IMAGE_READ_TOKEN_TTL).
 */
export async function buildDataset(campaign: CampaignRecord, options: { imageUrls?: boolean } = {}): Promise<ExportDataset> {
  const vocabulary = new Set(campaign.labels);
  const images: ExportImage[] = [];
  const boxes: ExportBox[] = [];
  for (const imagesetId of campaign.imagesetIds) {
    const annotated = new Map<string, ExportBox[]>();
    for await (const page of campaignAnnotations(imagesetId, campaign.id)) {
      for (const annotation of page) {
        annotated.set(
          annotation.imageId,
          annotation.labels.flatMap((label) => {
            const category = label.labelTranslated ?? label.label;
            if (!vocabulary.has(category)) return [];
            const { xMin, yMin, xMax, yMax, confidence, source } = label;
            return [{ imageId: annotation.imageId, category, xMin, yMin, xMax, yMax, confidence, source }];
          }),
        );
      }
    }
    // allImages pages in blob-name order, so every format lists images in the same order.
    for await (const page of allImages(imagesetId)) {
      for (const image of page) {
        images.push({
          id: image.id,
          imagesetId,
          blobName: image.blobName,
          path: `${imagesetId}/${image.blobName}`,
          width: image.width,
          height: image.height,
          format: image.format,
          ...(image.channels ? { channels: image.channels } : {}),
          ...(options.imageUrls ? { url: (await toImageView(image)).url } : {}),
        });
        boxes.push(...(annotated.get(image.id) ?? []));
      }
    }
  }
  return {
    campaignId: campaign.id,
    title: campaign.title,
    categories: campaign.labels,
    images,
    boxes,
    createdAt: new Date().toISOString(),
  };
}

export function renderExport(dataset: ExportDataset, format: ExportFormat): Buffer {
  switch (format) {
    case 'coco':
      return Buffer.from(cocoExport(dataset), 'utf8');
    case 'yolo':
      return yoloExport(dataset);
    case 'voc':
      return vocExport(dataset);
    case 'azureml':
      return Buffer.from(azureMlExport(dataset), 'utf8');
  }
}

/** Renders one format, writes it to the `exports` container and records it on the campaign. */
export async function writeExport(campaign: CampaignRecord, format: ExportFormat, dataset?: ExportDataset): Promise<ExportRecord> {
  const data = dataset ?? (await buildDataset(campaign));
  const body = renderExport(data, format);
  const stamp = data.createdAt.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const blobName = `campaigns/${campaign.id}/${stamp}-${randomBytes(3).toString('hex')}.${FILES[format].suffix}`;
  const { client, ready } = exportsContainer();
  await ready;
  await client.getBlockBlobClient(blobName).uploadData(body, {
    blobHTTPHeaders: { blobContentType: FILES[format].contentType },
  });
  const record: ExportRecord = { format, blobName, createdAt: data.createdAt, images: data.images.length, annotations: data.boxes.length };
  const patched = await patchCampaign(campaign.id, [{ op: 'add', path: '/exports/-', value: record }]);
  // The campaign lists its latest exports only (older blobs stay in the container).
  const excess = (patched?.doc.exports.length ?? 0) - MAX_LISTED_EXPORTS;
  if (excess > 0) await patchCampaign(campaign.id, Array.from({ length: Math.min(excess, 10) }, () => ({ op: 'remove' as const, path: '/exports/0' })));
  return record;
}

export async function exportView(campaignId: string, record: ExportRecord): Promise<Export> {
  const fileName = `${campaignId}-${record.blobName.split('/').pop() ?? record.format}`;
  const { url, expiresOn } = await sasSigner().readUrl(EXPORTS_CONTAINER, record.blobName, config().sas.readTokenTtlSeconds, {
    contentDisposition: `attachment; filename="${fileName}"`,
  });
  return { ...record, campaignId, url, expiresAt: expiresOn.toISOString() };
}

export async function submitExportJob(campaign: CampaignRecord, owner: string, formats: ExportFormat[], imageUrls = false): Promise<string> {
  const job = await submitJob({
    kind: EXPORT_JOB_KIND,
    owner,
    input: { campaignId: campaign.id, formats, imageUrls },
    labels: { campaignId: campaign.id },
  });
  return job.id;
}

/** The export job of a campaign that has just finished: every format. */
export async function exportOnFinish(principal: Principal, campaign: CampaignRecord): Promise<string> {
  return submitExportJob(campaign, principal.id, ALL_FORMATS);
}

/** An export now (small campaigns, or `mode: inline`), or as a `labels.export` job (large ones, or `mode: job`). */
export async function requestExport(
  principal: Principal,
  campaignId: string,
  body: ExportBody,
): Promise<{ kind: 'inline'; export: Export } | { kind: 'job'; jobId: string }> {
  const { doc: campaign } = await findCampaign(campaignId);
  assertCanReadCampaign(principal, campaign);
  if (isScoped(principal)) throw errors.forbidden('Labeller keys cannot export a campaign.');
  let mode = body.mode;
  if (mode === 'auto') mode = (await campaignProgress(campaign)).total > INLINE_EXPORT_MAX_IMAGES ? 'job' : 'inline';
  if (mode === 'job') return { kind: 'job', jobId: await submitExportJob(campaign, principal.id, [body.format], body.imageUrls) };
  const record = await writeExport(campaign, body.format, await buildDataset(campaign, { imageUrls: body.imageUrls }));
  return { kind: 'inline', export: await exportView(campaign.id, record) };
}

/** The campaign's exports, newest first, each with a fresh read link. */
export async function listExports(principal: Principal, campaignId: string): Promise<Export[]> {
  const { doc: campaign } = await findCampaign(campaignId);
  assertCanReadCampaign(principal, campaign);
  if (isScoped(principal)) throw errors.forbidden('Labeller keys cannot read a campaign’s exports.');
  const newest = [...campaign.exports].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  return Promise.all(newest.map((record) => exportView(campaign.id, record)));
}
