import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { container } from '../../shared/azure/cosmos';
import { adminKey, call, expectProblem, keyWithRoles } from '../support/api';
import { generateImages, pngImage } from '../support/images';
import type { Image } from '../../shared/labels/image.schema';
import { newId, shortHash } from '../../shared/labels/ids';
import { needsLocalStack, useStackSettings } from '../support/stack-env';
import { waitForJob } from '../support/jobs';
import type { z } from 'zod';
import type { CreatedImageset, Imageset, UploadToken } from '../../shared/labels/imageset.schema';

const unique = () => `set ${Math.random().toString(36).slice(2, 10)}`;

let alice = '';
let bob = '';
let reader = '';

async function createImageset(key: string, title = unique()) {
  const response = await call<z.infer<typeof CreatedImageset>>('POST', '/v1/imagesets', { key, body: { title, metadata: { camera: 'GoPro', site: { lat: 52.1, lon: 4.3 } } } });
  expect(response.status, response.text).toBe(201);
  return response;
}

async function upload(token: UploadToken, blobName: string, body: Buffer): Promise<number> {
  const url = new URL(token.url);
  url.pathname += `/${blobName}`;
  const response = await fetch(url, { method: 'PUT', headers: { 'x-ms-blob-type': 'BlockBlob' }, body });
  return response.status;
}

beforeAll(async () => {
  alice = await keyWithRoles(['contributor']);
  bob = await keyWithRoles(['contributor']);
  reader = await keyWithRoles(['reader']);
});

describe('POST /api/v1/imagesets', () => {
  it('creates an open imageset with an upload token that can only create and write, for an hour (renewable while open)', async () => {
    const sut = await createImageset(alice);
    expect(sut.headers.get('location')).toBe(`/api/v1/imagesets/${sut.body.id}`);
    expect(sut.headers.get('etag')).toBeTruthy();
    expect(sut.body).toMatchObject({ status: 'open', metadata: { camera: 'GoPro' }, imageCount: null });
    const token = sut.body.uploadToken;
    expect(token).toMatchObject({ permissions: 'cw', container: `imageset-${sut.body.id}` });
    expect(new URL(token?.url ?? '').searchParams.get('sp')).toBe('cw');
    const ttl = Date.parse(token?.expiresAt ?? '') - Date.now();
    expect(ttl).toBeGreaterThan(50 * 60_000);
    expect(ttl).toBeLessThanOrEqual(3_600_000);
  });

  it('refuses a title that is taken, whatever its case (409)', async () => {
    const title = unique();
    await createImageset(alice, title);
    expectProblem(await call('POST', '/v1/imagesets', { key: bob, body: { title: title.toUpperCase() } }), 409);
  });

  needsLocalStack.it('takes over a title a crash left behind: a guard whose imageset was never written, or no longer has the title', async () => {
    useStackSettings();
    // The guard document as a crash between it and the imageset write leaves it.
    const orphaned = unique();
    const guardId = (title: string) => `title~${shortHash(title.trim().toLowerCase(), 32)}`;
    await container('imagesets').items.create({ id: guardId(orphaned), docType: 'imagesetTitle', imagesetId: newId(), title: orphaned });
    expect((await createImageset(bob, orphaned)).body.title).toBe(orphaned);
    // A rename that crashed before releasing the old title leaves a guard naming an imageset titled otherwise.
    const renamed = await createImageset(alice);
    const oldTitle = unique();
    await container('imagesets').items.create({ id: guardId(oldTitle), docType: 'imagesetTitle', imagesetId: renamed.body.id, title: oldTitle });
    expect((await createImageset(bob, oldTitle)).body.title).toBe(oldTitle);
    // A guard claimed long ago whose imageset never got the title: its create crashed.
    const abandoned = unique();
    const claimedAt = new Date(Date.now() - 3_600_000).toISOString();
    await container('imagesets').items.create({ id: guardId(abandoned), docType: 'imagesetTitle', imagesetId: newId(), title: abandoned, claimedAt });
    expect((await createImageset(bob, abandoned)).body.title).toBe(abandoned);
    expectProblem(await call('POST', '/v1/imagesets', { key: alice, body: { title: orphaned } }), 409);
  });

  it('gives a title to exactly one of several creates racing for it', async () => {
    for (let round = 0; round < 3; round++) {
      const title = unique();
      const answers = await Promise.all(Array.from({ length: 4 }, () => call('POST', '/v1/imagesets', { key: alice, body: { title } })));
      expect(answers.map((answer) => answer.status).sort()).toEqual([201, 409, 409, 409]);
    }
  });

  it('refuses unknown fields, a missing title and oversized metadata (400)', async () => {
    expectProblem(await call('POST', '/v1/imagesets', { key: alice, body: { title: unique(), colour: 'red' } }), 400);
    expectProblem(await call('POST', '/v1/imagesets', { key: alice, body: { metadata: {} } }), 400);
    expectProblem(await call('POST', '/v1/imagesets', { key: alice, body: { title: unique(), metadata: { blob: 'x'.repeat(20_000) } } }), 400);
  });

  it('is for contributors: readers get 403, anonymous callers 401', async () => {
    expectProblem(await call('POST', '/v1/imagesets', { key: reader, body: { title: unique() } }), 403);
    expectProblem(await call('POST', '/v1/imagesets', { body: { title: unique() } }), 401);
  });
});

