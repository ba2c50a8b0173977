import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTar } from '../../shared/labels/tar';
import { baseUrl, call, expectProblem, keyWithRoles } from '../support/api';
import { type GeneratedImage, generateImages, writeImageFolder } from '../support/images';
import type { Image } from '../../shared/labels/image.schema';
import { addLabeller, newImageset } from '../support/fixtures';
import { waitForJob } from '../support/jobs';
import type { Campaign } from '../../shared/labels/campaign.schema';
import type { Label } from '../../shared/labels/label.schema';

/**
 * The whole label store over HTTP: an imageset uploaded with the CLI, finalized by a job, labelled in
 * a campaign by labeller keys (with model pre-annotations), completed, finished, and exported as COCO,
 * YOLO and Pascal VOC that agree with each other.
 */
const run = promisify(execFile);
// The npx entry point (bin/upload.js → the compiled CLI in dist/).
const CLI = path.resolve(__dirname, '../../bin/upload.js');
const VOCABULARY = ['bottle', 'net', 'cap'];
const TRANSLATIONS = { fles: 'bottle', Netz: 'net', dop: 'cap' };

interface Box {
  path: string;
  category: string;
  xMin: number;
  yMin: number;
  xMax: number;
  yMax: number;
}

/** A deterministic box inside the image for image number `i` (whole pixels, so every format is exact). */
function boxFor(image: Image, i: number, label: string) {
  const xMin = i % 5;
  const yMin = (i * 3) % 7;
  return { label, xMin, yMin, xMax: Math.min(image.width, xMin + 10 + (i % 9)), yMax: Math.min(image.height, yMin + 8 + (i % 4)) };
}

const generated: GeneratedImage[] = generateImages(50, 'beach');
let folder = '';
let alice = '';
let bob = '';
let reader = '';
let imagesetId = '';
let images: Image[] = [];
let campaignA: Campaign;
let campaignB: Campaign;
let labellerA = '';
let labellerA2 = '';
let labellerB = '';

beforeAll(async () => {
  alice = await keyWithRoles(['contributor']);
  bob = await keyWithRoles(['contributor']);
  reader = await keyWithRoles(['reader']);
  folder = await writeImageFolder(generated, { 'notes.txt': 'field notes, not an image' });
});

afterAll(async () => {
  if (folder) await rm(folder, { recursive: true, force: true });
});

