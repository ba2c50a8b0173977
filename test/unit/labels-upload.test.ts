import { createHash } from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { STATE_FILE, uploadFolder } from '../../shared/labels/upload/uploader';
import { generateImages, writeImageFolder } from '../support/images';

/**
 * The upload library behind the CLI, against a small HTTP server that answers like Blob Storage
 * (Put Blob, Put Block, Put Block List) and misbehaves on purpose: throttling, server errors, 403.
 */
interface Received {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

interface FakeStorage {
  url: string;
  received: Received[];
  maxInFlight: number;
  close(): Promise<void>;
}

async function fakeStorage(answer: (request: Received, attempt: number) => number): Promise<FakeStorage> {
  const received: Received[] = [];
  const attempts = new Map<string, number>();
  let inFlight = 0;
  const state = { maxInFlight: 0 };
  const server = http.createServer((req, res) => {
    inFlight++;
    state.maxInFlight = Math.max(state.maxInFlight, inFlight);
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const request = { method: req.method ?? '', path: decodeURIComponent(url.pathname), query: url.searchParams, headers: req.headers, body: Buffer.concat(chunks) };
      received.push(request);
      const key = `${request.path}?${url.searchParams.get('comp') ?? ''}${url.searchParams.get('blockid') ?? ''}`;
      const attempt = (attempts.get(key) ?? 0) + 1;
      attempts.set(key, attempt);
      const status = answer(request, attempt);
      setTimeout(() => {
        inFlight--;
        res.writeHead(status, status === 503 ? { 'Retry-After': '0' } : {}).end(status >= 400 ? `<Error><Code>Status${status}</Code></Error>` : '');
      }, 5);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/devstoreaccount1/imageset-0123456789abcdef?sv=2025-07-05&sp=cw&sig=test`,
    received,
    get maxInFlight() {
      return state.maxInFlight;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const noWait = () => 0;
let cleanup: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const step of cleanup) await step();
  cleanup = [];
});

async function folderOf(count: number, extra: Record<string, string | Buffer> = {}) {
  const images = generateImages(count, 'up');
  const folder = await writeImageFolder(images, extra);
  cleanup.push(() => rm(folder, { recursive: true, force: true }));
  return { images, folder };
}

describe('uploadFolder', () => {
  it('uploads every image with its MD5 and content type, at most `concurrency` requests at a time', async () => {
    const storage = await fakeStorage(() => 201);
    cleanup.push(storage.close);
    const { images, folder } = await folderOf(12, { 'notes.txt': 'not an image' });
    const sut = await uploadFolder({ folder, sasUrl: storage.url, concurrency: 3, backoffMs: noWait });
    expect(sut.uploaded).toHaveLength(12);
    expect(sut.failed).toEqual([]);
    expect(storage.maxInFlight).toBeLessThanOrEqual(3);
    for (const image of images) {
      const put = storage.received.find((r) => r.path.endsWith(`/${image.blobName}`));
      expect(put?.headers['x-ms-blob-type']).toBe('BlockBlob');
      expect(put?.headers['content-md5']).toBe(createHash('md5').update(image.bytes).digest('base64'));
      expect(put?.headers['x-ms-blob-content-type']).toBe(image.format === 'png' ? 'image/png' : 'image/jpeg');
      expect(put?.query.get('sig')).toBe('test');
    }
    expect(storage.received.some((r) => r.path.endsWith('notes.txt'))).toBe(false);
  });

  it('sends large files as blocks and commits them in order with the whole file’s MD5', async () => {
    const storage = await fakeStorage(() => 201);
    cleanup.push(storage.close);
    const big = Buffer.alloc(10_000, 7);
    const { folder } = await folderOf(0, { 'big.png': big });
    const sut = await uploadFolder({ folder, sasUrl: storage.url, blockSize: 3_000, singleShotMaxBytes: 3_000, backoffMs: noWait });
    expect(sut.failed).toEqual([]);
    const blocks = storage.received.filter((r) => r.query.get('comp') === 'block');
    expect(blocks.map((b) => b.body.length).sort((a, b) => a - b)).toEqual([1_000, 3_000, 3_000, 3_000]);
    const list = storage.received.find((r) => r.query.get('comp') === 'blocklist');
    const ids = [...(list?.body.toString() ?? '').matchAll(/<Latest>([^<]+)<\/Latest>/g)].map((m) => Buffer.from(m[1] ?? '', 'base64').toString());
    expect(ids).toEqual(['block-000000', 'block-000001', 'block-000002', 'block-000003']);
    expect(list?.headers['x-ms-blob-content-md5']).toBe(createHash('md5').update(big).digest('base64'));
  });

  it('retries throttling and server errors, then succeeds', async () => {
    const storage = await fakeStorage((_request, attempt) => (attempt === 1 ? 503 : attempt === 2 ? 500 : 201));
    cleanup.push(storage.close);
    const { folder } = await folderOf(4);
    const sut = await uploadFolder({ folder, sasUrl: storage.url, backoffMs: noWait });
    expect(sut.uploaded).toHaveLength(4);
    expect(sut.retries).toBe(8);
  });

  it('gives up on a file after its retries and reports it', async () => {
    const storage = await fakeStorage((request) => (request.path.endsWith('up-001.jpg') ? 503 : 201));
    cleanup.push(storage.close);
    const { folder } = await folderOf(3);
    const sut = await uploadFolder({ folder, sasUrl: storage.url, retries: 2, backoffMs: noWait });
    expect(sut.uploaded).toHaveLength(2);
    expect(sut.failed).toEqual([{ file: 'up-001.jpg', error: expect.stringContaining('gave up after 3 attempts') }]);
  });

  it('stops at the first 403 (expired token, or not this imageset) instead of retrying', async () => {
    const storage = await fakeStorage(() => 403);
    cleanup.push(storage.close);
    const { folder } = await folderOf(10);
    const sut = await uploadFolder({ folder, sasUrl: storage.url, concurrency: 2, backoffMs: noWait });
    expect(sut.uploaded).toEqual([]);
    expect(sut.failed).toHaveLength(10);
    expect(sut.retries).toBe(0);
    expect(storage.received.length).toBeLessThanOrEqual(2);
  });

  it('resumes: a rerun skips what its manifest says was uploaded, and sends changed files again', async () => {
    const storage = await fakeStorage(() => 201);
    cleanup.push(storage.close);
    const { folder, images } = await folderOf(5);
    await uploadFolder({ folder, sasUrl: storage.url, backoffMs: noWait });
    const manifest = JSON.parse(await readFile(path.join(folder, STATE_FILE), 'utf8')) as { target: string; files: Record<string, { md5: string }> };
    expect(Object.keys(manifest.files)).toHaveLength(5);
    expect(manifest.target).not.toContain('sig=');

    await writeFile(path.join(folder, images[2]?.blobName ?? ''), Buffer.from('changed'));
    const before = storage.received.length;
    const sut = await uploadFolder({ folder, sasUrl: storage.url, backoffMs: noWait });
    expect(sut.skipped).toHaveLength(4);
    expect(sut.uploaded).toEqual([images[2]?.blobName]);
    expect(storage.received.length - before).toBe(1);

    // The same folder to another imageset: nothing is skipped.
    const other = storage.url.replace('imageset-0123456789abcdef', 'imageset-fedcba9876543210');
    expect((await uploadFolder({ folder, sasUrl: other, backoffMs: noWait })).uploaded).toHaveLength(5);
  });
});
