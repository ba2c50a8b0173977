import { beforeAll, describe, expect, it } from 'vitest';
import { call, keyWithRoles } from '../support/api';
import { generateImages } from '../support/images';
import { activeCampaign, readyImageset } from '../support/fixtures';

/**
 * Issue 19: a labelling tool reads an image's labels, edits them and saves with If-Match, so a save
 * over someone else's newer one is refused (412) — the first save of a session included. That needs
 * the ETag on the read, not only on the labeller's own previous write.
 */
let owner = '';
let campaignId = '';
let imageId = '';

beforeAll(async () => {
  owner = await keyWithRoles(['contributor']);
  const files = generateImages(2, 'etag').map((image) => ({ name: image.blobName, bytes: image.bytes }));
  const { imagesetId, images } = await readyImageset(owner, files);
  campaignId = await activeCampaign(owner, [imagesetId], ['bottle', 'can']);
  imageId = images[0]?.id ?? '';
}, 120_000);

const labelsPath = () => `/v1/campaigns/${campaignId}/images/${imageId}/labels`;
const box = (x: number) => ({ label: 'bottle', xMin: x, yMin: 1, xMax: x + 5, yMax: 6 });

describe('GET /api/v1/images/{imageId}/labels?campaign=… for one campaign', () => {
  it('carries the ETag of the labels, which a save then needs to match', async () => {
    const written = await call('PUT', labelsPath(), { key: owner, body: { labels: [box(1)] } });
    expect(written.status, written.text).toBe(200);
    const read = await call('GET', `/v1/images/${imageId}/labels?campaign=${campaignId}`, { key: owner });
    expect(read.status, read.text).toBe(200);
    expect(read.headers.get('etag')).toBe(written.headers.get('etag'));
    // Someone else saves; the save based on the read is refused.
    expect((await call('PUT', labelsPath(), { key: owner, body: { labels: [box(2)] } })).status).toBe(200);
    const stale = await call('PUT', labelsPath(), { key: owner, headers: { 'If-Match': read.headers.get('etag') ?? '' }, body: { labels: [box(3)] } });
    expect(stale.status, stale.text).toBe(412);
  });
});