describe('an imageset uploaded with the CLI and finalized', () => {
  it('uploads 50 images with only the SAS token, and skips them on a rerun', async () => {
    imagesetId = (await newImageset(alice, { title: `beach ${Date.now()}` })).id;
    const args = [CLI, folder, '--imageset', imagesetId, '--api', baseUrl(), '--key', alice, '--all', '--concurrency', '6', '--block-size', '0.01'];
    const first = await run(process.execPath, args);
    expect(first.stdout).toMatch(/Uploaded 51 file\(s\), skipped 0 already uploaded, 0 failed/);
    const again = await run(process.execPath, args);
    expect(again.stdout).toMatch(/Uploaded 0 file\(s\), skipped 51 already uploaded, 0 failed/);
  });

  it('names the files it leaves out, prints no rate for a run that sent nothing, and waits for finalize with --wait', async () => {
    const created = await newImageset(alice, { title: `cli ${Date.now()}` });
    const args = [CLI, folder, '--imageset', created.id, '--api', baseUrl(), '--key', alice, '--state', path.join(folder, '.cli-state.json')];
    const sut = await run(process.execPath, [...args, '--finalize', '--wait']);
    expect(sut.stdout).toMatch(/Left out 1 file\(s\) that are not images \(--all uploads them\): notes\.txt/);
    expect(sut.stdout).toMatch(/Finalized: 50 image\(s\) registered, 0 skipped/);
    const imageset = await call<{ status: string }>('GET', `/v1/imagesets/${created.id}`, { key: alice });
    expect(imageset.body.status).toBe('ready');
    // Everything is in the manifest for this container: nothing is sent (the token is never used).
    const again = await run(process.execPath, [CLI, folder, '--sas', created.uploadToken.url, '--state', path.join(folder, '.cli-state.json'), '--quiet']);
    expect(again.stdout).toMatch(/Uploaded 0 file\(s\), skipped 50 already uploaded, 0 failed\b/);
    expect(again.stdout).not.toMatch(/\/s\b/);
  });

  it('refuses bad usage with exit code 2', async () => {
    await expect(run(process.execPath, [CLI, folder])).rejects.toMatchObject({ code: 2 });
    await expect(run(process.execPath, [CLI, folder, '--sas', 'http://127.0.0.1:1/x?sv=1', '--imageset', imagesetId])).rejects.toMatchObject({
      code: 2,
    });
  });

  it('finalizes through a job, registering the images and reporting the text file', async () => {
    const response = await call<{ jobId: string }>('POST', `/v1/imagesets/${imagesetId}/finalize`, { key: alice });
    expect(response.status).toBe(202);
    const job = await waitForJob(response.headers.get('location') ?? '', alice);
    expect(job).toMatchObject({ status: 'succeeded', progress: { done: 51, total: 51 }, result: { registered: 50, skippedCount: 1 } });
    const page = await call<{ items: Image[] }>('GET', `/v1/imagesets/${imagesetId}/images?limit=100`, { key: reader });
    images = page.body.items;
    expect(images).toHaveLength(50);
    for (const image of generated) {
      // The 20 KB JPEGs went up in 10 KB blocks: their MD5 comes from the block list's x-ms-blob-content-md5.
      expect(images.find((item) => item.blobName === image.blobName)).toMatchObject({
        size: image.bytes.length,
        width: image.width,
        height: image.height,
        md5: createHash('md5').update(image.bytes).digest('base64'),
      });
    }
  });
});

describe('campaigns', () => {
  it('are created with a vocabulary and translations, and move only along their lifecycle', async () => {
    const body = { title: 'Beach litter', imagesetIds: [imagesetId], labels: VOCABULARY, labelTranslations: TRANSLATIONS };
    const created = await call<Campaign>('POST', '/v1/campaigns', { key: alice, body });
    expect(created.status, created.text).toBe(201);
    campaignA = created.body;
    expect(campaignA).toMatchObject({ status: 'created', progress: { labelled: 0, total: 50 } });
    const second = await call<Campaign>('POST', '/v1/campaigns', { key: alice, body: { ...body, title: 'Second opinion' } });
    campaignB = second.body;

    const wrong = expectProblem(await call('POST', `/v1/campaigns/${campaignA.id}/status`, { key: alice, body: { status: 'completed' } }), 409);
    expect(wrong.detail).toContain("'created'");
    expect(wrong.detail).toContain("'completed'");
    for (const campaign of [campaignA, campaignB]) {
      const active = await call<Campaign>('POST', `/v1/campaigns/${campaign.id}/status`, { key: alice, body: { status: 'active' } });
      expect(active.status).toBe(200);
      expect(active.body.status).toBe('active');
    }
  });

  it('can be renamed (honouring If-Match), but not given new labels once active (409)', async () => {
    const current = await call<Campaign>('GET', `/v1/campaigns/${campaignB.id}`, { key: alice });
    const etag = current.headers.get('etag') ?? '';
    const renamed = await call<Campaign & { title: string }>('PATCH', `/v1/campaigns/${campaignB.id}`, {
      key: alice,
      body: { title: 'Second opinion (v2)', labelTranslations: { ...TRANSLATIONS, kapje: 'cap' } },
      headers: { 'If-Match': etag },
    });
    expect(renamed.status, renamed.text).toBe(200);
    expect(renamed.body.title).toBe('Second opinion (v2)');
    expectProblem(await call('PATCH', `/v1/campaigns/${campaignB.id}`, { key: alice, body: { title: 'stale' }, headers: { 'If-Match': etag } }), 412);
    expectProblem(await call('PATCH', `/v1/campaigns/${campaignB.id}`, { key: alice, body: { labels: ['tyre'] } }), 409);
  });

  it('refuse a translation to a label outside the vocabulary, unknown fields and unknown imagesets (400)', async () => {
    const body = { title: 'x', imagesetIds: [imagesetId], labels: VOCABULARY };
    expectProblem(await call('POST', '/v1/campaigns', { key: alice, body: { ...body, labelTranslations: { tyre: 'tire' } } }), 400);
    expectProblem(await call('POST', '/v1/campaigns', { key: alice, body: { ...body, colour: 'red' } }), 400);
    expectProblem(await call('POST', '/v1/campaigns', { key: alice, body: { ...body, imagesetIds: ['0123456789abcdef'] } }), 400);
  });

  it("cannot be managed by contributor B (403)", async () => {
    expectProblem(await call('PATCH', `/v1/campaigns/${campaignA.id}`, { key: bob, body: { title: 'mine now' } }), 403);
    expectProblem(await call('POST', `/v1/campaigns/${campaignA.id}/status`, { key: bob, body: { status: 'completed' } }), 403);
    expectProblem(await call('POST', `/v1/campaigns/${campaignA.id}/labellers`, { key: bob, body: { name: 'mallory' } }), 403);
    expectProblem(await call('PUT', `/v1/campaigns/${campaignA.id}/images/${images[0]?.id}/labels`, { key: bob, body: { labels: [] } }), 403);
  });

  it('issue labellers keys with the labeller role, scoped to the campaign', async () => {
    const added = await call<{ key: string; labeller: { keyId: string } }>('POST', `/v1/campaigns/${campaignA.id}/labellers`, {
      key: alice,
      body: { name: 'Ann' },
    });
    expect(added.status, added.text).toBe(201);
    labellerA = added.body.key;
    const key = await call<{ roles: string[]; scope: { campaignId: string } }>('GET', `/v1/api-keys/${added.body.labeller.keyId}`, {
      key: (await keyWithRoles(['admin'])),
    });
    expect(key.body).toMatchObject({ roles: ['labeller'], scope: { campaignId: campaignA.id } });
    labellerA2 = await addLabeller(alice, campaignA.id, 'Ben');
    labellerB = await addLabeller(alice, campaignB.id, 'Cy');
  });
});

