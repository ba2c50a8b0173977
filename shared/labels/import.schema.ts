import { z } from 'zod';
import { ImageId } from './ids';

export const ImportFormat = z.enum(['coco', 'yolo', 'voc']).meta({
  id: 'ImportFormat',
  description:
    'coco: COCO JSON. yolo: a zip, tar or tar.gz with data.yaml or classes.txt and one `labels/…/<stem>.txt` per image. ' +
    'voc: a zip, tar or tar.gz of Pascal VOC XML files. Exports of this API import as they are.',
});
export type ImportFormat = z.infer<typeof ImportFormat>;

export const ImportQuery = z.strictObject({
  format: ImportFormat,
  addCategories: z
    .enum(['true', 'false'])
    .default('false')
    .transform((value) => value === 'true')
    .describe('Add categories the campaign does not know to its vocabulary (owner or admin) instead of refusing the file.'),
  mode: z
    .enum(['auto', 'inline', 'job'])
    .default('auto')
    .describe('auto: in the request up to 2 MiB, else a `labels.import` job. job: always a job.'),
});
export type ImportQuery = z.infer<typeof ImportQuery>;

/** One image's labels as read from a file, before it is matched to a campaign image. */
export interface ImportedImage {
  /** The file (or COCO image entry) it came from, for the report. */
  file: string;
  /** The name to match against the campaign's images. */
  name: string;
  /** `name` is a path without its extension (YOLO label files are named after the image stem). */
  byStem: boolean;
  /** Boxes in pixels, or (YOLO) as fractions of the image size. */
  boxes: { category: string; xMin: number; yMin: number; xMax: number; yMax: number; confidence?: number }[];
  normalised: boolean;
  /** Problems found while reading (an unknown class index, a line that is not a box): the image is rejected whole. */
  problems: string[];
}

export const ImportReport = z
  .object({
    format: ImportFormat,
    images: z.number().int().describe('Images whose labels were replaced by the file’s.'),
    labels: z.number().int(),
    unmatched: z
      .array(z.object({ file: z.string(), name: z.string(), reason: z.string() }))
      .describe('Entries of the file that name no image of the campaign (at most 1,000 listed).'),
    rejected: z
      .array(z.object({ file: z.string(), imageId: ImageId, reason: z.string() }))
      .describe('Images left unchanged because something in their labels was wrong: all-or-nothing per image.'),
    addedCategories: z.array(z.string()),
    campaignStatus: z.string(),
  })
  .meta({ id: 'ImportReport' });
export type ImportReport = z.infer<typeof ImportReport>;

export const ImportAccepted = z.object({ jobId: z.string() }).meta({ id: 'ImportAccepted' });
