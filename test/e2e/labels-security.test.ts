import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { beforeAll, describe, expect, it } from 'vitest';
import { adminKey, call, expectProblem, keyWithRoles } from '../support/api';
import { pngImage } from '../support/images';
import type { Image } from '../../shared/labels/image.schema';
import { newImageset } from '../support/fixtures';
import { type Job, waitForJob } from '../support/jobs';
import type { Imageset, UploadToken } from '../../shared/labels/imageset.schema';

/**
 * What a holder of an upload token, or another contributor, must not be able to do to an imageset
 * (issue 14, items 4–6): blob names that resolve elsewhere, rewriting registered images after
 * finalize, campaigns over somebody else's imageset.
 */

const unique = () => `sec ${Math.random().toString(36).slice(2, 10)}`;
const md5 = (bytes: Buffer) => createHash('md5').update(bytes).digest('base64');

let alice = '';
let bob = '';
let reader = '';

beforeAll(async () => {
  alice = await keyWithRoles(['contributor']);
  bob = await keyWithRoles(['contributor']);
  reader = await keyWithRoles(['reader']);
});

const createImageset = (key: string) => newImageset(key, { title: unique() });

/**
 * PUTs a blob with the upload token, sending `blobPath` exactly as written: node:http does not
 * resolve `.`/`..` segments the way fetch does, just as `curl --path-as-is` would not.
 */
function rawPut(token: UploadToken, blobPath: string, body: Buffer): Promise<number> {
  const url = new URL(token.url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        method: 'PUT',
        path: `${url.pathname}/${blobPath}${url.search}`,
        headers: { 'x-ms-blob-type': 'BlockBlob', 'content-length': body.length },
      },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function finalize(imagesetId: string, key: string): Promise<Job> {
  const response = await call('POST', `/v1/imagesets/${imagesetId}/finalize`, { key });
  expect(response.status, response.text).toBe(202);
  return waitForJob(response.headers.get('location') ?? '', key);
}

async function imagesOf(imagesetId: string): Promise<Image[]> {
  const page = await call<{ items: Image[] }>('GET', `/v1/imagesets/${imagesetId}/images?limit=100`, { key: reader });
  expect(page.status, page.text).toBe(200);
  return page.body.items;
}

/** The bytes `/content` serves, following its redirect. */
async function content(image: Image): Promise<Buffer> {
  const redirect = await call('GET', `/v1/imagesets/${image.imagesetId}/images/${image.id}/content`, { key: reader });
  expect(redirect.status, redirect.text).toBe(303);
  const response = await fetch(redirect.headers.get('location') ?? '');
  expect(response.status).toBe(200);
  return Buffer.from(await response.arrayBuffer());
}

describe('finalize and blob names an upload token can write', () => {
  it('skips names with dot segments, reports why, registers the rest and ends ready', async () => {
    const imageset = await createImageset(alice);
    expect(await rawPut(imageset.uploadToken, 'good.png', pngImage(20, 10, 1))).toBe(201);
    expect(await rawPut(imageset.uploadToken, 'sub/../dotdot.png', pngImage(21, 11, 2))).toBe(201);
    expect(await rawPut(imageset.uploadToken, 'sub/./dot.png', pngImage(22, 12, 3))).toBe(201);

    const job = await finalize(imageset.id, alice);
    expect(job).toMatchObject({ status: 'succeeded', result: { registered: 1, skippedCount: 2 } });
    const after = await call<Imageset>('GET', `/v1/imagesets/${imageset.id}`, { key: reader });
    expect(after.body.status).toBe('ready');
    const skipped = after.body.finalizeReport?.skipped ?? [];
    expect(skipped.map((s) => s.blobName).sort()).toEqual(['sub/../dotdot.png', 'sub/./dot.png']);
    for (const s of skipped) expect(s.reason).toMatch(/'\.' or '\.\.'/);
    expect((await imagesOf(imageset.id)).map((image) => image.blobName)).toEqual(['good.png']);
  });

  it("never registers another imageset's blob through a name that climbs out of the container", async () => {
    const victim = await createImageset(bob);
    const secret = pngImage(77, 33, 9);
    expect(await rawPut(victim.uploadToken, 'secret.png', secret)).toBe(201);

    const attacker = await createImageset(alice);
    // Two spellings: `%2F` (the service decodes it: the name is `../imageset-…/secret.png`) and
    // `%252F` (the name keeps a literal `%2F`, which a client may decode into a `/` later).
    for (const climbing of [`..%2Fimageset-${victim.id}%2Fsecret.png`, `..%252Fimageset-${victim.id}%252Fsecret.png`]) {
      // Not an image, and as long as the victim's: the size a finalize reads is the listed blob's.
      expect(await rawPut(attacker.uploadToken, climbing, Buffer.alloc(secret.length, 0x41))).toBe(201);
    }
    expect(await rawPut(attacker.uploadToken, 'own.png', pngImage(20, 10, 1))).toBe(201);

    const job = await finalize(attacker.id, alice);
    expect(job).toMatchObject({ status: 'succeeded', result: { registered: 1, skippedCount: 2 } });
    const images = await imagesOf(attacker.id);
    expect(images.map((image) => image.blobName)).toEqual(['own.png']);
    expect(images.some((image) => image.width === 77 && image.height === 33)).toBe(false);
  });
});

describe('registered images after finalize', () => {
  it('keep serving the registered bytes when the old upload token writes over them', async () => {
    const imageset = await createImageset(alice);
    const original = pngImage(40, 30, 5);
    expect(await rawPut(imageset.uploadToken, 'shot.png', original)).toBe(201);
    expect(await finalize(imageset.id, alice)).toMatchObject({ status: 'succeeded' });
    const [image] = await imagesOf(imageset.id);
    expect(image?.md5).toBe(md5(original));

    // The token issued at create is still within its lifetime: whatever it writes now must not show.
    const other = pngImage(40, 30, 6);
    await rawPut(imageset.uploadToken, 'shot.png', other);
    const served = await content(image!);
    expect(md5(served)).toBe(md5(original));
    const again = await imagesOf(imageset.id);
    expect(again[0]).toMatchObject({ md5: md5(original), width: 40, height: 30 });
  });
});

describe("campaigns over another contributor's imageset", () => {
  const campaign = (imagesetId: string) => ({ title: unique(), imagesetIds: [imagesetId], labels: ['bottle'] });

  it("refuse contributor B a campaign over A's imageset (403), on create and on changing its imagesets", async () => {
    const alices = await createImageset(alice);
    const bobs = await createImageset(bob);
    const refused = expectProblem(await call('POST', '/v1/campaigns', { key: bob, body: campaign(alices.id) }), 403);
    expect(String(refused.detail)).toContain(alices.id);

    const own = await call<{ id: string }>('POST', '/v1/campaigns', { key: bob, body: campaign(bobs.id) });
    expect(own.status, own.text).toBe(201);
    expectProblem(await call('PATCH', `/v1/campaigns/${own.body.id}`, { key: bob, body: { imagesetIds: [bobs.id, alices.id] } }), 403);
  });

  it("let the owner and an admin create one over A's imageset", async () => {
    const alices = await createImageset(alice);
    const byOwner = await call('POST', '/v1/campaigns', { key: alice, body: campaign(alices.id) });
    expect(byOwner.status, byOwner.text).toBe(201);
    const byAdmin = await call('POST', '/v1/campaigns', { key: adminKey(), body: campaign(alices.id) });
    expect(byAdmin.status, byAdmin.text).toBe(201);
  });
});