describe('a labeller of campaign A', () => {
  it('reads campaign A and its images', async () => {
    const campaign = await call<Campaign>('GET', `/v1/campaigns/${campaignA.id}`, { key: labellerA });
    expect(campaign.status).toBe(200);
    const page = await call<{ items: (Image & { url: string; labelled: boolean })[]; nextCursor: string | null }>(
      'GET',
      `/v1/campaigns/${campaignA.id}/images?limit=30`,
      { key: labellerA },
    );
    expect(page.status).toBe(200);
    expect(page.body.items).toHaveLength(30);
    expect(page.body.items.every((item) => !item.labelled && item.url.includes('sp=r'))).toBe(true);
    const rest = await call<{ items: Image[] }>('GET', `/v1/campaigns/${campaignA.id}/images?limit=30&cursor=${page.body.nextCursor}`, { key: labellerA });
    expect(rest.body.items).toHaveLength(20);
    const content = await call('GET', `/v1/campaigns/${campaignA.id}/images/${images[0]?.id}/content`, { key: labellerA });
    expect(content.status).toBe(303);
  });

  it('cannot read or write campaign B (403)', async () => {
    expectProblem(await call('GET', `/v1/campaigns/${campaignB.id}`, { key: labellerA }), 403);
    expectProblem(await call('GET', `/v1/campaigns/${campaignB.id}/images`, { key: labellerA }), 403);
    expectProblem(await call('PUT', `/v1/campaigns/${campaignB.id}/images/${images[0]?.id}/labels`, { key: labellerA, body: { labels: [] } }), 403);
    expectProblem(await call('POST', `/v1/campaigns/${campaignB.id}/labels/bulk`, { key: labellerA, body: { labels: [{ imageId: images[0]?.id, ...boxFor(images[0] as Image, 0, 'net') }] } }), 403);
    expectProblem(await call('GET', `/v1/images/${images[0]?.id}/labels?campaign=${campaignB.id}`, { key: labellerA }), 403);
  });

  it('can do nothing outside its campaign: imagesets, other images, campaign lists, exports (403)', async () => {
    expectProblem(await call('GET', '/v1/imagesets', { key: labellerA }), 403);
    expectProblem(await call('GET', `/v1/imagesets/${imagesetId}/images`, { key: labellerA }), 403);
    expectProblem(await call('GET', '/v1/campaigns', { key: labellerA }), 403);
    expectProblem(await call('POST', `/v1/campaigns/${campaignA.id}/status`, { key: labellerA, body: { status: 'completed' } }), 403);
    expectProblem(await call('POST', `/v1/campaigns/${campaignA.id}/exports`, { key: labellerA, body: { format: 'coco' } }), 403);
  });
});

