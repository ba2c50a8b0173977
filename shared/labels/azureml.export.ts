import { boxesByImage, type ExportDataset } from './export.dataset';

const ratio = (value: number, size: number) => Number(Math.min(1, Math.max(0, value / size)).toFixed(6));

/**
 * Azure ML object-detection labels (JSON Lines, the format AutoML for images and MLTable read): one
 * line per image with `image_url` (`azureml://datastores/<datastore>/paths/<blob>`), `image_details`
 * and `label` boxes normalised to 0…1 (`topX`, `topY`, `bottomX`, `bottomY`).
 *
 * An imageset's registered images live in their own blob container (`imageset-<id>-registered`, the
 * copies finalize made), and an Azure ML datastore maps one container: register a datastore over it
 * per imageset named `imageset_<imagesetId>` (the default here), or pass names.
 */
export function azureMlExport(dataset: ExportDataset, datastoreFor = (imagesetId: string) => `imageset_${imagesetId}`): string {
  const boxes = boxesByImage(dataset);
  return dataset.images
    .map((image) =>
      JSON.stringify({
        image_url: `azureml://datastores/${datastoreFor(image.imagesetId)}/paths/${image.blobName}`,
        image_details: { format: image.format, width: image.width, height: image.height },
        label: (boxes.get(image.id) ?? []).map((box) => ({
          label: box.category,
          topX: ratio(box.xMin, image.width),
          topY: ratio(box.yMin, image.height),
          bottomX: ratio(box.xMax, image.width),
          bottomY: ratio(box.yMax, image.height),
          isCrowd: false,
        })),
      }),
    )
    .join('\n')
    .concat(dataset.images.length > 0 ? '\n' : '');
}
