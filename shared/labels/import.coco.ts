import { z } from 'zod';
import { errors } from '../errors';
import { jsonPointer } from '../json/pointer';
import type { ImportedImage } from './import.schema';

const Id = z.union([z.number(), z.string()]);

/** The part of COCO object detection JSON an import reads (other keys are ignored). */
const CocoFile = z.object({
  images: z.array(z.object({ id: Id, file_name: z.string().min(1) })),
  annotations: z.array(
    z.object({
      image_id: Id,
      category_id: Id,
      bbox: z.tuple([z.number(), z.number(), z.number(), z.number()]),
      score: z.number().min(0).max(1).optional(),
    }),
  ),
  categories: z.array(z.object({ id: Id, name: z.string().trim().min(1) })),
});

/**
 * COCO JSON → one entry per COCO image (named by `file_name`), its `bbox` `[x, y, w, h]` as pixel
 * boxes. An annotation of an unknown category rejects its image; one of an unknown image is ignored
 * (COCO tools reject such files too, so the entry names no image we could report).
 */
export function parseCoco(bytes: Buffer): ImportedImage[] {
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw errors.invalidInput('', 'is not valid JSON');
  }
  const parsed = CocoFile.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw errors.invalidInput(jsonPointer(issue?.path ?? []), `is not COCO object detection JSON: ${issue?.message ?? ''}`);
  }
  const categories = new Map(parsed.data.categories.map((category) => [String(category.id), category.name]));
  const images = new Map<string, ImportedImage>(
    parsed.data.images.map((image, i) => [
      String(image.id),
      { file: `images[${i}]`, name: image.file_name, byStem: false, boxes: [], normalised: false, problems: [] },
    ]),
  );
  parsed.data.annotations.forEach((annotation, i) => {
    const image = images.get(String(annotation.image_id));
    if (!image) return;
    const category = categories.get(String(annotation.category_id));
    if (category === undefined) {
      image.problems.push(`annotation ${i} has category_id ${annotation.category_id}, which is not in categories`);
      return;
    }
    const [x, y, w, h] = annotation.bbox;
    image.boxes.push({ category, xMin: x, yMin: y, xMax: x + w, yMax: y + h, ...(annotation.score !== undefined ? { confidence: annotation.score } : {}) });
  });
  return [...images.values()];
}