describe('model predictions', () => {
  it('are stored apart, shown least confident first, and become labels only when accepted or edited', async () => {
    const image = images[0] as Image;
    const stored = await call<{ predictions: Label[] }>('PUT', `/v1/imagesets/${imagesetId}/images/${image.id}/predictions`, {
      key: alice,
      body: {
        model: { id: 'litter-detr', version: '3' },
        predictions: [
          { label: 'fles', confidence: 0.91, xMin: 1, yMin: 1, xMax: 9, yMax: 9 },
          { label: 'Netz', confidence: 0.34, xMin: 2, yMin: 3, xMax: 12, yMax: 13 },
        ],
      },
    });
    expect(stored.status, stored.text).toBe(200);
    expectProblem(await call('PUT', `/v1/imagesets/${imagesetId}/images/${image.id}/predictions`, { key: bob, body: { model: { id: 'm', version: '1' }, predictions: [] } }), 403);
    const outside = expectProblem(
      await call('PUT', `/v1/imagesets/${imagesetId}/images/${image.id}/predictions`, {
        key: alice,
        body: { model: { id: 'm', version: '1' }, predictions: [{ label: 'x', confidence: 0.5, xMin: 0, yMin: 0, xMax: image.width + 1, yMax: 5 }] },
      }),
      400,
    );
    expect(outside.errors).toEqual([{ pointer: '/body/predictions/0/xMax', message: expect.stringContaining('image width') }]);

    const predictions = await call<{ items: Label[] }>('GET', `/v1/campaigns/${campaignA.id}/images/${image.id}/predictions`, { key: labellerA });
    expect(predictions.body.items.map((p) => [p.confidence, p.labelTranslated, p.source])).toEqual([
      [0.34, 'net', 'model'],
      [0.91, 'bottle', 'model'],
    ]);
    const queue = await call<{ items: { imageId: string; minConfidence: number }[] }>('GET', `/v1/campaigns/${campaignA.id}/review-queue`, { key: labellerA });
    expect(queue.body.items[0]).toMatchObject({ imageId: image.id, minConfidence: 0.34 });
    const before = await call<{ labels: Label[] }>('GET', `/v1/images/${image.id}/labels`, { key: labellerA });
    expect(before.body.labels).toEqual([]);

    const [unsure, sure] = predictions.body.items as [Label, Label];
    const written = await call<{ labels: Label[] }>('PUT', `/v1/campaigns/${campaignA.id}/images/${image.id}/labels`, {
      key: labellerA,
      body: {
        labels: [
          { label: sure.label, xMin: sure.xMin, yMin: sure.yMin, xMax: sure.xMax, yMax: sure.yMax, predictionId: sure.id },
          { label: 'Netz', xMin: 2, yMin: 3, xMax: 14, yMax: 13, predictionId: unsure.id },
        ],
      },
    });
    expect(written.status, written.text).toBe(200);
    expect(written.body.labels.map((l) => [l.source, l.labelTranslated, l.fromPrediction?.edited])).toEqual([
      ['human', 'bottle', false],
      ['human', 'net', true],
    ]);
    const both = await call<{ labels: Label[]; predictions: Label[] }>('GET', `/v1/images/${image.id}/labels?source=all`, { key: labellerA });
    expect(both.body.labels).toHaveLength(2);
    expect(both.body.predictions).toHaveLength(2);
  });
});

