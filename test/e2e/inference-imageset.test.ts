import { beforeAll, describe, expect, it } from 'vitest';
import { call, expectProblem, keyWithRoles } from '../support/api';
import { jpegImage, rgbPng } from '../support/images';
import { grantAccess, IRIS, submit, submitted } from './inference-support';
import { newImageset, readyImageset } from '../support/fixtures';
import { waitForJob } from '../support/jobs';

/** Model-assisted labelling: an imageset job fans out into batches and writes predictions (source `model`). */
const MODEL = 'salient-region';

interface Box {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** An RGB PNG: a plain background with one filled rectangle [x0, x1) × [y0, y1). */
function pngWithBox(width: number, height: number, background: [number, number, number], box: Box, colour: [number, number, number]): Buffer {
  return rgbPng(width, height, (x, y) => (x >= box.x0 && x < box.x1 && y >= box.y0 && y < box.y1 ? colour : background));
}

interface Uploaded {
  blobName: string;
  box?: Box;
}

let owner = '';
let imagesetId = '';
const uploaded: Uploaded[] = [];

beforeAll(async () => {
  owner = await keyWithRoles(['contributor']);
  const images: { name: string; bytes: Buffer }[] = [];
  for (let i = 0; i < 11; i++) {
    const box = { x0: 4 + i, y0: 6 + (i % 3), x1: 24 + i, y1: 20 + (i % 3) };
    const blobName = `shot-${String(i).padStart(2, '0')}.png`;
    images.push({ name: blobName, bytes: pngWithBox(48, 32, [250, 250, 250], box, [220, 20, 30]) });
    uploaded.push({ blobName, box });
  }
  images.push({ name: 'photo.jpg', bytes: jpegImage(40, 24, 1) });
  uploaded.push({ blobName: 'photo.jpg' });
  ({ imagesetId } = await readyImageset(owner, images));
  await grantAccess(MODEL, owner);
});

describe('POST /api/v1/models/{id}/jobs with an imagesetId', () => {
  it('runs the model on every image in batches and writes its predictions into the label store with source model', async () => {
    const sut = await submitted(MODEL, owner, { imagesetId });
    const job = await waitForJob(sut.id, owner);
    expect(job).toMatchObject({ status: 'succeeded', progress: { done: 12, total: 12 }, labels: { modelId: MODEL, imagesetId } });
    expect(job.result).toMatchObject({ imagesetId, model: { id: MODEL, version: sut.model.version }, images: 12, predictions: 11 });
    const skipped = (job.result as { skipped: { imageId: string; reason: string }[] }).skipped;
    expect(skipped).toHaveLength(1);
    expect(skipped[0]?.reason).toContain('not a PNG');

    const images = await call<{ items: { id: string; blobName: string }[] }>('GET', `/v1/imagesets/${imagesetId}/images?limit=100`, { key: owner });
    expect(images.body.items).toHaveLength(12);
    for (const image of images.body.items) {
      const labels = await call<{ predictions: Record<string, unknown>[] }>('GET', `/v1/images/${encodeURIComponent(image.id)}/labels?source=model`, { key: owner });
      expect(labels.status, labels.text).toBe(200);
      const box = uploaded.find((u) => u.blobName === image.blobName)?.box;
      if (!box) {
        expect(labels.body.predictions).toEqual([]);
        continue;
      }
      expect(labels.body.predictions).toHaveLength(1);
      expect(labels.body.predictions[0]).toMatchObject({
        label: 'red',
        source: 'model',
        model: { id: MODEL, version: sut.model.version },
        xMin: box.x0,
        yMin: box.y0,
        xMax: box.x1,
        yMax: box.y1,
        confidence: 1,
      });
    }
  });

  it('rewrites the same predictions when run again (no duplicates)', async () => {
    const job = await waitForJob((await submitted(MODEL, owner, { imagesetId })).id, owner);
    expect(job.status).toBe('succeeded');
    const images = await call<{ items: { id: string; blobName: string }[] }>('GET', `/v1/imagesets/${imagesetId}/images?limit=1`, { key: owner });
    const labels = await call<{ predictions: unknown[] }>('GET', `/v1/images/${encodeURIComponent(images.body.items[0]?.id ?? '')}/labels?source=model`, { key: owner });
    expect(labels.body.predictions.length).toBeLessThanOrEqual(1);
  });

  it('refuses callers who may not write into the imageset, models that take no images, and imagesets not ready', async () => {
    const stranger = await keyWithRoles(['contributor']);
    await grantAccess(MODEL, stranger);
    expectProblem(await submit(MODEL, stranger, { imagesetId }), 403);
    await grantAccess(IRIS, owner);
    expectProblem(await submit(IRIS, owner, { imagesetId }), 422);
    expectProblem(await submit(MODEL, owner, { input: { imageUrl: 'https://example.com/a.png' } }), 422);
    expectProblem(await submit(MODEL, owner, { imagesetId: 'ffffffffffffffff' }), 404);
    const open = await newImageset(owner);
    expectProblem(await submit(MODEL, owner, { imagesetId: open.id }), 409);
  });
});
