import { createHash } from 'node:crypto';
import type { BlobItem, ContainerClient } from '@azure/storage-blob';
import { z } from 'zod';
import { blobServiceClient } from '../azure/blob';
import { type JobContext, type JobHandler, PermanentJobError } from '../jobs/job.handler';
import { imageIdFor, ImagesetId, imagesetContainer } from './ids';
import { type ByteSource, readImageHeader } from './image-header';
import { imageTotals, insertImage } from './image.repository';
import type { ImageRecord } from './image.schema';
import { patchImageset, readImageset, replaceImagesetIfUnchanged } from './imageset.repository';
import { type FinalizeReport, SkippedBlob } from './imageset.schema';

/**
 * The `imageset.finalize` job: registers every blob of an imageset's container as an image, then
 * moves the imageset to `ready`.
 *
 * Resumable and idempotent: blobs are listed in name order, a page at a time; after each batch the
 * checkpoint holds the page's continuation marker and the last blob name done, so a redelivery
 * resumes right after it. Image ids are derived from blob names and registration is a create that
 * treats "already exists" as done, so a batch replayed after a crash registers nothing twice.
 */
export const FinalizeInput = z.object({
  imagesetId: ImagesetId,
  /** Blobs listed per page (and per checkpointed continuation marker). */
  pageSize: z.number().int().min(1).max(5000).default(100),
});

const FinalizeState = z.object({
  total: z.number().int().min(0),
  /** Continuation marker of the page being worked on (undefined: the first page). */
  marker: z.string().optional(),
  /** The last blob of that page already handled. */
  after: z.string().optional(),
  done: z.number().int().min(0),
  skipped: z.array(SkippedBlob),
  skippedCount: z.number().int().min(0),
});
type FinalizeState = z.infer<typeof FinalizeState>;

/** Blobs handled concurrently, and between two checkpoints. */
const BATCH_SIZE = 10;
const REPORTED_SKIPS = 100;

async function toBuffer(stream: NodeJS.ReadableStream | undefined): Promise<Buffer> {
  if (!stream) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks);
}

/** Ranged reads of one blob: header sniffing reads a few KB, never the whole image. */
function blobSource(containerClient: ContainerClient, blob: BlobItem): ByteSource {
  const client = containerClient.getBlobClient(blob.name);
  return {
    size: blob.properties.contentLength ?? 0,
    read: async (offset, length) => toBuffer((await client.download(offset, length)).readableStreamBody),
  };
}

