import { strToU8, zipSync } from 'fflate';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import type { Image } from '../../shared/labels/image.schema';
import { readTar } from '../../shared/labels/tar';
import { call, expectProblem, keyWithRoles } from '../support/api';
import { jpegImage, pngImage } from '../support/images';
import { waitForJob } from '../support/jobs';
import { activeCampaign, readyImageset } from '../support/fixtures';
import type { ImportReport } from '../../shared/labels/import.schema';

/**
 * Exports read the way their consumers read them (pycocotools' structure, Ultralytics' image → label
 * path mapping, VOC's 1-based bounds) from a campaign where half the images were never labelled, and
 * imports: each format exported from one campaign and imported into a new campaign over the same
 * images exports the same boxes.
 */
const VOCABULARY = ['bottle', 'net', 'cap'];
// x.png and x.jpg share a stem; three images are never labelled.
const FILES: { name: string; bytes: Buffer; width: number; height: number }[] = [
  { name: 'x.png', bytes: pngImage(60, 40, 1), width: 60, height: 40 },
  { name: 'x.jpg', bytes: jpegImage(50, 70, 2), width: 50, height: 70 },
  { name: 'sub/y.png', bytes: pngImage(80, 30, 3), width: 80, height: 30 },
  { name: 'z.jpg', bytes: jpegImage(33, 44, 4), width: 33, height: 44 },
  { name: 'w.png', bytes: pngImage(20, 20, 5), width: 20, height: 20 },
  { name: 'far/v.jpg', bytes: jpegImage(41, 23, 6), width: 41, height: 23 },
];
const LABELLED: Record<string, { label: string; xMin: number; yMin: number; xMax: number; yMax: number }[]> = {
  'x.png': [
    { label: 'bottle', xMin: 0, yMin: 0, xMax: 60, yMax: 40 },
    { label: 'net', xMin: 3, yMin: 5, xMax: 17, yMax: 29 },
  ],
  'x.jpg': [{ label: 'cap', xMin: 10, yMin: 20, xMax: 30, yMax: 41 }],
  'sub/y.png': [{ label: 'fles', xMin: 1, yMin: 1, xMax: 79, yMax: 29 }],
};

interface Coco {
  images: { id: number; file_name: string; width: number; height: number; coco_url?: string }[];
  annotations: { id: number; image_id: number; category_id: number; bbox: [number, number, number, number]; area: number }[];
  categories: { id: number; name: string }[];
}

let alice = '';
let reader = '';
let imagesetId = '';
let images: Image[] = [];
let source = '';

async function newCampaign(): Promise<string> {
  return activeCampaign(alice, [imagesetId], VOCABULARY, { fles: 'bottle' });
}

async function exported(campaignId: string, format: string, imageUrls = false): Promise<Buffer> {
  const response = await call<{ url: string; images: number }>('POST', `/v1/campaigns/${campaignId}/exports`, {
    key: alice,
    body: { format, mode: 'inline', imageUrls },
  });
  expect(response.status, response.text).toBe(201);
  expect(response.body.images).toBe(FILES.length);
  return Buffer.from(await (await fetch(response.body.url)).arrayBuffer());
}

async function importFile(campaignId: string, format: string, bytes: Buffer, contentType: string, query = '', key = alice) {
  return call<ImportReport>('POST', `/v1/campaigns/${campaignId}/imports?format=${format}${query}`, {
    key,
    rawBody: bytes,
    headers: { 'Content-Type': contentType },
  });
}

/** The boxes of a COCO export, one string per box, to compare campaigns (to a hundredth of a pixel). */
function cocoBoxes(coco: Coco): string[] {
  const files = new Map(coco.images.map((image) => [image.id, image.file_name]));
  const names = new Map(coco.categories.map((category) => [category.id, category.name]));
  return coco.annotations
    .map((a) => `${files.get(a.image_id)}|${names.get(a.category_id)}|${a.bbox.map((v) => v.toFixed(2)).join(',')}`)
    .sort();
}

/** Ultralytics' img2label_paths: the last `/images/` becomes `/labels/`, the extension `.txt`. */
function ultralyticsLabelPath(imagePath: string): string {
  const at = imagePath.lastIndexOf('images/');
  const swapped = `${imagePath.slice(0, at)}labels/${imagePath.slice(at + 'images/'.length)}`;
  return `${swapped.slice(0, swapped.lastIndexOf('.'))}.txt`;
}

