import { beforeAll, describe, expect, it } from 'vitest';
import type { Image } from '../../shared/labels/image.schema';
import { call, expectProblem, keyWithRoles } from '../support/api';
import { pngImage } from '../support/images';
import { activeCampaign, addLabeller, readyImageset } from '../support/fixtures';
import type { LabelVersion } from '../../shared/labels/label.schema';

/** Every label write keeps the version it replaces; an earlier version can be read and restored. */

const box = (label: string, xMin: number) => ({ label, xMin, yMin: 1, xMax: xMin + 5, yMax: 9 });

let alice = '';
let labeller = '';
let otherLabeller = '';
let reader = '';
let campaignId = '';
let image: Image;
let second: Image;

const history = (key: string, imageId = image.id) => call<{ items: LabelVersion[] }>('GET', `/v1/campaigns/${campaignId}/images/${imageId}/history`, { key });
const restore = (key: string, version: number, etag?: string) =>
  call('POST', `/v1/campaigns/${campaignId}/images/${image.id}/history/${version}/restore`, { key, headers: etag ? { 'If-Match': etag } : {} });

beforeAll(async () => {
  alice = await keyWithRoles(['contributor']);
  reader = await keyWithRoles(['reader']);
  const { imagesetId, images } = await readyImageset(alice, [
    { name: 'a.png', bytes: pngImage(40, 30, 1) },
    { name: 'b.png', bytes: pngImage(40, 30, 2) },
    // Never labelled, so the campaign stays active (it completes once every image is labelled).
    { name: 'c.png', bytes: pngImage(40, 30, 3) },
  ]);
  [image, second] = images as [Image, Image];
  campaignId = await activeCampaign(alice, [imagesetId], ['bottle', 'net']);
  const other = await activeCampaign(alice, [imagesetId], ['bottle', 'net']);
  labeller = await addLabeller(alice, campaignId, 'ann');
  otherLabeller = await addLabeller(alice, other, 'bo');
});

describe('GET /api/v1/campaigns/{campaignId}/images/{imageId}/history', () => {
  it('lists every version newest first, with who wrote it, when, and its labels', async () => {
    const first = await call('PUT', `/v1/campaigns/${campaignId}/images/${image.id}/labels`, { key: alice, body: { labels: [box('bottle', 1)] } });
    expect(first.status, first.text).toBe(200);
    const replaced = await call('PUT', `/v1/campaigns/${campaignId}/images/${image.id}/labels`, {
      key: labeller,
      headers: { 'If-Match': first.headers.get('etag') ?? '' },
      body: { labels: [box('net', 2)] },
    });
    expect(replaced.status, replaced.text).toBe(200);
    expect((await call('POST', `/v1/campaigns/${campaignId}/images/${image.id}/labels`, { key: labeller, body: box('bottle', 3) })).status).toBe(201);

    const sut = await history(reader);
    expect(sut.status, sut.text).toBe(200);
    expect(sut.body.items.map((v) => [v.version, v.current, v.labels.map((l) => `${l.label}@${l.xMin}`)])).toEqual([
      [3, true, ['net@2', 'bottle@3']],
      [2, false, ['net@2']],
      [1, false, ['bottle@1']],
    ]);
    const [v3, v2, v1] = sut.body.items as [LabelVersion, LabelVersion, LabelVersion];
    expect(v1.updatedBy).not.toBe(v2.updatedBy);
    expect(v1.replacedBy).toBe(v2.updatedBy);
    expect(v3.replacedBy).toBeNull();
    expect(Date.parse(v1.updatedAt) <= Date.parse(v2.updatedAt)).toBe(true);
  });

  it('keeps the version a bulk write replaces', async () => {
    await call('PUT', `/v1/campaigns/${campaignId}/images/${second.id}/labels`, { key: alice, body: { labels: [box('bottle', 4)] } });
    const bulk = await call('POST', `/v1/campaigns/${campaignId}/labels/bulk`, { key: alice, body: { labels: [{ imageId: second.id, ...box('net', 5) }] } });
    expect(bulk.status, bulk.text).toBe(200);
    const sut = await history(alice, second.id);
    expect(sut.body.items.map((v) => [v.version, v.labels.map((l) => l.label)])).toEqual([
      [2, ['net']],
      [1, ['bottle']],
    ]);
  });

  it('refuses a labeller of another campaign (403)', async () => {
    expectProblem(await history(otherLabeller), 403);
  });
});

describe('POST /api/v1/campaigns/{campaignId}/images/{imageId}/history/{version}/restore', () => {
  it('needs If-Match (428), refuses a stale one (412), and restores the version as a new one', async () => {
    expectProblem(await restore(labeller, 1), 428);
    expectProblem(await restore(labeller, 1, '"stale"'), 412);
    const put = await call('PUT', `/v1/campaigns/${campaignId}/images/${image.id}/labels`, { key: labeller, body: { labels: [box('net', 7)] } });
    const etag = put.headers.get('etag') ?? '';
    const sut = await restore(labeller, 1, etag);
    expect(sut.status, sut.text).toBe(200);
    expect((sut.body as { labels: { label: string; xMin: number }[] }).labels.map((l) => `${l.label}@${l.xMin}`)).toEqual(['bottle@1']);
    expect(sut.headers.get('etag')).not.toBe(etag);
    const after = await history(alice);
    expect(after.body.items.map((v) => v.version)).toEqual([5, 4, 3, 2, 1]);
    expect(after.body.items[1]?.labels.map((l) => `${l.label}@${l.xMin}`)).toEqual(['net@7']);
    expectProblem(await restore(labeller, 99, sut.headers.get('etag') ?? ''), 404);
  });

  it('refuses a labeller of another campaign and readers (403), changing nothing', async () => {
    const before = await history(alice);
    const etag = `"${before.body.items.length}"`;
    expectProblem(await restore(otherLabeller, 2, etag), 403);
    expectProblem(await restore(reader, 2, etag), 403);
    expect((await history(alice)).body.items).toEqual(before.body.items);
  });
});
