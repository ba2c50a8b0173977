import { beforeAll, describe, expect, it } from 'vitest';
import type { Campaign } from '../../shared/labels/campaign.schema';
import type { Image } from '../../shared/labels/image.schema';
import type { Label } from '../../shared/labels/label.schema';
import { readTar } from '../../shared/labels/tar';
import { call, expectProblem, keyWithRoles } from '../support/api';
import { beachImageset, labelledCampaigns, VOCABULARY } from '../support/beach-campaigns';
import { waitForJob } from '../support/jobs';

/**
 * A completed campaign finished and exported over HTTP: COCO, YOLO and Pascal VOC that agree with
 * each other, exports on demand, which campaign's labels an image answers with, and a labeller
 * removed. The campaigns are labelled as labels-campaigns.test.ts leaves them (labelledCampaigns).
 */
interface Box {
  path: string;
  category: string;
  xMin: number;
  yMin: number;
  xMax: number;
  yMax: number;
}

let alice = '';
let reader = '';
let imagesetId = '';
let images: Image[] = [];
let campaignA: { id: string };
let campaignB: { id: string };
let labellerB = '';

beforeAll(async () => {
  alice = await keyWithRoles(['contributor']);
  reader = await keyWithRoles(['reader']);
  ({ imagesetId, images } = await beachImageset(alice));
  ({ campaignA, campaignB, labellerB } = await labelledCampaigns(alice, imagesetId, images));
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
