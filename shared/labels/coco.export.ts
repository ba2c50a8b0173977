import type { ExportDataset } from './export.dataset';

/**
 * COCO object detection JSON: `images`, `annotations` (`bbox` = `[x, y, width, height]` in pixels
 * from the top-left corner) and `categories` (ids 1…n in vocabulary order). Every image of the
 * campaign is listed, labelled or not; `coco_url` is its read URL when the export was asked for URLs.
 */
export function cocoExport(dataset: ExportDataset): string {
  const imageIds = new Map(dataset.images.map((image, i) => [image.id, i + 1]));
  const categoryIds = new Map(dataset.categories.map((name, i) => [name, i + 1]));
  const annotations = dataset.boxes.flatMap((box) => {
    const imageId = imageIds.get(box.imageId);
    const categoryId = categoryIds.get(box.category);
    if (imageId === undefined || categoryId === undefined) return [];
    const width = box.xMax - box.xMin;
    const height = box.yMax - box.yMin;
    return [
      {
        image_id: imageId,
        category_id: categoryId,
        bbox: [box.xMin, box.yMin, width, height],
        area: width * height,
        iscrowd: 0,
        score: box.confidence,
        attributes: { source: box.source },
      },
    ];
  });
  return JSON.stringify({
    info: {
      description: dataset.title,
      version: '1.0',
      date_created: dataset.createdAt,
      contributor: `campaign ${dataset.campaignId}`,
    },
    licenses: [],
    images: dataset.images.map((image) => ({
      id: imageIds.get(image.id),
      file_name: image.path,
      width: image.width,
      height: image.height,
      image_id: image.id,
      ...(image.url ? { coco_url: image.url } : {}),
    })),
    annotations: annotations.map((annotation, i) => ({ id: i + 1, ...annotation })),
    categories: dataset.categories.map((name, i) => ({ id: i + 1, name, supercategory: 'object' })),
  });
}
