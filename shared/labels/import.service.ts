import { randomBytes } from 'node:crypto';
import type { Principal } from '../auth/auth.schema';
import { blobServiceClient } from '../azure/blob';
import { RETRY, retryOnConflict } from '../azure/store';
import { errors } from '../errors';
import { submitJob } from '../jobs/job.service';
import { assertCanLabel, assertCanManage } from './access';
import { readCampaign, replaceCampaignIfUnchanged } from './campaign.repository';
import type { CampaignRecord } from './campaign.schema';
import { findCampaign } from './campaign.service';
import { readArchive } from './import.archive';
import { parseCoco } from './import.coco';
import { campaignImageIndex } from './import.match';
import type { ImportedImage, ImportFormat, ImportQuery, ImportReport } from './import.schema';
import { parseVoc } from './import.voc';
import { parseYolo } from './import.yolo';
import { currentAnnotations, keepReplaced } from './label.history';
import { upsertAnnotations } from './label.repository';
import { afterNewlyLabelled, annotationRecord, assertActive, storedLabels, translateLabel } from './label.rules';
import { type AnnotationRecord, MAX_LABELS_PER_IMAGE } from './label.schema';

export const IMPORT_JOB_KIND = 'labels.import';
export const IMPORTS_CONTAINER = 'imports';
/** Files up to this size are imported inside the request; larger ones (or `mode=job`) as a job. */
export const INLINE_IMPORT_MAX_BYTES = 2 * 1024 * 1024;
const MAX_VOCABULARY = 1000;
const MAX_REPORTED = 1000;
/** Boxes may stick out of the image by this much (rounding in the file); they are clipped to it. */
const EDGE_TOLERANCE_PX = 1;

function parse(format: ImportFormat, bytes: Buffer): ImportedImage[] {
  switch (format) {
    case 'coco':
      return parseCoco(bytes);
    case 'yolo':
      return parseYolo(readArchive(bytes));
    case 'voc':
      return parseVoc(readArchive(bytes));
  }
}

/** Appends categories to the vocabulary (at the end, so existing class indices keep their meaning). */
async function addToVocabulary(campaignId: string, categories: string[]): Promise<CampaignRecord> {
  return retryOnConflict(async () => {
    const current = await readCampaign(campaignId);
    if (!current) throw errors.notFound('campaign', campaignId);
    const added = categories.filter((category) => !current.doc.labels.includes(category));
    if (added.length === 0) return current.doc;
    if (current.doc.labels.length + added.length > MAX_VOCABULARY) {
      throw errors.invalidInput('/addCategories', `would grow the vocabulary past ${MAX_VOCABULARY} labels`);
    }
    const record = { ...current.doc, labels: [...current.doc.labels, ...added], updatedAt: new Date().toISOString() };
    const written = await replaceCampaignIfUnchanged(record, current.etag);
    return written ? written.doc : RETRY;
  }, 'The campaign');
}

/** The file's boxes in the image's pixel frame, clipped to it; a box outside it (beyond rounding) rejects the image. */
function pixelBoxes(entry: ImportedImage, size: { width: number; height: number }): { boxes: ImportedImage['boxes']; problem?: string } {
  const boxes: ImportedImage['boxes'] = [];
  for (const [i, box] of entry.boxes.entries()) {
    const sx = entry.normalised ? size.width : 1;
    const sy = entry.normalised ? size.height : 1;
    const raw = { xMin: box.xMin * sx, yMin: box.yMin * sy, xMax: box.xMax * sx, yMax: box.yMax * sy };
    const outside =
      raw.xMin < -EDGE_TOLERANCE_PX || raw.yMin < -EDGE_TOLERANCE_PX || raw.xMax > size.width + EDGE_TOLERANCE_PX || raw.yMax > size.height + EDGE_TOLERANCE_PX;
    const clipped = {
      xMin: Math.max(0, raw.xMin),
      yMin: Math.max(0, raw.yMin),
      xMax: Math.min(size.width, raw.xMax),
      yMax: Math.min(size.height, raw.yMax),
    };
    if (outside || clipped.xMax <= clipped.xMin || clipped.yMax <= clipped.yMin) {
      return { boxes: [], problem: `box ${i + 1} (${box.category}) is empty or outside the ${size.width}×${size.height} image` };
    }
    boxes.push({ ...box, ...clipped });
  }
  return { boxes };
}

/**
 * Imports a COCO, YOLO or VOC file into a campaign: every entry is matched to a campaign image by
 * name, its categories mapped through the vocabulary and translations (unknown ones refuse the file
 * by name, or are added with `addCategories`), and each matched image's labels are replaced, whole
 * or not at all. Entries without boxes change nothing (exports list never-labelled images too).
 */
