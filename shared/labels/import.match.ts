import type { CampaignRecord } from './campaign.schema';
import { allImages } from './image.repository';
import type { ImageRecord } from './image.schema';

export type ImageMatch = { image: ImageRecord } | { reason: string };

const baseName = (path: string) => path.slice(path.lastIndexOf('/') + 1);
const withoutExtension = (path: string) => path.replace(/\.[^./]*$/, '');

/**
 * The campaign's images by the names a file may use for them: `<imagesetId>/<blob name>` (our
 * exports), the blob name, or its last segment; and the same without the extension (YOLO label
 * files are named after the image stem). The most specific name that is unique wins.
 */
export async function campaignImageIndex(campaign: CampaignRecord): Promise<(name: string, byStem: boolean) => ImageMatch> {
  const levels = { full: new Map<string, ImageRecord[]>(), blob: new Map<string, ImageRecord[]>(), base: new Map<string, ImageRecord[]>() };
  const stems = { full: new Map<string, ImageRecord[]>(), blob: new Map<string, ImageRecord[]>(), base: new Map<string, ImageRecord[]>() };
  const add = (map: Map<string, ImageRecord[]>, key: string, image: ImageRecord) => map.set(key, [...(map.get(key) ?? []), image]);
  for (const imagesetId of campaign.imagesetIds) {
    for await (const page of allImages(imagesetId)) {
      for (const image of page) {
        const full = `${imagesetId}/${image.blobName}`;
        add(levels.full, full, image);
        add(levels.blob, image.blobName, image);
        add(levels.base, baseName(image.blobName), image);
        add(stems.full, withoutExtension(full), image);
        add(stems.blob, withoutExtension(image.blobName), image);
        add(stems.base, withoutExtension(baseName(image.blobName)), image);
      }
    }
  }
  return (raw, byStem) => {
    const name = raw.replace(/\\/g, '/').replace(/^(\.\/)+/, '');
    const maps = byStem ? stems : levels;
    for (const found of [maps.full.get(name), maps.blob.get(name), maps.base.get(baseName(name))]) {
      if (!found) continue;
      if (found.length === 1 && found[0]) return { image: found[0] };
      return { reason: `${found.length} images of the campaign are named like this; use the full '<imagesetId>/<blob name>'` };
    }
    return { reason: 'no image of the campaign has this name' };
  };
}
