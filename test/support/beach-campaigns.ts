import { expect } from 'vitest';
import type { Image } from '../../shared/labels/image.schema';
import { call } from './api';
import { activeCampaign, addLabeller, readyImageset } from './fixtures';
import { generateImages } from './images';

/**
 * The beach-litter scenario the label e2e files share: fifty generated photos, a vocabulary with
 * translations, and boxes placed deterministically, so what one file labels another can export.
 */
export const VOCABULARY = ['bottle', 'net', 'cap'];
export const TRANSLATIONS = { fles: 'bottle', Netz: 'net', dop: 'cap' };

/** The fifty beach photos (PNG and JPEG, some in a sub-folder) the CLI uploads in labels-upload.test.ts. */
export const beachImages = () => generateImages(50, 'beach');

/** A deterministic box inside the image for image number `i` (whole pixels, so every format is exact). */
export function boxFor(image: Image, i: number, label: string) {
  const xMin = i % 5;
  const yMin = (i * 3) % 7;
  return { label, xMin, yMin, xMax: Math.min(image.width, xMin + 10 + (i % 9)), yMax: Math.min(image.height, yMin + 8 + (i % 4)) };
}

/** The fifty beach photos in a ready imageset owned by `key`. */
export async function beachImageset(key: string): Promise<{ imagesetId: string; images: Image[] }> {
  const files = beachImages().map((image) => ({ name: image.blobName, bytes: image.bytes }));
  return readyImageset(key, files, { title: `beach ${Date.now()}` });
}

/**
 * Two active campaigns over the imageset, as labels-campaigns.test.ts leaves them: A completed (every
 * image labelled, the first with a bottle and a net, every third with a cap besides), and B with one
 * labeller, who has labelled the first image only. Answers the campaigns and B's labeller key.
 */
export async function labelledCampaigns(key: string, imagesetId: string, images: Image[]): Promise<{ campaignA: { id: string }; campaignB: { id: string }; labellerB: string }> {
  const campaignA = await activeCampaign(key, [imagesetId], VOCABULARY, TRANSLATIONS, 'Beach litter');
  const campaignB = await activeCampaign(key, [imagesetId], VOCABULARY, TRANSLATIONS, 'Second opinion');
  const labellerA = await addLabeller(key, campaignA, 'Ann');
  const labellerB = await addLabeller(key, campaignB, 'Cy');
  const [first, ...rest] = images as [Image, ...Image[]];
  const labels = [
    { imageId: first.id, ...boxFor(first, 0, 'fles') },
    { imageId: first.id, ...boxFor(first, 1, 'Netz') },
    ...rest.flatMap((image, i) => [{ imageId: image.id, ...boxFor(image, i, i % 2 ? 'fles' : 'net') }, ...(i % 3 ? [] : [{ imageId: image.id, ...boxFor(image, i + 3, 'cap') }])]),
  ];
  const bulk = await call<{ campaignStatus: string }>('POST', `/v1/campaigns/${campaignA}/labels/bulk`, { key: labellerA, body: { labels } });
  expect(bulk.status, bulk.text).toBe(200);
  expect(bulk.body.campaignStatus).toBe('completed');
  const second = await call('PUT', `/v1/campaigns/${campaignB}/images/${first.id}/labels`, { key: labellerB, body: { labels: [boxFor(first, 9, 'cap')] } });
  expect(second.status, second.text).toBe(200);
  return { campaignA: { id: campaignA }, campaignB: { id: campaignB }, labellerB };
}