beforeAll(async () => {
  alice = await keyWithRoles(['contributor']);
  reader = await keyWithRoles(['reader']);
  ({ imagesetId, images } = await readyImageset(alice, FILES));
  expect(images).toHaveLength(FILES.length);
  source = await newCampaign();
  for (const [name, labels] of Object.entries(LABELLED)) {
    const image = images.find((item) => item.blobName === name);
    const put = await call('PUT', `/v1/campaigns/${source}/images/${image?.id}/labels`, { key: alice, body: { labels } });
    expect(put.status, put.text).toBe(200);
  }
});

describe('exports of a campaign with images never labelled', () => {
  it('COCO lists every image, and with imageUrls each has a coco_url that serves it', async () => {
    const sut = JSON.parse((await exported(source, 'coco', true)).toString()) as Coco;
    expect(sut.images.map((image) => image.file_name).sort()).toEqual(FILES.map((file) => `${imagesetId}/${file.name}`).sort());
    expect(sut.annotations).toHaveLength(4);
    const first = sut.images.find((image) => image.file_name.endsWith('/x.jpg'));
    const served = await fetch(first?.coco_url ?? '');
    expect(served.status).toBe(200);
    expect(Buffer.from(await served.arrayBuffer()).equals(FILES[1]?.bytes ?? Buffer.alloc(0))).toBe(true);
  });

  it('YOLO: every image has its own label file where Ultralytics looks (empty for backgrounds), and data.yaml names the classes', async () => {
    const sut = readTar(await exported(source, 'yolo'));
    const placed = (sut.get('images.txt')?.toString().trim().split('\n') ?? []).map((line) => line.split('\t') as [string, string]);
    expect(placed).toHaveLength(FILES.length);
    const labelFiles = placed.map(([image]) => ultralyticsLabelPath(image));
    expect(new Set(labelFiles).size).toBe(FILES.length);
    const lines = new Map(placed.map(([image, from]) => [from, sut.get(ultralyticsLabelPath(image))?.toString()]));
    for (const file of FILES) {
      const content = lines.get(`${imagesetId}/${file.name}`);
      expect(content, file.name).toBeDefined();
      expect(content?.split('\n').filter(Boolean)).toHaveLength(LABELLED[file.name]?.length ?? 0);
    }
    const data = parseYaml(sut.get('data.yaml')?.toString() ?? '') as { train: string; val: string; names: Record<number, string> };
    expect(data).toMatchObject({ train: 'images', val: 'images', names: { 0: 'bottle', 1: 'net', 2: 'cap' } });
    for (const [image] of placed) expect(image.startsWith(`${data.train}/`)).toBe(true);
  });

  it('VOC: one annotation per image, boxes in 1-based integers inside the image', async () => {
    const sut = [...readTar(await exported(source, 'voc'))].filter(([name]) => name.endsWith('.xml'));
    expect(sut).toHaveLength(FILES.length);
    let objects = 0;
    for (const [, content] of sut) {
      const xml = content.toString();
      const value = (text: string, tag: string) => Number(new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(text)?.[1]);
      for (const object of xml.split('<object>').slice(1)) {
        objects++;
        const [xmin, ymin, xmax, ymax] = ['xmin', 'ymin', 'xmax', 'ymax'].map((tag) => value(object, tag)) as [number, number, number, number];
        for (const v of [xmin, ymin, xmax, ymax]) expect(Number.isInteger(v) && v >= 1).toBe(true);
        expect(xmin <= xmax && xmax <= value(xml, 'width') && ymin <= ymax && ymax <= value(xml, 'height')).toBe(true);
      }
    }
    expect(objects).toBe(4);
  });
});