describe('labelling', () => {
  it('validates boxes against the image size, labels against the vocabulary, and bodies strictly (400)', async () => {
    const image = images[1] as Image;
    const url = `/v1/campaigns/${campaignA.id}/images/${image.id}/labels`;
    const outside = expectProblem(await call('PUT', url, { key: labellerA, body: { labels: [{ label: 'cap', xMin: 0, yMin: 0, xMax: image.width + 1, yMax: 2 }] } }), 400);
    expect(JSON.stringify(outside.errors)).toContain('/body/labels/0/xMax');
    expectProblem(await call('PUT', url, { key: labellerA, body: { labels: [{ label: 'tyre', xMin: 0, yMin: 0, xMax: 2, yMax: 2 }] } }), 400);
    expectProblem(await call('PUT', url, { key: labellerA, body: { labels: [{ label: 'cap', xMin: 5, yMin: 0, xMax: 2, yMax: 2 }] } }), 400);
    expectProblem(await call('PUT', url, { key: labellerA, body: { labels: [{ label: 'cap', xMin: 0, yMin: 0, xMax: 2, yMax: 2, confidence: 2 }] } }), 400);
    expectProblem(await call('PUT', url, { key: labellerA, body: { labels: [{ label: 'cap', xMin: 0, yMin: 0, xMax: 2, yMax: 2, source: 'model' }] } }), 400);
    expectProblem(await call('PUT', url, { key: labellerA, body: { labels: [], extra: true } }), 400);
    expectProblem(await call('PUT', `/v1/campaigns/${campaignA.id}/images/${'f'.repeat(16)}~${'0'.repeat(20)}/labels`, { key: labellerA, body: { labels: [] } }), 404);
    const progress = await call<Campaign>('GET', `/v1/campaigns/${campaignA.id}`, { key: labellerA });
    expect(progress.body.progress).toEqual({ labelled: 1, total: 50 });
  });

  it('adds single labels and replaces an image’s labels, honouring If-Match', async () => {
    const image = images[1] as Image;
    const added = await call<Label>('POST', `/v1/campaigns/${campaignA.id}/images/${image.id}/labels`, {
      key: labellerA2,
      body: { ...boxFor(image, 1, 'dop'), confidence: 0.8 },
    });
    expect(added.status, added.text).toBe(201);
    expect(added.body).toMatchObject({ label: 'dop', labelTranslated: 'cap', confidence: 0.8, source: 'human' });
    const etag = added.headers.get('etag') ?? '';
    const replaced = await call<{ labels: Label[] }>('PUT', `/v1/campaigns/${campaignA.id}/images/${image.id}/labels`, {
      key: labellerA,
      body: { labels: [boxFor(image, 1, 'cap')] },
      headers: { 'If-Match': etag },
    });
    expect(replaced.status, replaced.text).toBe(200);
    expect(replaced.body.labels).toHaveLength(1);
    expectProblem(
      await call('PUT', `/v1/campaigns/${campaignA.id}/images/${image.id}/labels`, { key: labellerA, body: { labels: [] }, headers: { 'If-Match': etag } }),
      412,
    );
  });

  it('bulk-ingests the rest in one request, and the campaign completes when every image is labelled', async () => {
    const rest = images.slice(2);
    const labels = rest.flatMap((image, i) => [
      { imageId: image.id, ...boxFor(image, i + 2, i % 2 ? 'fles' : 'net') },
      ...(i % 3 === 0 ? [{ imageId: image.id, ...boxFor(image, i + 5, 'cap'), confidence: 0.6 }] : []),
    ]);
    const bad = [...labels, { imageId: rest[0]?.id, label: 'cap', xMin: 0, yMin: 0, xMax: 100_000, yMax: 1 }];
    expectProblem(await call('POST', `/v1/campaigns/${campaignA.id}/labels/bulk`, { key: labellerA, body: { labels: bad } }), 400);
    const unchanged = await call<Campaign>('GET', `/v1/campaigns/${campaignA.id}`, { key: labellerA });
    expect(unchanged.body.progress).toEqual({ labelled: 2, total: 50 });

    const sut = await call<{ images: number; labels: number; failed: unknown[]; campaignStatus: string }>(
      'POST',
      `/v1/campaigns/${campaignA.id}/labels/bulk`,
      { key: labellerA, body: { labels } },
    );
    expect(sut.status, sut.text).toBe(200);
    expect(sut.body).toEqual({ images: 48, labels: labels.length, failed: [], campaignStatus: 'completed' });
    const campaign = await call<Campaign>('GET', `/v1/campaigns/${campaignA.id}`, { key: alice });
    expect(campaign.body).toMatchObject({ status: 'completed', progress: { labelled: 50, total: 50 }, completedAt: expect.any(String) });
    expectProblem(await call('PUT', `/v1/campaigns/${campaignA.id}/images/${images[3]?.id}/labels`, { key: labellerA, body: { labels: [] } }), 409);
  });

  it('lets campaign B label the same image differently', async () => {
    const image = images[0] as Image;
    const sut = await call('PUT', `/v1/campaigns/${campaignB.id}/images/${image.id}/labels`, { key: labellerB, body: { labels: [boxFor(image, 9, 'cap')] } });
    expect(sut.status, sut.text).toBe(200);
  });
});

