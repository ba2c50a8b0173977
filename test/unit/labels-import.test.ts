import { gzipSync, strToU8, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { readArchive } from '../../shared/labels/import.archive';
import { parseCoco } from '../../shared/labels/import.coco';
import { parseVoc } from '../../shared/labels/import.voc';
import { parseYolo } from '../../shared/labels/import.yolo';
import { tarArchive } from '../../shared/labels/tar';

const files = (entries: Record<string, string>) => new Map(Object.entries(entries).map(([name, text]) => [name, Buffer.from(text)]));

describe('readArchive', () => {
  it('reads zip, tar and tar.gz alike, dropping folders and macOS resource forks', () => {
    const zip = Buffer.from(zipSync({ 'a/b.txt': strToU8('1'), '__MACOSX/a/._b.txt': strToU8('x'), 'a/': new Uint8Array() }));
    const tar = tarArchive([{ name: './a/b.txt', content: '1' }]);
    for (const archive of [zip, tar, Buffer.from(gzipSync(tar))]) expect([...readArchive(archive).keys()]).toEqual(['a/b.txt']);
  });

  it('refuses anything else as a 400 on the body', () => {
    expect(() => readArchive(Buffer.from('{"not": "an archive"}'))).toThrowError(expect.objectContaining({ status: 400 }));
  });
});

describe('parseCoco', () => {
  it('turns bbox [x, y, w, h] into pixel boxes per image, string ids included', () => {
    const sut = parseCoco(
      Buffer.from(
        JSON.stringify({
          images: [{ id: 'i1', file_name: 'a.jpg' }, { id: 2, file_name: 'b.jpg' }],
          annotations: [{ image_id: 'i1', category_id: 7, bbox: [1, 2, 3, 4], score: 0.5 }, { image_id: 2, category_id: 8, bbox: [0, 0, 1, 1] }],
          categories: [{ id: 7, name: 'net' }],
        }),
      ),
    );
    expect(sut[0]).toMatchObject({ name: 'a.jpg', boxes: [{ category: 'net', xMin: 1, yMin: 2, xMax: 4, yMax: 6, confidence: 0.5 }], problems: [] });
    expect(sut[1]?.problems).toEqual([expect.stringContaining('category_id 8')]);
  });

  it('names the field that is not COCO', () => {
    expect(() => parseCoco(Buffer.from('{"images": [], "annotations": [{}], "categories": []}'))).toThrowError(
      expect.objectContaining({ status: 400, detail: expect.stringContaining('/annotations/0') }),
    );
  });
});

describe('parseYolo', () => {
  it('reads class names from data.yaml (a list) and label files under labels/ by stem', () => {
    const sut = parseYolo(files({ 'data.yaml': 'names: [bottle, net]\n', 'labels/train/x.txt': '1 0.5 0.5 0.2 0.4\n', 'notes/readme.txt': 'hi' }));
    expect(sut).toEqual([
      { file: 'labels/train/x.txt', name: 'train/x', byStem: true, normalised: true, problems: [], boxes: [{ category: 'net', xMin: 0.4, yMin: 0.3, xMax: 0.6, yMax: 0.7 }] },
    ]);
  });

  it('rejects lines that are not boxes or name no class, and needs the class names', () => {
    const sut = parseYolo(files({ 'classes.txt': 'a\n', 'labels/x.txt': '0 0.5 0.5 0.1\n3 0.5 0.5 0.1 0.1\n' }));
    expect(sut[0]?.problems).toEqual([expect.stringContaining('line 1'), expect.stringContaining('class 3')]);
    expect(() => parseYolo(files({ 'labels/x.txt': '0 0.5 0.5 0.1 0.1' }))).toThrowError(expect.objectContaining({ status: 400 }));
  });
});

describe('parseVoc', () => {
  it('matches by filename when <path> is an absolute local path, and turns 1-based boxes into 0-based edges', () => {
    const xml =
      '<annotation><folder>imgs</folder><filename>x.jpg</filename><path>/home/me/imgs/x.jpg</path>' +
      '<object><name>net &amp; cap</name><bndbox><xmin>1</xmin><ymin>5</ymin><xmax>10</xmax><ymax>20</ymax></bndbox></object></annotation>';
    const sut = parseVoc(files({ 'Annotations/x.xml': xml, 'broken.xml': '<annotation><object><name>a</name></object></annotation>' }));
    expect(sut[0]).toMatchObject({ name: 'imgs/x.jpg', boxes: [{ category: 'net & cap', xMin: 0, yMin: 4, xMax: 10, yMax: 20 }], problems: [] });
    expect(sut[1]?.problems).toEqual([expect.stringContaining('object 1')]);
  });
});
