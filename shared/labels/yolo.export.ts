import { boxesByImage, type ExportDataset, fileNames } from './export.dataset';
import { tarArchive, type TarEntry } from './tar';

const round = (value: number) => Number(Math.min(1, Math.max(0, value)).toFixed(6));

/**
 * YOLO (Darknet/Ultralytics) labels as one ustar archive:
 * - `classes.txt`: one category per line; the line number (from 0) is the class index;
 * - `labels/<imagesetId>/<image name>.txt`: one `class cx cy w h` line per box, normalised to 0…1
 *   by the image size (an empty file is an image with nothing in it);
 * - `images.txt`: the image path of each label file, tab-separated.
 */
export function yoloExport(dataset: ExportDataset): Buffer {
  const classes = new Map(dataset.categories.map((name, i) => [name, i]));
  const names = fileNames(dataset.images, '.txt');
  const boxes = boxesByImage(dataset);
  const entries: TarEntry[] = [{ name: 'classes.txt', content: `${dataset.categories.join('\n')}\n` }];
  const index: string[] = [];
  for (const image of dataset.images) {
    const lines = (boxes.get(image.id) ?? []).flatMap((box) => {
      const cls = classes.get(box.category);
      if (cls === undefined) return [];
      const cx = (box.xMin + box.xMax) / 2 / image.width;
      const cy = (box.yMin + box.yMax) / 2 / image.height;
      const w = (box.xMax - box.xMin) / image.width;
      const h = (box.yMax - box.yMin) / image.height;
      return [`${cls} ${round(cx)} ${round(cy)} ${round(w)} ${round(h)}`];
    });
    const name = `labels/${names.get(image.id) ?? image.path}`;
    entries.push({ name, content: lines.length > 0 ? `${lines.join('\n')}\n` : '' });
    index.push(`${name}\t${image.path}`);
  }
  entries.push({ name: 'images.txt', content: `${index.join('\n')}\n` });
  return tarArchive(entries, new Date(dataset.createdAt));
}
