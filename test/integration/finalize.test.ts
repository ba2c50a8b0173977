import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { blobServiceClient } from '../../shared/azure/blob';
import { resetSasSigner } from '../../shared/azure/sas';
import type { Principal } from '../../shared/auth/auth.schema';
import { type JobContext, PermanentJobError } from '../../shared/jobs/job.handler';
import type { JobRecord } from '../../shared/jobs/job.schema';
import { processDeadLetter } from '../../shared/jobs/job.worker';
import { finalizeImagesetJob } from '../../shared/labels/finalize.job';
import { FinalizeInput } from '../../shared/labels/job.schema';
import { imagesetContainer, newId, registeredImagesContainer } from '../../shared/labels/ids';
import { listImageRecords } from '../../shared/labels/image.repository';
import type { ImageRecord } from '../../shared/labels/image.schema';
import { createImageset, finalizeImageset, getImagesetRecord, newUploadToken } from '../../shared/labels/imageset.service';
import { generateImages } from '../support/images';
import { captureJobMessages } from '../support/job-queue';

/**
 * The finalize job, called the way the worker calls it, with a JobContext built here: a delivery
 * that crashes half way, then the redelivery, must leave every image registered exactly once.
 */
const owner: Principal = { id: `finalize-test-${newId()}`, kind: 'apiKey', roles: ['contributor'] };
const sent = captureJobMessages();
const images = generateImages(50, 'shot');

beforeAll(() => {
  resetSasSigner();
});

function jobFor(imagesetId: string, pageSize?: number): JobRecord {
  return {
    id: `job-${newId()}`,
    docType: 'job',
    kind: 'imageset.finalize',
    owner: owner.id,
    status: 'running',
    input: { imagesetId, ...(pageSize ? { pageSize } : {}) },
    attempts: 1,
    createdAt: new Date().toISOString(),
    startedAt: new Date().toISOString(),
    heartbeatAt: new Date().toISOString(),
    finishedAt: null,
    cancelAfter: null,
    cancelRequested: false,
    labels: {},
  };
}

/** One delivery's context: checkpoints persist in `store` across deliveries, as the job document does. */
function delivery(
  job: JobRecord,
  store: { state: unknown },
  options: { failProgressAt?: number; failSaveStateCall?: number; cancelAtProgress?: number; lastDelivery?: boolean } = {},
): JobContext<'imageset.finalize'> & { progressCalls: number[] } {
  let saves = 0;
  const progressCalls: number[] = [];
  return {
    job,
    input: FinalizeInput.parse(job.input),
    part: undefined,
    deliveryCount: 1,
    isLastDelivery: options.lastDelivery ?? false,
    state: store.state,
    signal: new AbortController().signal,
    progressCalls,
    async saveState(state) {
      saves++;
      if (options.failSaveStateCall === saves) throw new Error('Cosmos timed out while checkpointing');
      store.state = structuredClone(state);
    },
    async progress(done) {
      progressCalls.push(done);
      if (options.failProgressAt !== undefined && done >= options.failProgressAt) throw new Error(`worker died after ${done} images`);
      // What the worker's progress report throws once the job's owner has asked to cancel it.
      if (options.cancelAtProgress !== undefined && done >= options.cancelAtProgress) throw new PermanentJobError('Canceled while it was running.', 'canceled');
    },
    async enqueuePart() {},
    async completePart() {
      throw new Error('finalize is not a fan-out job');
    },
    async partResult() {
      throw new Error('finalize is not a fan-out job');
    },
    log() {},
  };
}

async function imagesetWithUploads(extra: Record<string, Buffer> = {}): Promise<string> {
  const { imageset } = await createImageset(owner, { title: `finalize ${newId()}`, metadata: {} });
  const containerClient = blobServiceClient().getContainerClient(imagesetContainer(imageset.id));
  await Promise.all(images.map((image) => containerClient.getBlockBlobClient(image.blobName).uploadData(image.bytes)));
  await Promise.all(Object.entries(extra).map(([name, body]) => containerClient.getBlockBlobClient(name).uploadData(body)));
  return imageset.id;
}

async function registered(imagesetId: string): Promise<ImageRecord[]> {
  const all: ImageRecord[] = [];
  let continuation: string | undefined;
  do {
    const page = await listImageRecords(imagesetId, 100, continuation);
    all.push(...page.items);
    continuation = page.continuation;
  } while (continuation);
  return all;
}