describe('finishing and exporting', () => {
  let exports: { format: string; url: string; images: number; annotations: number }[] = [];

  it('reopens, finishes, and exports every format in a labels.export job', async () => {
    const reopened = await call<Campaign>('POST', `/v1/campaigns/${campaignA.id}/status`, { key: alice, body: { status: 'active' } });
    expect(reopened.body.status).toBe('active');
    const finished = await call<Campaign>('POST', `/v1/campaigns/${campaignA.id}/status`, { key: alice, body: { status: 'finished' } });
    expect(finished.status, finished.text).toBe(200);
    expect(finished.body).toMatchObject({ status: 'finished', finishedAt: expect.any(String), exportJobId: expect.any(String) });
    const again = expectProblem(await call('POST', `/v1/campaigns/${campaignA.id}/status`, { key: alice, body: { status: 'active' } }), 409);
    expect(again).toMatchObject({ from: 'finished', to: 'active' });
    const job = await waitForJob(`/api/v1/jobs/${finished.body.exportJobId}`, alice);
    expect(job.status).toBe('succeeded');
    const listed = await call<{ items: typeof exports }>('GET', `/v1/campaigns/${campaignA.id}/exports`, { key: reader });
    exports = listed.body.items;
    expect(exports.map((e) => e.format).sort()).toEqual(['azureml', 'coco', 'voc', 'yolo']);
    expect(exports.every((e) => e.images === 50)).toBe(true);
  });

  it('exports on demand: inline with a read link, or as a job', async () => {
    const inline = await call<{ format: string; url: string }>('POST', `/v1/campaigns/${campaignA.id}/exports`, { key: reader, body: { format: 'coco' } });
    expect(inline.status, inline.text).toBe(201);
    expect((await fetch(inline.body.url)).status).toBe(200);
    const queued = await call<{ jobId: string }>('POST', `/v1/campaigns/${campaignA.id}/exports`, { key: alice, body: { format: 'voc', mode: 'job' } });
    expect(queued.status).toBe(202);
    expect((await waitForJob(queued.headers.get('location') ?? '', alice)).status).toBe('succeeded');
    expectProblem(await call('POST', `/v1/campaigns/${campaignA.id}/exports`, { key: alice, body: { format: 'csv' } }), 400);
  });

  it('writes COCO, YOLO and VOC with consistent structure, boxes inside images, and the same boxes', async () => {
    const download = async (format: string) => {
      const found = exports.find((e) => e.format === format);
      const response = await fetch(found?.url ?? '');
      expect(response.status).toBe(200);
      return Buffer.from(await response.arrayBuffer());
    };
    const sizes = new Map(images.map((image) => [`${imagesetId}/${image.blobName}`, image]));

    // COCO
    const coco = JSON.parse((await download('coco')).toString()) as {
      images: { id: number; file_name: string; width: number; height: number }[];
      annotations: { image_id: number; category_id: number; bbox: [number, number, number, number] }[];
      categories: { id: number; name: string }[];
    };
    expect(coco.categories.map((c) => c.name)).toEqual(VOCABULARY);
    expect(coco.images).toHaveLength(50);
    const cocoImages = new Map(coco.images.map((image) => [image.id, image]));
    const cocoCategories = new Map(coco.categories.map((category) => [category.id, category.name]));
    const cocoBoxes: Box[] = coco.annotations.map((a) => {
      const image = cocoImages.get(a.image_id);
      const category = cocoCategories.get(a.category_id);
      expect(image, `annotation image ${a.image_id}`).toBeDefined();
      expect(category, `annotation category ${a.category_id}`).toBeDefined();
      const [x, y, w, h] = a.bbox;
      expect(x >= 0 && y >= 0 && w > 0 && h > 0 && x + w <= (image?.width ?? 0) && y + h <= (image?.height ?? 0)).toBe(true);
      expect(sizes.get(image?.file_name ?? '')).toMatchObject({ width: image?.width, height: image?.height });
      return { path: image?.file_name ?? '', category: category ?? '', xMin: x, yMin: y, xMax: x + w, yMax: y + h };
    });

    // YOLO
    const yolo = readTar(await download('yolo'));
    const classes = yolo.get('classes.txt')?.toString().trim().split('\n');
    expect(classes).toEqual(VOCABULARY);
    // images.txt: where each image goes (under images/) and its source; Ultralytics finds the label
    // file by swapping the last /images/ for /labels/ and the extension for .txt.
    const index = new Map(
      (yolo.get('images.txt')?.toString().trim().split('\n') ?? []).map((line) => line.split('\t') as [string, string]),
    );
    expect(index.size).toBe(50);
    const yoloBoxes: Box[] = [];
    for (const [placed, imagePath] of index) {
      const image = sizes.get(imagePath);
      expect(image, imagePath).toBeDefined();
      const file = `labels/${placed.replace(/^images\//, '').replace(/\.[^./]+$/, '')}.txt`;
      const content = yolo.get(file);
      expect(content, file).toBeDefined();
      for (const line of content?.toString().trim().split('\n').filter(Boolean) ?? []) {
        const [cls, cx, cy, w, h] = line.split(' ').map(Number) as [number, number, number, number, number];
        expect(classes?.[cls]).toBeDefined();
        for (const value of [cx, cy, w, h]) expect(value >= 0 && value <= 1).toBe(true);
        const width = image?.width ?? 0;
        const height = image?.height ?? 0;
        yoloBoxes.push({
          path: imagePath,
          category: classes?.[cls] ?? '',
          xMin: (cx - w / 2) * width,
          yMin: (cy - h / 2) * height,
          xMax: (cx + w / 2) * width,
          yMax: (cy + h / 2) * height,
        });
      }
    }

    // Pascal VOC
    const voc = readTar(await download('voc'));
    const xmls = [...voc.entries()].filter(([name]) => name.startsWith('Annotations/'));
    expect(xmls).toHaveLength(50);
    const vocBoxes: Box[] = [];
    const tag = (xml: string, name: string) => Number(new RegExp(`<${name}>([^<]+)</${name}>`).exec(xml)?.[1]);
    for (const [, content] of xmls) {
      const xml = content.toString();
      const imagePath = /<path>([^<]+)<\/path>/.exec(xml)?.[1] ?? '';
      const image = sizes.get(imagePath);
      expect(image, imagePath).toBeDefined();
      expect(tag(xml, 'width')).toBe(image?.width);
      expect(tag(xml, 'height')).toBe(image?.height);
      for (const object of xml.split('<object>').slice(1)) {
        const category = /<name>([^<]+)<\/name>/.exec(object)?.[1] ?? '';
        expect(VOCABULARY).toContain(category);
        // VOC numbers pixels from 1, inclusive: [xmin - 1, xmax] is the box in our 0-based frame.
        const box = { path: imagePath, category, xMin: tag(object, 'xmin') - 1, yMin: tag(object, 'ymin') - 1, xMax: tag(object, 'xmax'), yMax: tag(object, 'ymax') };
        expect(box.xMin >= 0 && box.yMin >= 0 && box.xMax <= (image?.width ?? 0) && box.yMax <= (image?.height ?? 0)).toBe(true);
        vocBoxes.push(box);
      }
    }

    // The three agree on the same boxes (YOLO's normalised values to within a hundredth of a pixel).
    const canonical = (boxes: Box[]) =>
      boxes
        .map((b) => `${b.path}|${b.category}|${[b.xMin, b.yMin, b.xMax, b.yMax].map((v) => (Math.round(v * 100) / 100).toFixed(2)).join(',')}`)
        .sort();
    expect(cocoBoxes.length).toBeGreaterThan(50);
    expect(canonical(yoloBoxes)).toEqual(canonical(cocoBoxes));
    expect(canonical(vocBoxes)).toEqual(canonical(cocoBoxes));
  });
});

