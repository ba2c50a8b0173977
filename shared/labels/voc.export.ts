import { boxesByImage, type ExportBox, type ExportDataset, type ExportImage, exportNames } from './export.dataset';
import { tarArchive, type TarEntry } from './tar';

function xml(text: string | number): string {
  return String(text).replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] ?? c);
}

/**
 * A box in VOC's numbering: 1-based, inclusive pixel columns and rows, integers inside the image.
 * Our boxes are edges in a 0-based continuous frame, so the edges are rounded to whole pixels and
 * the box covering pixels [0, 10) is columns 1…10 (importers subtract 1 from `xmin`/`ymin`).
 *
 * @example vocBox({ xMin: 0, yMin: 20.4, xMax: 100.25, yMax: 70 }, { width: 200, height: 100 }) // { xmin: 1, ymin: 21, xmax: 100, ymax: 70 }
 */
export function vocBox(box: Pick<ExportBox, 'xMin' | 'yMin' | 'xMax' | 'yMax'>, image: Pick<ExportImage, 'width' | 'height'>) {
  const clamp = (value: number, min: number, max: number) => Math.min(max, Math.max(min, value));
  const xmin = clamp(Math.round(box.xMin) + 1, 1, image.width);
  const ymin = clamp(Math.round(box.yMin) + 1, 1, image.height);
  return {
    xmin,
    ymin,
    xmax: clamp(Math.round(box.xMax), xmin, image.width),
    ymax: clamp(Math.round(box.yMax), ymin, image.height),
  };
}

/**
 * Pascal VOC as one ustar archive of `Annotations/<imagesetId>/<stem>.xml`, one file per image (an
 * image never labelled has no `<object>`), plus `labels.txt` with the categories. `<path>` is the
 * image's `<imagesetId>/<blob name>`, which the import matches on.
 */
export function vocExport(dataset: ExportDataset): Buffer {
  const names = exportNames(dataset.images);
  const boxes = boxesByImage(dataset);
  const entries: TarEntry[] = [{ name: 'labels.txt', content: `${dataset.categories.join('\n')}\n` }];
  for (const image of dataset.images) {
    const objects = (boxes.get(image.id) ?? []).map((box) => {
      const { xmin, ymin, xmax, ymax } = vocBox(box, image);
      return (
        `  <object>\n    <name>${xml(box.category)}</name>\n    <pose>Unspecified</pose>\n    <truncated>0</truncated>\n` +
        `    <difficult>0</difficult>\n    <bndbox>\n      <xmin>${xmin}</xmin>\n      <ymin>${ymin}</ymin>\n` +
        `      <xmax>${xmax}</xmax>\n      <ymax>${ymax}</ymax>\n    </bndbox>\n  </object>\n`
      );
    });
    const document =
      `<annotation>\n  <folder>${xml(image.imagesetId)}</folder>\n  <filename>${xml(image.blobName)}</filename>\n` +
      `  <path>${xml(image.path)}</path>\n  <source>\n    <database>${xml(dataset.title)}</database>\n  </source>\n` +
      `  <size>\n    <width>${image.width}</width>\n    <height>${image.height}</height>\n    <depth>${image.channels ?? 3}</depth>\n  </size>\n` +
      `  <segmented>0</segmented>\n${objects.join('')}</annotation>\n`;
    entries.push({ name: `Annotations/${names.get(image.id)?.stem ?? image.path}.xml`, content: document });
  }
  return tarArchive(entries, new Date(dataset.createdAt));
}
