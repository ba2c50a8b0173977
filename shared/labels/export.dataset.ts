/**
 * What every export format is written from: a campaign's labelled images and their boxes, with the
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

/** The image path with its extension swapped (YOLO and VOC name their files after the image). */
export function withExtension(path: string, extension: string): string {
  const slash = path.lastIndexOf('/');
  const dot = path.lastIndexOf('.');
  return `${dot > slash + 1 ? path.slice(0, dot) : path}${extension}`;
}

/**
 * One file name per image, `<path without extension><extension>`; when two images of one imageset
 * differ only by extension (a.png, a.jpg) the second keeps its extension too (a.jpg.txt).
 */
export function fileNames(images: ExportImage[], extension: string): Map<string, string> {
  const names = new Map<string, string>();
  const taken = new Set<string>();
  for (const image of images) {
    let name = withExtension(image.path, extension);
    if (taken.has(name)) name = `${image.path}${extension}`;
    taken.add(name);
    names.set(image.id, name);
  }
  return names;
}

export function boxesByImage(dataset: ExportDataset): Map<string, ExportBox[]> {
  const grouped = new Map<string, ExportBox[]>();
  for (const box of dataset.boxes) grouped.set(box.imageId, [...(grouped.get(box.imageId) ?? []), box]);
  return grouped;
}
