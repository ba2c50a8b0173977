import type { ExportBox, ExportDataset } from '../../shared/labels/export.dataset';

/** Where the first box (a `net` on x/one.png) lies, in pixels. */
export type NetBox = Pick<ExportBox, 'xMin' | 'yMin' | 'xMax' | 'yMax'>;

/**
 * What the label exports are written from, for their unit tests: three images — x/one.png and
 * x/one.jpg share a stem, b/empty.png was never labelled — and three boxes, the campaign's title
 * holding characters XML must escape. `net` places the first box (tests of rounding give it
 * fractional pixels).
 *
 * @example const dataset = exportDataset({ categories: ['yes', 'a: b', '#x'] }, { xMin: 0, yMin: 20.4, xMax: 100.25, yMax: 70 });
 */
export function exportDataset(overrides: Partial<ExportDataset> = {}, net: NetBox = { xMin: 10, yMin: 20, xMax: 110, yMax: 70 }): ExportDataset {
  return {
    campaignId: 'c'.repeat(16),
    title: 'Beach <litter> & "nets"',
    categories: ['bottle', 'net', 'cap'],
    createdAt: '2026-01-02T03:04:05.000Z',
    images: [
      { id: 'a~1', imagesetId: 'a', blobName: 'x/one.png', path: 'a/x/one.png', width: 200, height: 100, format: 'png', channels: 3 },
      { id: 'a~2', imagesetId: 'a', blobName: 'x/one.jpg', path: 'a/x/one.jpg', width: 50, height: 40, format: 'jpeg', channels: 1 },
      { id: 'b~3', imagesetId: 'b', blobName: 'empty.png', path: 'b/empty.png', width: 10, height: 10, format: 'png' },
    ],
    boxes: [
      { imageId: 'a~1', category: 'net', ...net, confidence: 1, source: 'human' },
      { imageId: 'a~1', category: 'bottle', xMin: 0, yMin: 0, xMax: 200, yMax: 100, confidence: 0.5, source: 'human' },
      { imageId: 'a~2', category: 'cap', xMin: 5, yMin: 4, xMax: 25, yMax: 24, confidence: 1, source: 'human' },
    ],
    ...overrides,
  };
}
