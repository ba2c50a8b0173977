import { createHash } from 'node:crypto';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { BlobClient, BlobItem, BlockBlobClient, ContainerClient } from '@azure/storage-blob';
import { z } from 'zod';
import { blobServiceClient } from '../azure/blob';
import { type JobHandler, PermanentJobError } from '../jobs/job.handler';
import { blobNameProblem } from './blob-name';
import { imageIdFor, imagesetContainer, registeredImagesContainer } from './ids';
import { type ByteSource, displayedSize, type ImageInfo, readImageHeader, truncation } from './image-header';
import { imageExists, imageTotals, insertImage } from './image.repository';
import type { ImageRecord } from './image.schema';
import { patchImageset, readImageset } from './imageset.repository';
import { type FinalizeReport, SkippedBlob } from './imageset.schema';
import { reopenAfterFailedFinalize } from './imageset.service';

/**
 * The `imageset.finalize` job: registers every blob of an imageset's container as an image, then
 * moves the imageset to `ready`.
 *
 * Resumable and idempotent: blobs are listed in name order, a page at a time; after each batch the
 * checkpoint holds the page's continuation marker and the last blob name done, so a redelivery
 * resumes right after it. Image ids are derived from blob names and registration is a create that
 * treats "already exists" as done, so a batch replayed after a crash registers nothing twice.
 */
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
/** Block size of the copy into the registered container (two blocks in flight). */
const COPY_BUFFER_BYTES = 4 * 1024 * 1024;
/** Blobs up to this size are copied through memory in one read and one write. */
const WHOLE_READ_BYTES = 4 * 1024 * 1024;

async function toBuffer(stream: NodeJS.ReadableStream | undefined): Promise<Buffer> {
  if (!stream) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks);
}

function bufferSource(bytes: Buffer): ByteSource {
  return { size: bytes.length, read: async (offset, length) => bytes.subarray(offset, offset + length) };
}

/** Ranged reads of one blob: header sniffing reads a few KB, never the whole image. */
function blobSource(client: BlobClient, size: number): ByteSource {
  return { size, read: async (offset, length) => toBuffer((await client.download(offset, length)).readableStreamBody) };
}

/** Streams a blob into another through this process, hashing what is written: the MD5 is the copy's. */
async function copyOut(from: BlobClient, to: BlockBlobClient): Promise<{ md5: string; size: number }> {
  const body = (await from.download()).readableStreamBody;
  if (!body) throw new Error(`Reading blob '${from.name}' gave no body.`);
  const hash = createHash('md5');
  let size = 0;
  const hashing = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      size += chunk.length;
      done(null, chunk);
    },
  });
  await Promise.all([pipeline(body, hashing), to.uploadStream(hashing, COPY_BUFFER_BYTES, 2, { conditions: WRITE_ONCE })]);
  return { md5: hash.digest('base64'), size };
}

/**
 * Copies are written once (If-None-Match: *): a racing delivery of the same batch cannot replace
 * the bytes another one registered. A copy left by a delivery that crashed before registering it is
 * described as it is.
 */
const WRITE_ONCE = { ifNoneMatch: '*' };

function alreadyCopied(error: unknown): boolean {
  const status = (error as { statusCode?: number } | null)?.statusCode;
  return status === 409 || status === 412;
}

