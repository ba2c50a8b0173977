/**
 * What every export format is written from: every image of a campaign (labelled or not) and its boxes, with the
 * campaign's vocabulary as the categories (in vocabulary order: COCO ids 1…n, YOLO classes 0…n-1).
 */
export interface ExportImage {
  /** The image id. */
  id: string;
  imagesetId: string;
  blobName: string;
  /** Unique across the export: `<imagesetId>/<blobName>`. */
  path: string;
  width: number;
  height: number;
  format: string;
  channels?: number;
  /** An absolute read URL of the image, when the export was asked for one. */
  url?: string;
}

export interface ExportBox {
  imageId: string;
  /** A vocabulary label (the label's translation). */
  category: string;
  xMin: number;
  yMin: number;
  xMax: number;
  yMax: number;
  confidence: number;
  source: 'human' | 'model';
}

export interface ExportDataset {
  campaignId: string;
  title: string;
  categories: string[];
  images: ExportImage[];
  boxes: ExportBox[];
  createdAt: string;
}

const EXTENSIONS: Record<string, string> = { png: 'png', jpeg: 'jpg', gif: 'gif', webp: 'webp', bmp: 'bmp' };

/** The image's extension (without the dot), or one from its format when its name has none. */
function extensionOf(image: ExportImage): string {
  const slash = image.path.lastIndexOf('/');
  const dot = image.path.lastIndexOf('.');
  return dot > slash + 1 ? image.path.slice(dot + 1) : (EXTENSIONS[image.format] ?? image.format);
}

/**
 * One stem per image, unique across the export (case-insensitively, for case-insensitive file
 * systems): `<imagesetId>/<name without extension>`. Tools name the label file after the image stem
 * (Ultralytics swaps the extension for `.txt`), so `x.png` and `x.jpg` need different stems: the
 * second becomes `x_jpg` (then `x_jpg_2`, …).
 *
 * @example exportNames(images).get(id) // { stem: 'a/x/one_jpg', image: 'a/x/one_jpg.jpg' }
 */
export function exportNames(images: ExportImage[]): Map<string, { stem: string; image: string }> {
  const names = new Map<string, { stem: string; image: string }>();
  const taken = new Set<string>();
  for (const image of images) {
    const extension = extensionOf(image);
    const base = image.path.endsWith(`.${extension}`) ? image.path.slice(0, -extension.length - 1) : image.path;
    let stem = base;
    if (taken.has(stem.toLowerCase())) stem = `${base}_${extension}`;
    for (let n = 2; taken.has(stem.toLowerCase()); n++) stem = `${base}_${extension}_${n}`;
    taken.add(stem.toLowerCase());
    names.set(image.id, { stem, image: `${stem}.${extension}` });
  }
  return names;
}

export function boxesByImage(dataset: ExportDataset): Map<string, ExportBox[]> {
  const grouped = new Map<string, ExportBox[]>();
  for (const box of dataset.boxes) grouped.set(box.imageId, [...(grouped.get(box.imageId) ?? []), box]);
  return grouped;
}
