import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { cocoExport } from '../../shared/labels/coco.export';
import type { ExportDataset } from '../../shared/labels/export.dataset';
import { readTar } from '../../shared/labels/tar';
import { vocExport } from '../../shared/labels/voc.export';
import { yoloExport } from '../../shared/labels/yolo.export';
import { exportDataset } from '../support/export-dataset';

/** The export fixture with the net box at fractional pixels: the rounding each reader sees is tested on it. */
const dataset = (overrides: Partial<ExportDataset> = {}) => exportDataset(overrides, { xMin: 0, yMin: 20.4, xMax: 100.25, yMax: 70 });

/** Ultralytics' img2label_paths: the last `/images/` becomes `/labels/`, the extension `.txt`. */
function ultralyticsLabelPath(imagePath: string): string {
  const parts = `/${imagePath}`.split('/images/');
  const swapped = `${parts.slice(0, -1).join('/images/')}/labels/${parts.at(-1) ?? ''}`;
  return `${swapped.slice(0, swapped.lastIndexOf('.'))}.txt`.slice(1);
}

describe('YOLO export, read the way Ultralytics reads it', () => {
  const files = readTar(yoloExport(dataset()));
  const images = (files.get('images.txt')?.toString().trim().split('\n') ?? []).map((line) => line.split('\t') as [string, string]);

  it('names every image under images/ with a unique stem, so each maps to its own label file', () => {
    expect(images.map(([, source]) => source).sort()).toEqual(['a/x/one.jpg', 'a/x/one.png', 'b/empty.png']);
    const labelFiles = images.map(([name]) => ultralyticsLabelPath(name));
    expect(new Set(labelFiles).size).toBe(3);
    for (const file of labelFiles) expect(files.has(file), file).toBe(true);
    const byName = new Map(images.map(([name, source]) => [source, files.get(ultralyticsLabelPath(name))?.toString()]));
    expect(byName.get('a/x/one.png')).toBe('1 0.250625 0.452 0.50125 0.496\n0 0.5 0.5 1 1\n');
    expect(byName.get('a/x/one.jpg')).toBe('2 0.3 0.35 0.4 0.5\n');
  });

  it('writes an empty label file for an image that was never labelled (a background image)', () => {
    const [name] = images.find(([, source]) => source === 'b/empty.png') ?? [''];
    expect(files.get(ultralyticsLabelPath(name))?.toString()).toBe('');
  });

  it('writes data.yaml with train, val and the class names by index', () => {
    const sut = parseYaml(files.get('data.yaml')?.toString() ?? '') as Record<string, unknown>;
    expect(sut).toMatchObject({ train: 'images', val: 'images', nc: 3, names: { 0: 'bottle', 1: 'net', 2: 'cap' } });
    for (const [name] of images) expect(name.startsWith('images/')).toBe(true);
  });

  it('quotes class names YAML would read as something else', () => {
    const sut = readTar(yoloExport(dataset({ categories: ['yes', 'a: b', '#x'] })));
    expect((parseYaml(sut.get('data.yaml')?.toString() ?? '') as { names: unknown }).names).toEqual({ 0: 'yes', 1: 'a: b', 2: '#x' });
  });
});

describe('Pascal VOC export', () => {
  const files = readTar(vocExport(dataset()));
  const xmls = [...files].filter(([name]) => name.startsWith('Annotations/'));
  const tag = (xml: string, name: string) => new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1] ?? '';

  it('writes one annotation per image, the unlabelled one with no objects', () => {
    expect(xmls).toHaveLength(3);
    const empty = xmls.find(([, content]) => tag(content.toString(), 'path') === 'b/empty.png');
    expect(empty?.[1].toString()).not.toContain('<object>');
  });

  it('writes 1-based integer pixel coordinates inside the image', () => {
    for (const [, content] of xmls) {
      const xml = content.toString();
      const width = Number(tag(xml, 'width'));
      const height = Number(tag(xml, 'height'));
      for (const object of xml.split('<object>').slice(1)) {
        const [xmin, ymin, xmax, ymax] = ['xmin', 'ymin', 'xmax', 'ymax'].map((name) => tag(object, name));
        for (const value of [xmin, ymin, xmax, ymax]) expect(value).toMatch(/^[1-9]\d*$/);
        expect(Number(xmin) <= Number(xmax) && Number(xmax) <= width).toBe(true);
        expect(Number(ymin) <= Number(ymax) && Number(ymax) <= height).toBe(true);
      }
    }
    const one = xmls.find(([, content]) => tag(content.toString(), 'path') === 'a/x/one.png')?.[1].toString() ?? '';
    // [0, 100.25) in pixels is columns 1…100 in VOC's 1-based, inclusive numbering.
    expect(one).toContain('<xmin>1</xmin>');
    expect(one).toContain('<xmax>100</xmax>');
    expect(one).toContain('<ymin>21</ymin>');
  });
});

describe('COCO export', () => {
  it('lists every image, labelled or not', () => {
    const sut = JSON.parse(cocoExport(dataset())) as { images: { file_name: string }[]; annotations: unknown[] };
    expect(sut.images.map((image) => image.file_name)).toEqual(['a/x/one.png', 'a/x/one.jpg', 'b/empty.png']);
    expect(sut.annotations).toHaveLength(3);
  });

  it('gives each image an absolute coco_url when the dataset carries image URLs', () => {
    const withUrls = dataset();
    withUrls.images = withUrls.images.map((image) => ({ ...image, url: `https://store.example/${image.path}?sig=1` }));
    const sut = JSON.parse(cocoExport(withUrls)) as { images: { coco_url?: string }[] };
    expect(sut.images.map((image) => image.coco_url)).toEqual([
      'https://store.example/a/x/one.png?sig=1',
      'https://store.example/a/x/one.jpg?sig=1',
      'https://store.example/b/empty.png?sig=1',
    ]);
    expect(JSON.parse(cocoExport(dataset())).images[0]).not.toHaveProperty('coco_url');
  });
});
