import { boxesByImage, type ExportDataset, fileNames } from './export.dataset';
import { tarArchive, type TarEntry } from './tar';

function xml(text: string | number): string {
  return String(text).replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] ?? c);
}

/**
 * Pascal VOC as one ustar archive of `Annotations/<imagesetId>/<image name>.xml`, one file per
 * image, boxes in pixels (`xmin ymin xmax ymax`), plus `labels.txt` with the categories.
 */
export function vocExport(dataset: ExportDataset): Buffer {
  const names = fileNames(dataset.images, '.xml');
  const boxes = boxesByImage(dataset);
  const entries: TarEntry[] = [{ name: 'labels.txt', content: `${dataset.categories.join('\n')}\n` }];
  for (const image of dataset.images) {
    const objects = (boxes.get(image.id) ?? []).map(
      (box) =>
        `  <object>\n    <name>${xml(box.category)}</name>\n    <pose>Unspecified</pose>\n    <truncated>0</truncated>\n` +
        `    <difficult>0</difficult>\n    <bndbox>\n      <xmin>${box.xMin}</xmin>\n      <ymin>${box.yMin}</ymin>\n` +
        `      <xmax>${box.xMax}</xmax>\n      <ymax>${box.yMax}</ymax>\n    </bndbox>\n  </object>\n`,
    );
    const document =
      `<annotation>\n  <folder>${xml(image.imagesetId)}</folder>\n  <filename>${xml(image.blobName)}</filename>\n` +
      `  <path>${xml(image.path)}</path>\n  <source>\n    <database>${xml(dataset.title)}</database>\n  </source>\n` +
      `  <size>\n    <width>${image.width}</width>\n    <height>${image.height}</height>\n    <depth>${image.channels ?? 3}</depth>\n  </size>\n` +
      `  <segmented>0</segmented>\n${objects.join('')}</annotation>\n`;
    entries.push({ name: `Annotations/${names.get(image.id) ?? image.path}`, content: document });
  }
  return tarArchive(entries, new Date(dataset.createdAt));
}
