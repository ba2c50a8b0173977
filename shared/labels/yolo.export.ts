import { lazyRequire } from '../azure/load';
import { boxesByImage, type ExportDataset, exportNames } from './export.dataset';
import { tarArchive, type TarEntry } from './tar';

const round = (value: number) => Number(Math.min(1, Math.max(0, value)).toFixed(6));

/**
 * YOLO (Ultralytics/Darknet) labels as one ustar archive, laid out the way Ultralytics finds labels
 * (it swaps the last `/images/` of an image path for `/labels/` and the extension for `.txt`):
 * - `images.txt`: where each image goes, `images/<imagesetId>/<stem>.<ext>`, a tab, its source
 *   `<imagesetId>/<blob name>` (and a tab and its read URL when the export was asked for URLs);
 * - `labels/<imagesetId>/<stem>.txt`: one `class cx cy w h` line per box, normalised to 0…1 by the
 *   image size; an empty file for an image with nothing in it (a background image);
 * - `data.yaml`: `train`/`val` (the `images` folder: a campaign has no split), `nc` and `names`;
 *   no `path`, so Ultralytics resolves them next to the file wherever it is unpacked;
 * - `classes.txt`: one category per line (Darknet tools).
 */
export function yoloExport(dataset: ExportDataset): Buffer {
  const classes = new Map(dataset.categories.map((name, i) => [name, i]));
  const names = exportNames(dataset.images);
  const boxes = boxesByImage(dataset);
  const entries: TarEntry[] = [
    { name: 'data.yaml', content: dataYaml(dataset.categories) },
    { name: 'classes.txt', content: `${dataset.categories.join('\n')}\n` },
  ];
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
    const name = names.get(image.id) ?? { stem: image.path, image: image.path };
    entries.push({ name: `labels/${name.stem}.txt`, content: lines.length > 0 ? `${lines.join('\n')}\n` : '' });
    index.push([`images/${name.image}`, image.path, ...(image.url ? [image.url] : [])].join('\t'));
  }
  entries.push({ name: 'images.txt', content: `${index.join('\n')}\n` });
  return tarArchive(entries, new Date(dataset.createdAt));
}

function dataYaml(categories: string[]): string {
  const header =
    '# Ultralytics dataset. Put each image at the path images.txt gives it (first column); the labels are in labels/.\n' +
    '# No `path:` key, so train and val resolve next to this file. The campaign has no split: val is train.\n';
  return header + lazyRequire<typeof import('yaml')>('yaml').stringify({ train: 'images', val: 'images', nc: categories.length, names: Object.fromEntries(categories.map((name, i) => [i, name])) });
}
