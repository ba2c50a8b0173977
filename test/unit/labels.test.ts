import { describe, expect, it } from 'vitest';
import { azureMlExport } from '../../shared/labels/azureml.export';
import { CAMPAIGN_TRANSITIONS, CampaignStatus } from '../../shared/labels/campaign.schema';
import { cocoExport } from '../../shared/labels/coco.export';
import { imageIdFor, imagesetContainer, imagesetOfImage, newId } from '../../shared/labels/ids';
import { BulkLabelsBody, LabelInput } from '../../shared/labels/label.schema';
import { translateLabel } from '../../shared/labels/label.rules';
import { readTar, tarArchive } from '../../shared/labels/tar';
import { vocExport } from '../../shared/labels/voc.export';
import { yoloExport } from '../../shared/labels/yolo.export';
import { exportDataset } from '../support/export-dataset';

describe('ids', () => {
  it('makes image ids that carry their imageset and depend only on the blob name', () => {
    const imagesetId = newId();
    const sut = imageIdFor(imagesetId, 'sub/photo 1.jpg');
    expect(sut).toBe(imageIdFor(imagesetId, 'sub/photo 1.jpg'));
    expect(sut).not.toBe(imageIdFor(imagesetId, 'sub/photo 2.jpg'));
    expect(imagesetOfImage(sut)).toBe(imagesetId);
    expect(imagesetOfImage('not-an-id')).toBeUndefined();
  });

  it('names a valid, least-privilege blob container per imageset', () => {
    const sut = imagesetContainer(newId());
    expect(sut).toMatch(/^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/);
  });
});

describe('campaign transitions', () => {
  it('follow created → active → completed ↔ active → finished, and finished is final', () => {
    expect(CAMPAIGN_TRANSITIONS.created).toEqual(['active']);
    expect(CAMPAIGN_TRANSITIONS.active).toEqual(expect.arrayContaining(['completed', 'finished']));
    expect(CAMPAIGN_TRANSITIONS.completed).toEqual(expect.arrayContaining(['active', 'finished']));
    expect(CAMPAIGN_TRANSITIONS.finished).toEqual([]);
    for (const from of CampaignStatus.options) expect(CAMPAIGN_TRANSITIONS[from]).not.toContain(from);
  });
});

describe('translateLabel', () => {
  const campaign = { labels: ['bottle', 'net'], labelTranslations: { fles: 'bottle', Visnet: 'net' } };
  it.each([
    ['bottle', 'bottle'],
    ['fles', 'bottle'],
    ['FLES', 'bottle'],
    ['visnet', 'net'],
    ['Bottle', 'bottle'],
    ['tyre', undefined],
    // Names an object inherits are not translations: a model may predict any string.
    ['constructor', undefined],
    ['toString', undefined],
    ['__proto__', undefined],
  ])('maps %s to %s', (given, expected) => {
    expect(translateLabel(campaign, given)).toBe(expected);
  });
});

describe('label input', () => {
  it('rejects inverted boxes, confidence outside 0..1, unknown fields and model output', () => {
    const box = { label: 'bottle', xMin: 1, yMin: 1, xMax: 5, yMax: 5 };
    expect(LabelInput.safeParse(box).success).toBe(true);
    expect(LabelInput.safeParse({ ...box, xMax: 1 }).success).toBe(false);
    expect(LabelInput.safeParse({ ...box, confidence: 1.2 }).success).toBe(false);
    expect(LabelInput.safeParse({ ...box, colour: 'red' }).success).toBe(false);
    expect(LabelInput.safeParse({ ...box, source: 'model' }).success).toBe(false);
    expect(LabelInput.parse(box)).toMatchObject({ confidence: 1, source: 'human' });
  });

  it('caps bulk ingest at 10,000 labels', () => {
    const label = { imageId: `${'a'.repeat(16)}~${'b'.repeat(20)}`, label: 'x', xMin: 0, yMin: 0, xMax: 1, yMax: 1 };
    expect(BulkLabelsBody.safeParse({ labels: Array(10_000).fill(label) }).success).toBe(true);
    expect(BulkLabelsBody.safeParse({ labels: Array(10_001).fill(label) }).success).toBe(false);
  });
});

describe('tarArchive', () => {
  it('writes a ustar archive that reads back, long paths included', () => {
    const long = `${'deep/'.repeat(30)}file.txt`;
    const sut = tarArchive([
      { name: 'a.txt', content: 'hello' },
      { name: long, content: Buffer.alloc(1000, 7) },
      { name: 'empty.txt', content: '' },
    ]);
    expect(sut.length % 512).toBe(0);
    expect(sut.subarray(257, 262).toString()).toBe('ustar');
    const files = readTar(sut);
    expect([...files.keys()]).toEqual(['a.txt', long, 'empty.txt']);
    expect(files.get('a.txt')?.toString()).toBe('hello');
    expect(files.get(long)?.length).toBe(1000);
  });
});

describe('exports', () => {
  it('COCO: bbox is [x, y, w, h], ids link images and categories', () => {
    const sut = JSON.parse(cocoExport(exportDataset())) as {
      images: { id: number; file_name: string; width: number }[];
      annotations: { image_id: number; category_id: number; bbox: number[]; area: number }[];
      categories: { id: number; name: string }[];
    };
    expect(sut.categories.map((c) => [c.id, c.name])).toEqual([[1, 'bottle'], [2, 'net'], [3, 'cap']]);
    expect(sut.images.map((i) => i.file_name)).toEqual(['a/x/one.png', 'a/x/one.jpg', 'b/empty.png']);
    expect(sut.annotations[0]).toMatchObject({ image_id: 1, category_id: 2, bbox: [10, 20, 100, 50], area: 5000 });
    expect(sut.annotations).toHaveLength(3);
  });

  it('YOLO: classes.txt plus one normalised label file per image, distinct stems for a.png and a.jpg', () => {
    const files = readTar(yoloExport(exportDataset()));
    expect(files.get('classes.txt')?.toString()).toBe('bottle\nnet\ncap\n');
    expect(files.get('labels/a/x/one.txt')?.toString()).toBe('1 0.3 0.45 0.5 0.5\n0 0.5 0.5 1 1\n');
    expect(files.get('labels/a/x/one_jpg.txt')?.toString()).toBe('2 0.3 0.35 0.4 0.5\n');
    expect(files.get('labels/b/empty.txt')?.toString()).toBe('');
  });

  it('Pascal VOC: one escaped XML per image with 1-based pixel boxes', () => {
    const files = readTar(vocExport(exportDataset()));
    const xml = files.get('Annotations/a/x/one.xml')?.toString() ?? '';
    expect(xml).toContain('<filename>x/one.png</filename>');
    expect(xml).toContain('<width>200</width>');
    expect(xml).toContain('<name>net</name>');
    expect(xml).toContain('<xmin>11</xmin>');
    expect(xml).toContain('<database>Beach &lt;litter&gt; &amp; &quot;nets&quot;</database>');
    expect(files.get('Annotations/a/x/one_jpg.xml')?.toString()).toContain('<depth>1</depth>');
  });

  it('Azure ML: one JSON line per image, boxes as fractions of the image', () => {
    const lines = azureMlExport(exportDataset()).trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toEqual({
      image_url: 'azureml://datastores/imageset_a/paths/x/one.png',
      image_details: { format: 'png', width: 200, height: 100 },
      label: [
        { label: 'net', topX: 0.05, topY: 0.2, bottomX: 0.55, bottomY: 0.7, isCrowd: false },
        { label: 'bottle', topX: 0, topY: 0, bottomX: 1, bottomY: 1, isCrowd: false },
      ],
    });
  });
});