describe('finalizeImagesetJob', () => {
  it('survives a crash half way: the redelivery resumes and registers each image exactly once', async () => {
    const imagesetId = await imagesetWithUploads({ 'notes.txt': Buffer.from('not an image'), 'empty.bin': Buffer.alloc(0) });
    const { jobId } = await finalizeImageset(owner, imagesetId);
    expect(sent.some((message) => message.messageId === jobId)).toBe(true);
    expect((await getImagesetRecord(imagesetId)).status).toBe('finalizing');
    await expect(newUploadToken(owner, imagesetId)).rejects.toMatchObject({ status: 409 });

    const job = jobFor(imagesetId, 16);
    const store: { state: unknown } = { state: undefined };
    const first = delivery(job, store, { failProgressAt: 20 });
    await expect(finalizeImagesetJob(first)).rejects.toThrow(/worker died/);
    const afterCrash = await registered(imagesetId);
    expect(afterCrash.length).toBeGreaterThanOrEqual(20);
    expect(afterCrash.length).toBeLessThan(50);
    expect((await getImagesetRecord(imagesetId)).status).toBe('finalizing');

    const second = delivery(job, store);
    const outcome = await finalizeImagesetJob(second);
    expect(outcome).toMatchObject({ kind: 'done', result: { imagesetId, registered: 50, skippedCount: 2 } });
    // It resumed after its checkpoint instead of starting again from the first blob.
    expect(second.progressCalls[0]).toBeGreaterThan(first.progressCalls[first.progressCalls.length - 1] ?? 0);
    expect(second.progressCalls[second.progressCalls.length - 1]).toBe(52);

    const all = await registered(imagesetId);
    expect(all).toHaveLength(50);
    expect(new Set(all.map((image) => image.blobName)).size).toBe(50);
    expect(new Set(all.map((image) => image.id)).size).toBe(50);
    // The images registered before the crash were not registered again.
    for (const before of afterCrash) expect(all.find((image) => image.id === before.id)?.registeredAt).toBe(before.registeredAt);

    const imageset = await getImagesetRecord(imagesetId);
    expect(imageset).toMatchObject({ status: 'ready', imageCount: 50, totalBytes: images.reduce((sum, i) => sum + i.bytes.length, 0) });
    expect(imageset.finalizeReport?.skipped.map((s) => s.blobName).sort()).toEqual(['empty.bin', 'notes.txt']);
    await expect(newUploadToken(owner, imagesetId)).rejects.toMatchObject({ status: 409 });
  });

  it('replays a batch that was registered but not checkpointed without duplicating it', async () => {
    const imagesetId = await imagesetWithUploads();
    const job = jobFor(imagesetId);
    const store: { state: unknown } = { state: undefined };
    // Save 1 is the blob count, save 2 the first batch; save 3 fails after batch 2 is registered.
    await expect(finalizeImagesetJob(delivery(job, store, { failSaveStateCall: 3 }))).rejects.toThrow(/checkpointing/);
    expect((await registered(imagesetId)).length).toBe(20);
    await finalizeImagesetJob(delivery(job, store));
    const all = await registered(imagesetId);
    expect(all).toHaveLength(50);
    expect(new Set(all.map((image) => image.blobName)).size).toBe(50);
  });

  it('registers name, size, content type, MD5 and the dimensions from the header', async () => {
    const imagesetId = await imagesetWithUploads();
    await finalizeImagesetJob(delivery(jobFor(imagesetId), { state: undefined }));
    const all = await registered(imagesetId);
    for (const image of images) {
      const sut = all.find((record) => record.blobName === image.blobName);
      expect(sut, image.blobName).toMatchObject({
        size: image.bytes.length,
        width: image.width,
        height: image.height,
        format: image.format,
        contentType: image.format === 'png' ? 'image/png' : 'image/jpeg',
        md5: createHash('md5').update(image.bytes).digest('base64'),
      });
    }
  });

  it('changes nothing when delivered again after it finished', async () => {
    const imagesetId = await imagesetWithUploads();
    const job = jobFor(imagesetId);
    await finalizeImagesetJob(delivery(job, { state: undefined }));
    const before = await getImagesetRecord(imagesetId);
    const again = await finalizeImagesetJob(delivery(job, { state: undefined }));
    expect(again).toMatchObject({ kind: 'done', result: { registered: 50 } });
    expect(await getImagesetRecord(imagesetId)).toEqual(before);
    expect(await registered(imagesetId)).toHaveLength(50);
  });

  it('gives a finalize canceled half way back to its owner: open again, the images so far registered, the next finalize does the rest', async () => {
    const imagesetId = await imagesetWithUploads();
    const { jobId } = await finalizeImageset(owner, imagesetId);
    const job = { ...jobFor(imagesetId, 10), id: jobId };
    const store: { state: unknown } = { state: undefined };
    await expect(finalizeImagesetJob(delivery(job, store, { cancelAtProgress: 20 }))).rejects.toMatchObject({ code: 'canceled' });
    const reopened = await getImagesetRecord(imagesetId);
    expect(reopened.status).toBe('open');
    const soFar = (await registered(imagesetId)).length;
    expect(soFar).toBeGreaterThanOrEqual(20);
    expect(soFar).toBeLessThan(images.length);
    const again = await finalizeImageset(owner, imagesetId);
    expect(again.jobId).not.toBe(jobId);
    await finalizeImagesetJob(delivery({ ...jobFor(imagesetId, 10), id: again.jobId }, { state: undefined }));
    expect((await getImagesetRecord(imagesetId)).status).toBe('ready');
    expect(new Set((await registered(imagesetId)).map((image) => image.blobName)).size).toBe(images.length);
  });

  it('gives a finalize that fails on its last delivery back to its owner: open with the reason, a new token, a new finalize', async () => {
    const imagesetId = await imagesetWithUploads();
    const { jobId } = await finalizeImageset(owner, imagesetId);
    const job = { ...jobFor(imagesetId, 10), id: jobId };
    await expect(finalizeImagesetJob(delivery(job, { state: undefined }, { failProgressAt: 10, lastDelivery: true }))).rejects.toThrow(/worker died/);
    const reopened = await getImagesetRecord(imagesetId);
    expect(reopened.status).toBe('open');
    expect(reopened.finalizeFailure).toMatchObject({ jobId, code: 'failed', message: expect.stringMatching(/worker died/) });
    await expect(newUploadToken(owner, imagesetId)).resolves.toMatchObject({ permissions: 'cw' });

    const again = await finalizeImageset(owner, imagesetId);
    expect(again.jobId).not.toBe(jobId);
    await finalizeImagesetJob(delivery({ ...jobFor(imagesetId), id: again.jobId }, { state: undefined }));
    expect(await getImagesetRecord(imagesetId)).toMatchObject({ status: 'ready', imageCount: images.length, finalizeFailure: null });
  });

  it('reopens an imageset whose finalize job was dead-lettered, with the reason, on the next request', async () => {
    const imagesetId = await imagesetWithUploads();
    const { jobId } = await finalizeImageset(owner, imagesetId);
    // The handler never saw its end: the message went to the dead-letter queue.
    await processDeadLetter({ jobId, kind: 'imageset.finalize' }, 'MaxDeliveryCountExceeded');
    await expect(newUploadToken(owner, imagesetId)).resolves.toMatchObject({ permissions: 'cw' });
    expect(await getImagesetRecord(imagesetId)).toMatchObject({
      status: 'open',
      finalizeFailure: { jobId, code: 'dead-lettered', message: expect.stringMatching(/MaxDeliveryCountExceeded/) },
    });
  });

  it('registers a copy left by a delivery that crashed before registering it, never writing over it', async () => {
    const imagesetId = await imagesetWithUploads();
    const [first] = images;
    // What the crashed delivery copied; the upload has been rewritten since.
    const copied = images[2]!.bytes;
    await blobServiceClient().getContainerClient(registeredImagesContainer(imagesetId)).getBlockBlobClient(first!.blobName).uploadData(copied);
    await finalizeImagesetJob(delivery(jobFor(imagesetId), { state: undefined }));
    const sut = (await registered(imagesetId)).find((image) => image.blobName === first!.blobName);
    expect(sut).toMatchObject({ md5: createHash('md5').update(copied).digest('base64'), width: images[2]!.width, height: images[2]!.height });
  });

  it('fails permanently for an imageset that does not exist', async () => {
    await expect(finalizeImagesetJob(delivery(jobFor(newId()), { state: undefined }))).rejects.toBeInstanceOf(PermanentJobError);
  });
});
