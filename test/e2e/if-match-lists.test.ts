import { beforeAll, describe, expect, it } from 'vitest';
import { type ApiResponse, call, expectProblem, keyWithRoles } from '../support/api';
import { generateImages } from '../support/images';
import { activeCampaign, newImageset, readyImageset } from '../support/fixtures';

/**
 * `If-Match` is a list of entity tags compared strongly (RFC 9110 13.1.1): the condition holds when
 * any strong tag in it is the current one. A client that kept two versions it would accept (say, the
 * one it read and the one it last wrote) sends both. A weak tag never matches, and `*` needs a current
 * representation. Every conditional write of every area parses the header the same way.
 */
let owner = '';

beforeAll(async () => {
  owner = await keyWithRoles(['contributor']);
}, 60_000);

const STALE = '"0000-stale"';
const listWith = (etag: string) => `${STALE}, ${etag}`;

/** The three answers each write must give: a list holding the current tag, one without it, the current tag weak. */
async function expectListSemantics(write: (ifMatch: string) => Promise<ApiResponse>, currentEtag: () => Promise<string>): Promise<void> {
  expectProblem(await write(`${STALE}, "0000-also-stale"`), 412);
  expectProblem(await write(`W/${await currentEtag()}`), 412);
  const sut = await write(listWith(await currentEtag()));
  expect(sut.status, sut.text).toBe(200);
}

describe('If-Match with a list of entity tags', () => {
  it('a catalogue entry: PATCH succeeds when the list holds the current ETag', async () => {
    const created = await call<{ id: string }>('POST', '/v1/catalogue/datasets', {
      key: owner,
      body: { name: `if-match list ${Date.now()}`, description: { plain: 'A dataset for the If-Match list tests.' } },
    });
    expect(created.status, created.text).toBe(201);
    const path = `/v1/catalogue/datasets/${created.body.id}`;
    await expectListSemantics(
      (ifMatch) => call('PATCH', path, { key: owner, body: { version: String(Date.now()) }, headers: { 'If-Match': ifMatch, 'Content-Type': 'application/merge-patch+json' } }),
      async () => (await call('GET', path, { key: owner })).headers.get('etag') ?? '',
    );
  });

  it('an imageset: PATCH succeeds when the list holds the current ETag', async () => {
    const imageset = await newImageset(owner);
    const path = `/v1/imagesets/${imageset.id}`;
    await expectListSemantics(
      (ifMatch) => call('PATCH', path, { key: owner, body: { metadata: { at: Date.now() } }, headers: { 'If-Match': ifMatch } }),
      async () => (await call('GET', path, { key: owner })).headers.get('etag') ?? '',
    );
  });

  describe('in a campaign', () => {
    let campaignId = '';
    let imageId = '';
    beforeAll(async () => {
      // Two images: labelling the only one would complete the campaign, and a completed one takes no labels.
      const files = generateImages(2, 'ifmatch').map((image) => ({ name: image.blobName, bytes: image.bytes }));
      const { imagesetId, images } = await readyImageset(owner, files);
      campaignId = await activeCampaign(owner, [imagesetId], ['bottle']);
      imageId = images[0]?.id ?? '';
    }, 120_000);

    it('the campaign: PATCH succeeds when the list holds the current ETag', async () => {
      const path = `/v1/campaigns/${campaignId}`;
      await expectListSemantics(
        (ifMatch) => call('PATCH', path, { key: owner, body: { description: `at ${Date.now()}` }, headers: { 'If-Match': ifMatch } }),
        async () => (await call('GET', path, { key: owner })).headers.get('etag') ?? '',
      );
    });

    it("an image's labels: If-Match: * needs labels to exist, then a list holding the current ETag saves", async () => {
      const path = `/v1/campaigns/${campaignId}/images/${imageId}/labels`;
      const box = (x: number) => ({ labels: [{ label: 'bottle', xMin: x, yMin: 1, xMax: x + 5, yMax: 6 }] });
      expectProblem(await call('PUT', path, { key: owner, body: box(1), headers: { 'If-Match': '*' } }), 412);
      const first = await call('PUT', path, { key: owner, body: box(1) });
      expect(first.status, first.text).toBe(200);
      await expectListSemantics(
        (ifMatch) => call('PUT', path, { key: owner, body: box(2), headers: { 'If-Match': ifMatch } }),
        async () => (await call('GET', `/v1/images/${imageId}/labels?campaign=${campaignId}`, { key: owner })).headers.get('etag') ?? '',
      );
    });
  });

  it("a dataset's schema: PUT succeeds when the list holds the current ETag", async () => {
    const created = await call<{ id: string }>('POST', '/v1/catalogue/datasets', {
      key: owner,
      body: { name: `if-match schema list ${Date.now()}`, description: { plain: 'A dataset for the If-Match list tests.' }, status: 'published' },
    });
    expect(created.status, created.text).toBe(201);
    const path = `/v1/datasets/${created.body.id}/schema`;
    const schema = { columns: [{ name: 'site', type: 'string' }], label: 'site' };
    expect((await call('PUT', path, { key: owner, body: schema })).status).toBe(201);
    await expectListSemantics(
      (ifMatch) => call('PUT', path, { key: owner, body: schema, headers: { 'If-Match': ifMatch } }),
      async () => (await call('GET', path)).headers.get('etag') ?? '',
    );
  });
});