async function md5Of(containerClient: ContainerClient, blob: BlobItem): Promise<string> {
  if (blob.properties.contentMD5 && blob.properties.contentMD5.length === 16) {
    return Buffer.from(blob.properties.contentMD5).toString('base64');
  }
  // Blobs committed from blocks without x-ms-blob-content-md5 have no MD5: compute it once, streaming.
  const hash = createHash('md5');
  const body = (await containerClient.getBlobClient(blob.name).download()).readableStreamBody;
  if (body) for await (const chunk of body) hash.update(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return hash.digest('base64');
}

type Registration = { kind: 'registered' } | { kind: 'skipped'; reason: string };

/** Registers one blob as an image, or says why it is not one. */
export async function registerBlob(
  imagesetId: string,
  containerClient: ContainerClient,
  blob: BlobItem,
): Promise<Registration> {
  const size = blob.properties.contentLength ?? 0;
  if (size === 0) return { kind: 'skipped', reason: 'empty blob' };
  const header = await readImageHeader(blobSource(containerClient, blob));
  if (!header) return { kind: 'skipped', reason: 'not a PNG, JPEG, GIF, WebP or BMP image (unrecognised header)' };
  const record: ImageRecord = {
    id: imageIdFor(imagesetId, blob.name),
    docType: 'image',
    imagesetId,
    blobName: blob.name,
    size,
    contentType: header.mime,
    md5: await md5Of(containerClient, blob),
    format: header.format,
    width: header.width,
    height: header.height,
    ...(header.channels ? { channels: header.channels } : {}),
    registeredAt: new Date().toISOString(),
  };
  await insertImage(record); // false = registered by an earlier delivery: exactly once either way
  return { kind: 'registered' };
}

async function countBlobs(containerClient: ContainerClient): Promise<number> {
  let total = 0;
  for await (const page of containerClient.listBlobsFlat().byPage({ maxPageSize: 5000 })) {
    total += page.segment.blobItems.length;
  }
  return total;
}

interface Hooks {
  saveState(state: FinalizeState): Promise<void>;
  progress(done: number, total: number): Promise<void>;
}

async function registerAll(imagesetId: string, pageSize: number, initial: FinalizeState | undefined, hooks: Hooks): Promise<FinalizeState> {
  const containerClient = blobServiceClient().getContainerClient(imagesetContainer(imagesetId));
  if (!(await containerClient.exists())) throw new PermanentJobError(`The imageset's container is gone.`, 'not-found');
  let state = initial;
  if (!state) {
    state = { total: await countBlobs(containerClient), done: 0, skipped: [], skippedCount: 0 };
    await hooks.saveState(state);
  }
  for (;;) {
    const pages = containerClient.listBlobsFlat().byPage({ continuationToken: state.marker, maxPageSize: pageSize });
    const { value: page } = await pages.next();
    const after = state.after;
    const blobs: BlobItem[] = page ? page.segment.blobItems.filter((blob: BlobItem) => after === undefined || blob.name > after) : [];
    for (let start = 0; start < blobs.length; start += BATCH_SIZE) {
      const batch = blobs.slice(start, start + BATCH_SIZE);
      const outcomes = await Promise.all(batch.map((blob) => registerBlob(imagesetId, containerClient, blob)));
      const skipped = outcomes.flatMap((outcome, i) => (outcome.kind === 'skipped' ? [{ blobName: batch[i]?.name ?? '', reason: outcome.reason }] : []));
      state = {
        ...state,
        after: batch[batch.length - 1]?.name,
        done: state.done + batch.length,
        skipped: [...state.skipped, ...skipped].slice(0, REPORTED_SKIPS),
        skippedCount: state.skippedCount + skipped.length,
      };
      await hooks.saveState(state);
      await hooks.progress(state.done, Math.max(state.total, state.done));
    }
    const next = page?.continuationToken;
    if (!next) return state;
    state = { ...state, marker: next, after: undefined };
    await hooks.saveState(state);
  }
}

async function markReady(imagesetId: string, state: FinalizeState): Promise<FinalizeReport> {
  const totals = await imageTotals(imagesetId);
  const report: FinalizeReport = { registered: totals.count, skippedCount: state.skippedCount, skipped: state.skipped };
  const now = new Date().toISOString();
  await patchImageset(imagesetId, [
    { op: 'set', path: '/status', value: 'ready' },
    { op: 'set', path: '/finalizedAt', value: now },
    { op: 'set', path: '/updatedAt', value: now },
    { op: 'set', path: '/imageCount', value: totals.count },
    { op: 'set', path: '/totalBytes', value: totals.bytes },
    { op: 'set', path: '/finalizeReport', value: report },
  ]);
  return report;
}

async function finalize(imagesetId: string, pageSize: number, initial: FinalizeState | undefined, hooks: Hooks) {
  const stored = await readImageset(imagesetId);
  if (!stored) throw new PermanentJobError(`No imageset with id '${imagesetId}'.`, 'not-found');
  if (stored.record.status === 'ready') {
    // A redelivery after the work was done: report, change nothing.
    return { imagesetId, ...(stored.record.finalizeReport ?? { registered: stored.record.imageCount ?? 0, skippedCount: 0, skipped: [] }) };
  }
  const state = await registerAll(imagesetId, pageSize, initial, hooks);
  return { imagesetId, ...(await markReady(imagesetId, state)) };
}

/**
 * A finalize canceled while it ran gives the imageset back to its owner: `open` again, so uploads can
 * go on; the images it registered stay registered, and the next finalize registers the rest. Only if
 * the imageset is still finalizing under this job (a newer finalize owns it otherwise).
 */
async function reopenAfterCancel(imagesetId: string, jobId: string): Promise<void> {
  const stored = await readImageset(imagesetId);
  if (!stored || stored.record.status !== 'finalizing' || stored.record.finalizeJobId !== jobId) return;
  await replaceImagesetIfUnchanged({ ...stored.record, status: 'open', updatedAt: new Date().toISOString() }, stored.etag);
}

/** The job handler (kind `imageset.finalize`). */
export const finalizeImagesetJob: JobHandler = async (context: JobContext) => {
  const input = FinalizeInput.safeParse(context.job.input);
  if (!input.success) throw new PermanentJobError('The job input is not `{ imagesetId }`.');
  const saved = FinalizeState.safeParse(context.state);
  try {
    const result = await finalize(input.data.imagesetId, input.data.pageSize, saved.success ? saved.data : undefined, {
      saveState: (state) => context.saveState(state),
      progress: (done, total) => context.progress(done, total),
    });
    return { kind: 'done', result };
  } catch (error) {
    if (error instanceof PermanentJobError && error.code === 'canceled') await reopenAfterCancel(input.data.imagesetId, context.job.id);
    throw error;
  }
};

/** Registers an imageset's blobs in this process, without a job (the local seed). */
export async function finalizeImagesetNow(imagesetId: string) {
  return finalize(imagesetId, 100, undefined, { saveState: async () => {}, progress: async () => {} });
}