export async function runImport(campaign: CampaignRecord, format: ImportFormat, bytes: Buffer, addCategories: boolean, author: string): Promise<ImportReport> {
  const entries = parse(format, bytes);
  const unknown = [...new Set(entries.flatMap((entry) => entry.boxes.map((box) => box.category)))].filter(
    (category) => translateLabel(campaign, category) === undefined,
  );
  if (unknown.length > 0 && !addCategories) {
    const named = unknown.slice(0, 20).map((category) => `'${category}'`).join(', ');
    throw errors.invalidInput('', `uses categories the campaign does not know: ${named}. Add them (or translations) to the campaign, or import with addCategories=true`);
  }
  const target = unknown.length > 0 ? await addToVocabulary(campaign.id, unknown) : campaign;
  const match = await campaignImageIndex(target);
  const report: ImportReport = { format, images: 0, labels: 0, unmatched: [], rejected: [], addedCategories: unknown, campaignStatus: target.status };
  const records: AnnotationRecord[] = [];
  const claimed = new Map<string, string>();
  const now = new Date().toISOString();
  for (const entry of entries) {
    if (entry.boxes.length === 0 && entry.problems.length === 0) continue;
    const found = match(entry.name, entry.byStem);
    if (!('image' in found)) {
      if (report.unmatched.length < MAX_REPORTED) report.unmatched.push({ file: entry.file, name: entry.name, reason: found.reason });
      continue;
    }
    const { image } = found;
    const reject = (reason: string) => report.rejected.length < MAX_REPORTED && report.rejected.push({ file: entry.file, imageId: image.id, reason });
    const { boxes, problem } = pixelBoxes(entry, image);
    const earlier = claimed.get(image.id);
    if (earlier !== undefined) reject(`'${earlier}' in the same file already labels this image`);
    else if (entry.problems.length > 0 || problem) reject([...entry.problems, ...(problem ? [problem] : [])].join('; '));
    else if (boxes.length > MAX_LABELS_PER_IMAGE) reject(`more than ${MAX_LABELS_PER_IMAGE} boxes`);
    else {
      const inputs = boxes.map((box) => ({ ...box, label: box.category, confidence: Math.min(1, Math.max(0, box.confidence ?? 1)), source: 'human' as const }));
      const labels = storedLabels(inputs, target, author, new Map(), () => '').labels;
      records.push(annotationRecord(image, target.id, labels, author, 1, now));
    }
    claimed.set(image.id, entry.file);
  }
  const current = await currentAnnotations(target.id, records);
  for (const record of records) record.version = (current.get(record.imageId)?.version ?? 0) + 1;
  await keepReplaced([...current.values()], author, now);
  const failed = await upsertAnnotations(records);
  const written = records.filter((record) => !failed.has(record.id));
  for (const record of records) {
    const reason = failed.get(record.id);
    if (reason) report.rejected.push({ file: claimed.get(record.imageId) ?? '', imageId: record.imageId, reason });
  }
  report.images = written.length;
  report.labels = written.reduce((sum, record) => sum + record.labelCount, 0);
  report.campaignStatus = (await afterNewlyLabelled(target.id, written.filter((record) => !current.has(record.imageId)).length)) ?? target.status;
  return report;
}

/**
 * `POST /campaigns/{id}/imports`: small files are imported in the request; large ones (or
 * `mode=job`) are kept in the `imports` container and imported by a `labels.import` job.
 */
export async function requestImport(
  principal: Principal,
  campaignId: string,
  query: ImportQuery,
  body: Buffer,
): Promise<{ kind: 'inline'; report: ImportReport } | { kind: 'job'; jobId: string }> {
  const { doc: campaign } = await findCampaign(campaignId);
  assertCanLabel(principal, campaign);
  if (query.addCategories) assertCanManage(principal, campaign, 'campaign');
  assertActive(campaign);
  if (body.length === 0) throw errors.invalidInput('', 'is empty');
  const mode = query.mode === 'auto' ? (body.length > INLINE_IMPORT_MAX_BYTES ? 'job' : 'inline') : query.mode;
  if (mode === 'inline') return { kind: 'inline', report: await runImport(campaign, query.format, body, query.addCategories, principal.id) };
  const blobName = `campaigns/${campaign.id}/${Date.now()}-${randomBytes(4).toString('hex')}.${query.format}`;
  const container = blobServiceClient().getContainerClient(IMPORTS_CONTAINER);
  await container.createIfNotExists();
  await container.getBlockBlobClient(blobName).uploadData(body);
  const job = await submitJob({
    kind: IMPORT_JOB_KIND,
    owner: principal.id,
    input: { campaignId: campaign.id, format: query.format, blobName, addCategories: query.addCategories, author: principal.id },
    labels: { campaignId: campaign.id },
  });
  return { kind: 'job', jobId: job.id };
}