describe('GET /api/v1/imagesets', () => {
  it('lists imagesets newest first with cursor pagination, and gets one with its ETag', async () => {
    const carol = await keyWithRoles(['contributor']);
    const owner = encodeURIComponent(`apikey:${carol.split('.')[0]}`);
    const first = await createImageset(carol);
    const second = await createImageset(carol);
    const page1 = await call<{ items: Imageset[]; nextCursor: string | null }>('GET', `/v1/imagesets?limit=1&status=open&owner=${owner}`, { key: reader });
    expect(page1.status).toBe(200);
    expect(page1.body.items).toHaveLength(1);
    expect(page1.body.items[0]?.id).toBe(second.body.id);
    expect(page1.headers.get('link')).toContain('rel="next"');
    const page2 = await call<{ items: Imageset[]; nextCursor: string | null }>(
      'GET',
      `/v1/imagesets?limit=1&status=open&owner=${owner}&cursor=${page1.body.nextCursor}`,
      { key: reader },
    );
    expect(page2.body.items[0]?.id).toBe(first.body.id);
    expectProblem(await call('GET', `/v1/imagesets?limit=1&status=ready&owner=${owner}&cursor=${page1.body.nextCursor}`, { key: reader }), 400);
    const one = await call<Imageset>('GET', `/v1/imagesets/${first.body.id}`, { key: reader });
    expect(one.status).toBe(200);
    expect(one.body).not.toHaveProperty('uploadToken');
    expect(one.headers.get('etag')).toBeTruthy();
  });

  it('answers 404 for an unknown imageset and 400 for a malformed id', async () => {
    expectProblem(await call('GET', '/v1/imagesets/0123456789abcdef', { key: reader }), 404);
    expectProblem(await call('GET', '/v1/imagesets/not-an-id', { key: reader }), 400);
  });
});

describe('PATCH /api/v1/imagesets/{id}', () => {
  it('lets the owner change title and metadata, honouring If-Match', async () => {
    const created = await createImageset(alice);
    const etag = created.headers.get('etag') ?? '';
    const sut = await call<Imageset>('PATCH', `/v1/imagesets/${created.body.id}`, {
      key: alice,
      body: { metadata: { camera: 'Sony' } },
      headers: { 'If-Match': etag },
    });
    expect(sut.status, sut.text).toBe(200);
    expect(sut.body.metadata).toEqual({ camera: 'Sony' });
    expect(sut.headers.get('etag')).not.toBe(etag);
    expectProblem(await call('PATCH', `/v1/imagesets/${created.body.id}`, { key: alice, body: { title: unique() }, headers: { 'If-Match': etag } }), 412);
    const renamed = unique();
    expect((await call('PATCH', `/v1/imagesets/${created.body.id}`, { key: alice, body: { title: renamed } })).status).toBe(200);
    // The old title is free again; the new one is taken.
    await createImageset(bob, created.body.title);
    expectProblem(await call('POST', '/v1/imagesets', { key: bob, body: { title: renamed } }), 409);
  });

  it('refuses unknown fields and an empty patch (400)', async () => {
    const created = await createImageset(alice);
    expectProblem(await call('PATCH', `/v1/imagesets/${created.body.id}`, { key: alice, body: { status: 'ready' } }), 400);
    expectProblem(await call('PATCH', `/v1/imagesets/${created.body.id}`, { key: alice, body: {} }), 400);
  });
});

describe("contributor B and alice's imageset", () => {
  it('cannot change it, get upload tokens for it or finalize it (403); an admin can', async () => {
    const created = await createImageset(alice);
    const id = created.body.id;
    expectProblem(await call('PATCH', `/v1/imagesets/${id}`, { key: bob, body: { metadata: {} } }), 403);
    expectProblem(await call('POST', `/v1/imagesets/${id}/upload-token`, { key: bob }), 403);
    expectProblem(await call('POST', `/v1/imagesets/${id}/finalize`, { key: bob }), 403);
    expectProblem(await call('POST', `/v1/imagesets/${id}/upload-token`, { key: reader }), 403);
    expect((await call('GET', `/v1/imagesets/${id}`, { key: bob })).status).toBe(200);
    expect((await call('POST', `/v1/imagesets/${id}/upload-token`, { key: adminKey() })).status).toBe(200);
  });
});