async function describeCopy(copy: BlockBlobClient): Promise<Copied> {
  const size = (await copy.getProperties()).contentLength ?? 0;
  const header = size > 0 ? await readImageHeader(blobSource(copy, size)) : undefined;
  if (!header) return { kind: 'skipped', reason: NOT_AN_IMAGE };
  const cut = await truncation(blobSource(copy, size), header.format);
  if (cut) return { kind: 'skipped', reason: cut };
  const hash = createHash('md5');
  const body = (await copy.download()).readableStreamBody;
  if (body) for await (const chunk of body) hash.update(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return { kind: 'copied', header, md5: hash.digest('base64'), size };
}

type Registration = { kind: 'registered' } | { kind: 'skipped'; reason: string };
type Copied = { kind: 'copied'; header: ImageInfo; md5: string; size: number } | { kind: 'skipped'; reason: string };

const NOT_AN_IMAGE = 'not a PNG, JPEG, GIF, WebP or BMP image (unrecognised header)';

/** Most images: one read, sniffed in memory, one write whose MD5 the service checks. */
async function copySmall(upload: BlobClient, copy: BlockBlobClient): Promise<Copied> {
  const bytes = await toBuffer((await upload.download()).readableStreamBody);
  const header = bytes.length > 0 ? await readImageHeader(bufferSource(bytes)) : undefined;
  if (!header) return { kind: 'skipped', reason: bytes.length > 0 ? NOT_AN_IMAGE : 'empty blob' };
  const cut = await truncation(bufferSource(bytes), header.format);
  if (cut) return { kind: 'skipped', reason: cut };
  const digest = createHash('md5').update(bytes).digest();
  try {
    await copy.uploadData(bytes, { blobHTTPHeaders: { blobContentType: header.mime, blobContentMD5: digest }, conditions: WRITE_ONCE });
  } catch (error) {
    if (alreadyCopied(error)) return describeCopy(copy);
    throw error;
  }
  return { kind: 'copied', header, md5: digest.toString('base64'), size: bytes.length };
}

/** Large blobs: sniffed with a ranged read first (no copy of what is not an image), then streamed. */
async function copyLarge(upload: BlobClient, copy: BlockBlobClient, listedSize: number): Promise<Copied> {
  if (!(await readImageHeader(blobSource(upload, listedSize)))) return { kind: 'skipped', reason: NOT_AN_IMAGE };
  let copied: { md5: string; size: number };
  try {
    copied = await copyOut(upload, copy);
  } catch (error) {
    if (alreadyCopied(error)) return describeCopy(copy);
    throw error;
  }
  const { md5, size } = copied;
  const header = size > 0 ? await readImageHeader(blobSource(copy, size)) : undefined;
  if (!header) {
    // Rewritten between the sniff and the copy: the copy is what counts, and it is no image.
    await copy.deleteIfExists();
    return { kind: 'skipped', reason: NOT_AN_IMAGE };
  }
  const cut = await truncation(blobSource(copy, size), header.format);
  if (cut) {
    await copy.deleteIfExists();
    return { kind: 'skipped', reason: cut };
  }
  await copy.setHTTPHeaders({ blobContentType: header.mime, blobContentMD5: Buffer.from(md5, 'base64') });
  return { kind: 'copied', header, md5, size };
}

/**
 * Registers one blob as an image, or says why it is not one.
 *
 * The upload is copied into the registered container (`registeredImagesContainer`), out of the
 * upload token's reach, and size, MD5 and header are read from that copy: what is recorded is what
 * is served, whatever the upload container holds later. An image registered before (an earlier
 * delivery, or a finalize before the imageset was reopened) is never copied again.
 */
export async function registerBlob(
  imagesetId: string,
  uploads: ContainerClient,
  registered: ContainerClient,
  blob: BlobItem,
): Promise<Registration> {
  const problem = blobNameProblem(blob.name);
  if (problem) return { kind: 'skipped', reason: problem };
  const listedSize = blob.properties.contentLength ?? 0;
  if (listedSize === 0) return { kind: 'skipped', reason: 'empty blob' };
  const id = imageIdFor(imagesetId, blob.name);
  if (await imageExists(imagesetId, id)) return { kind: 'registered' };
  const upload = uploads.getBlobClient(blob.name);
  const copy = registered.getBlockBlobClient(blob.name);
  const copied = listedSize <= WHOLE_READ_BYTES ? await copySmall(upload, copy) : await copyLarge(upload, copy, listedSize);
  if (copied.kind === 'skipped') return copied;
  const { header, md5, size } = copied;
  // Registered at the size viewers show (EXIF orientation applied): labels are drawn in that frame.
  const shown = displayedSize(header);
  const turned = shown.width !== header.width;
  const record: ImageRecord = {
    id,
    docType: 'image',
    imagesetId,
    blobName: blob.name,
    size,
    contentType: header.mime,
    md5,
    format: header.format,
    width: shown.width,
    height: shown.height,
    ...(header.channels ? { channels: header.channels } : {}),
    ...(header.orientation ? { orientation: header.orientation } : {}),
    ...(turned ? { rawWidth: header.width, rawHeight: header.height } : {}),
    registeredAt: new Date().toISOString(),
  };
  await insertImage(record); // false = registered by a racing delivery of the same batch: same bytes or earlier ones
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
  // Created with the imageset; created here too for imagesets that are older than the copy.
  const registered = blobServiceClient().getContainerClient(registeredImagesContainer(imagesetId));
  await registered.createIfNotExists();
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
      const outcomes = await Promise.all(batch.map((blob) => registerBlob(imagesetId, containerClient, registered, blob)));
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
    { op: 'set', path: '/finalizeFailure', value: null },
  ]);
  return report;
}

async function finalize(imagesetId: string, pageSize: number, initial: FinalizeState | undefined, hooks: Hooks) {
  const stored = await readImageset(imagesetId);
  if (!stored) throw new PermanentJobError(`No imageset with id '${imagesetId}'.`, 'not-found');
  if (stored.doc.status === 'ready') {
    // A redelivery after the work was done: report, change nothing.
    return { imagesetId, ...(stored.doc.finalizeReport ?? { registered: stored.doc.imageCount ?? 0, skippedCount: 0, skipped: [] }) };
  }
  const state = await registerAll(imagesetId, pageSize, initial, hooks);
  return { imagesetId, ...(await markReady(imagesetId, state)) };
}

/** The job handler (kind `imageset.finalize`). */
export const finalizeImagesetJob: JobHandler<'imageset.finalize'> = async (context) => {
  const { imagesetId, pageSize } = context.input;
  const saved = FinalizeState.safeParse(context.state);
  try {
    const result = await finalize(imagesetId, pageSize, saved.success ? saved.data : undefined, {
      saveState: (state) => context.saveState(state),
      progress: (done, total) => context.progress(done, total),
    });
    return { kind: 'done', result };
  } catch (error) {
    // Redeliveries follow a transient failure; the job ends after a permanent one or the last delivery.
    if (error instanceof PermanentJobError || context.isLastDelivery) {
      const failure =
        error instanceof PermanentJobError
          ? { code: error.code, message: error.message }
          : { code: 'failed', message: `Finalize failed on its last delivery: ${error instanceof Error ? error.message : String(error)}` };
      // If this write fails too, the next upload-token or finalize request reopens it (imageset.service).
      await reopenAfterFailedFinalize(imagesetId, context.job.id, failure).catch(() => false);
    }
    throw error;
  }
};

/** Registers an imageset's blobs in this process, without a job (the local seed). */
export async function finalizeImagesetNow(imagesetId: string) {
  return finalize(imagesetId, 100, undefined, { saveState: async () => {}, progress: async () => {} });
}