describe('POST /api/v1/campaigns/{campaignId}/imports', () => {
  const types: Record<string, string> = { coco: 'application/json', yolo: 'application/x-tar', voc: 'application/x-tar' };

  it.each(['coco', 'yolo', 'voc'])('imports a %s export into a new campaign over the same images, which then exports the same boxes', async (format) => {
    const expected = cocoBoxes(JSON.parse((await exported(source, 'coco')).toString()) as Coco);
    const target = await newCampaign();
    const sut = await importFile(target, format, await exported(source, format), types[format] ?? '');
    expect(sut.status, sut.text).toBe(200);
    // The three images never labelled come back without boxes and change nothing.
    expect(sut.body).toMatchObject({ format, images: 3, labels: 4, unmatched: [], rejected: [], addedCategories: [] });
    expect(cocoBoxes(JSON.parse((await exported(target, 'coco')).toString()) as Coco)).toEqual(expected);
  });

  it('reads YOLO and VOC from a zip as well as a tar', async () => {
    for (const format of ['yolo', 'voc']) {
      const files = readTar(await exported(source, format));
      const zip = Buffer.from(zipSync(Object.fromEntries([...files].map(([name, content]) => [name, new Uint8Array(content)]))));
      const sut = await importFile(await newCampaign(), format, zip, 'application/zip');
      expect(sut.status, sut.text).toBe(200);
      expect(sut.body).toMatchObject({ images: 3, labels: 4 });
    }
  });

  it('refuses categories outside the vocabulary by name, and adds them when asked', async () => {
    const coco = JSON.parse((await exported(source, 'coco')).toString()) as Coco;
    coco.categories.push({ id: 9, name: 'tyre' });
    coco.annotations.push({ id: 99, image_id: coco.images[0]?.id ?? 0, category_id: 9, bbox: [1, 1, 5, 5], area: 25 });
    const target = await newCampaign();
    const refused = expectProblem(await importFile(target, 'coco', Buffer.from(JSON.stringify(coco)), 'application/json'), 400);
    expect(refused.detail).toContain("'tyre'");
    const campaign = await call<{ progress: { labelled: number } }>('GET', `/v1/campaigns/${target}`, { key: alice });
    expect(campaign.body.progress.labelled).toBe(0);
    const sut = await importFile(target, 'coco', Buffer.from(JSON.stringify(coco)), 'application/json', '&addCategories=true');
    expect(sut.status, sut.text).toBe(200);
    expect(sut.body).toMatchObject({ labels: 5, addedCategories: ['tyre'] });
    const after = await call<{ labels: string[] }>('GET', `/v1/campaigns/${target}`, { key: alice });
    expect(after.body.labels).toEqual([...VOCABULARY, 'tyre']);
  });

  it('reports what matched no image, and rejects an image with a bad box whole while writing the others', async () => {
    const files: Record<string, Uint8Array> = {
      'classes.txt': strToU8('bottle\nnet\ncap\n'),
      [`labels/${imagesetId}/z.txt`]: strToU8('0 0.5 0.5 0.2 0.2\n'),
      [`labels/${imagesetId}/sub/y.txt`]: strToU8('1 0.5 0.5 0.2 0.2\n7 0.5 0.5 0.1 0.1\n'),
      'labels/train/nowhere.txt': strToU8('0 0.5 0.5 0.2 0.2\n'),
    };
    const target = await newCampaign();
    const sut = await importFile(target, 'yolo', Buffer.from(zipSync(files)), 'application/zip');
    expect(sut.status, sut.text).toBe(200);
    expect(sut.body).toMatchObject({ images: 1, labels: 1 });
    expect(sut.body.unmatched).toEqual([{ file: 'labels/train/nowhere.txt', name: 'train/nowhere', reason: expect.stringContaining('no image') }]);
    expect(sut.body.rejected).toEqual([{ file: `labels/${imagesetId}/sub/y.txt`, imageId: expect.any(String), reason: expect.stringContaining('class 7') }]);
    const progress = await call<{ progress: { labelled: number } }>('GET', `/v1/campaigns/${target}`, { key: alice });
    expect(progress.body.progress.labelled).toBe(1);
  });

  it('runs as a labels.import job with mode=job, the report in its result', async () => {
    const target = await newCampaign();
    const sut = await importFile(target, 'voc', await exported(source, 'voc'), 'application/x-tar', '&mode=job');
    expect(sut.status, sut.text).toBe(202);
    const job = await waitForJob(sut.headers.get('location') ?? '', alice);
    expect(job).toMatchObject({ status: 'succeeded', kind: 'labels.import', result: { images: 3, labels: 4 } });
  });

  it('refuses malformed files with 400 and a labeller of another campaign or a reader with 403', async () => {
    const target = await newCampaign();
    expectProblem(await importFile(target, 'coco', Buffer.from('{"images": 3}'), 'application/json'), 400);
    expectProblem(await importFile(target, 'yolo', Buffer.from('not an archive'), 'application/zip'), 400);
    const other = await newCampaign();
    const labeller = await call<{ key: string }>('POST', `/v1/campaigns/${other}/labellers`, { key: alice, body: { name: 'someone else' } });
    const coco = await exported(source, 'coco');
    expectProblem(await importFile(target, 'coco', coco, 'application/json', '', labeller.body.key), 403);
    expectProblem(await importFile(target, 'coco', coco, 'application/json', '', reader), 403);
  });
});