describe('GET /api/v1/images/{imageId}/labels', () => {
  it('serves the most recently finished campaign’s labels when no campaign is named', async () => {
    const image = images[0] as Image;
    const sut = await call<{ campaignId: string; labels: Label[] }>('GET', `/v1/images/${image.id}/labels`, { key: reader });
    expect(sut.status).toBe(200);
    expect(sut.body.campaignId).toBe(campaignA.id); // B labelled it too, but B has not finished
    expect(sut.body.labels.map((l) => l.labelTranslated)).toEqual(['bottle', 'net']);
  });

  it('serves the first named campaign that labelled the image', async () => {
    const image0 = images[0] as Image;
    const image5 = images[5] as Image;
    const b = await call<{ campaignId: string }>('GET', `/v1/images/${image0.id}/labels?campaign=${campaignB.id}&campaign=${campaignA.id}`, { key: reader });
    expect(b.body.campaignId).toBe(campaignB.id);
    const fallback = await call<{ campaignId: string }>('GET', `/v1/images/${image5.id}/labels?campaign=${campaignB.id}&campaign=${campaignA.id}`, { key: reader });
    expect(fallback.body.campaignId).toBe(campaignA.id);
    const none = await call<{ campaignId: string | null; labels: Label[] }>('GET', `/v1/images/${image5.id}/labels?campaign=${campaignB.id}`, { key: reader });
    expect(none.body).toMatchObject({ campaignId: null, labels: [] });
    expectProblem(await call('GET', `/v1/images/${image5.id}/labels?campaign=${'e'.repeat(16)}`, { key: reader }), 404);
    expectProblem(await call('GET', '/v1/images/nope/labels', { key: reader }), 400);
  });

  it('defaults a labeller key to its own campaign', async () => {
    const sut = await call<{ campaignId: string }>('GET', `/v1/images/${images[0]?.id}/labels`, { key: labellerB });
    expect(sut.body.campaignId).toBe(campaignB.id);
  });
});

describe('removing a labeller', () => {
  it('revokes their key at once', async () => {
    const campaign = await call<Campaign>('GET', `/v1/campaigns/${campaignB.id}`, { key: alice });
    const keyId = labellerB.split('.')[0];
    const sut = await call<Campaign>('DELETE', `/v1/campaigns/${campaignB.id}/labellers/${keyId}`, { key: alice });
    expect(sut.status, sut.text).toBe(200);
    expect(sut.body.labellers.find((l) => l.keyId === keyId)?.removedAt).toEqual(expect.any(String));
    expect(campaign.body.labellers).toHaveLength(1);
    expectProblem(await call('GET', `/v1/campaigns/${campaignB.id}`, { key: labellerB }), 401);
  });
});