describe('upload, finalize and images', () => {
  const images = generateImages(6, 'e2e');
  let imageset: Imageset;
  let listed: Image[] = [];

  beforeAll(async () => {
    const created = await createImageset(alice);
    imageset = created.body;
    const token = await call<UploadToken>('POST', `/v1/imagesets/${imageset.id}/upload-token`, { key: alice });
    expect(token.status).toBe(200);
    for (const image of images) expect(await upload(token.body, image.blobName, image.bytes)).toBe(201);
    expect(await upload(token.body, 'readme.txt', Buffer.from('not an image'))).toBe(201);
    const finalize = await call<{ jobId: string; imageset: Imageset }>('POST', `/v1/imagesets/${imageset.id}/finalize`, { key: alice });
    expect(finalize.status, finalize.text).toBe(202);
    expect(finalize.headers.get('location')).toBe(`/api/v1/jobs/${finalize.body.jobId}`);
    expect(finalize.body.imageset.status).toBe('finalizing');
    const job = await waitForJob(finalize.headers.get('location') ?? '', alice);
    expect(job).toMatchObject({ status: 'succeeded', kind: 'imageset.finalize', result: { registered: 6, skippedCount: 1 } });
    const page = await call<{ items: Image[] }>('GET', `/v1/imagesets/${imageset.id}/images?limit=100`, { key: reader });
    listed = page.body.items;
  });

  it('moves the imageset to ready with its counts and the non-image reported', async () => {
    const sut = await call<Imageset>('GET', `/v1/imagesets/${imageset.id}`, { key: reader });
    expect(sut.body).toMatchObject({ status: 'ready', imageCount: 6 });
    expect(sut.body.finalizeReport?.skipped).toEqual([{ blobName: 'readme.txt', reason: expect.stringContaining('not a PNG') }]);
  });

  it('issues no more upload tokens and refuses a second finalize (409)', async () => {
    expectProblem(await call('POST', `/v1/imagesets/${imageset.id}/upload-token`, { key: alice }), 409);
    expectProblem(await call('POST', `/v1/imagesets/${imageset.id}/finalize`, { key: alice }), 409);
  });

  it('lists images with size, MD5, dimensions and a working read URL', async () => {
    expect(listed).toHaveLength(6);
    for (const image of images) {
      const sut = listed.find((item) => item.blobName === image.blobName);
      expect(sut).toMatchObject({
        size: image.bytes.length,
        width: image.width,
        height: image.height,
        md5: createHash('md5').update(image.bytes).digest('base64'),
      });
      expect(sut?.id.startsWith(`${imageset.id}~`)).toBe(true);
    }
    const first = listed[0];
    const bytes = Buffer.from(await (await fetch(first?.url ?? '')).arrayBuffer());
    expect(bytes.length).toBe(first?.size);
    expect(Date.parse(first?.urlExpiresAt ?? '') - Date.now()).toBeLessThanOrEqual(15 * 60_000);
    const write = await fetch(first?.url ?? '', { method: 'PUT', headers: { 'x-ms-blob-type': 'BlockBlob' }, body: pngImage(2, 2) });
    expect(write.status).toBe(403);
  });

  it('pages through images with a cursor', async () => {
    const page1 = await call<{ items: Image[]; nextCursor: string }>('GET', `/v1/imagesets/${imageset.id}/images?limit=4`, { key: reader });
    expect(page1.body.items).toHaveLength(4);
    const page2 = await call<{ items: Image[]; nextCursor: string | null }>(
      'GET',
      `/v1/imagesets/${imageset.id}/images?limit=4&cursor=${page1.body.nextCursor}`,
      { key: reader },
    );
    expect(page2.body.items).toHaveLength(2);
    expect(page2.body.nextCursor).toBeNull();
    expect(new Set([...page1.body.items, ...page2.body.items].map((i) => i.id)).size).toBe(6);
  });

  it('gets one image and redirects (303) its content to a read-only SAS URL', async () => {
    const image = listed[1] as Image;
    const one = await call<Image>('GET', `/v1/imagesets/${imageset.id}/images/${image.id}`, { key: reader });
    expect(one.body).toMatchObject({ id: image.id, width: image.width });
    const sut = await call('GET', `/v1/imagesets/${imageset.id}/images/${image.id}/content`, { key: reader });
    expect(sut.status).toBe(303);
    const location = sut.headers.get('location') ?? '';
    expect(new URL(location).searchParams.get('sp')).toBe('r');
    const content = await fetch(location);
    expect(content.status).toBe(200);
    expect(Buffer.from(await content.arrayBuffer()).length).toBe(image.size);
  });

  it('answers 404 for an image of another imageset and 400 for a malformed image id', async () => {
    const image = listed[0] as Image;
    const other = await createImageset(alice);
    expectProblem(await call('GET', `/v1/imagesets/${other.body.id}/images/${image.id}`, { key: reader }), 404);
    expectProblem(await call('GET', `/v1/imagesets/${imageset.id}/images/${imageset.id}~${'0'.repeat(20)}`, { key: reader }), 404);
    expectProblem(await call('GET', `/v1/imagesets/${imageset.id}/images/12345`, { key: reader }), 400);
  });
});
