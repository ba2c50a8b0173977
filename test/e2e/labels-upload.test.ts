import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Image } from '../../shared/labels/image.schema';
import { baseUrl, call, keyWithRoles } from '../support/api';
import { beachImages } from '../support/beach-campaigns';
import { newImageset } from '../support/fixtures';
import { type GeneratedImage, writeImageFolder } from '../support/images';
import { waitForJob } from '../support/jobs';

/**
 * The start of the label store over HTTP: an imageset uploaded with the CLI (`npx upload`) using
 * only its SAS token, and finalized by a job. Campaigns over such an imageset:
 * labels-campaigns.test.ts; their exports: labels-exports.test.ts.
 */
const run = promisify(execFile);
// The npx entry point (bin/upload.js → the compiled CLI in dist/).
const CLI = path.resolve(__dirname, '../../bin/upload.js');

const generated: GeneratedImage[] = beachImages();
let folder = '';
let alice = '';
let reader = '';
let imagesetId = '';
let images: Image[] = [];

beforeAll(async () => {
  alice = await keyWithRoles(['contributor']);
  reader = await keyWithRoles(['reader']);
  folder = await writeImageFolder(generated, { 'notes.txt': 'field notes, not an image' });
});

afterAll(async () => {
  if (folder) await rm(folder, { recursive: true, force: true });
});

describe('an imageset uploaded with the CLI and finalized', () => {
  it('uploads 50 images with only the SAS token, and skips them on a rerun', async () => {
    imagesetId = (await newImageset(alice, { title: `beach ${Date.now()}` })).id;
    const args = [CLI, folder, '--imageset', imagesetId, '--api', baseUrl(), '--key', alice, '--all', '--concurrency', '6', '--block-size', '0.01'];
    const first = await run(process.execPath, args);
    expect(first.stdout).toMatch(/Uploaded 51 file\(s\), skipped 0 already uploaded, 0 failed/);
    const again = await run(process.execPath, args);
    expect(again.stdout).toMatch(/Uploaded 0 file\(s\), skipped 51 already uploaded, 0 failed/);
  });

  it('names the files it leaves out, prints no rate for a run that sent nothing, and waits for finalize with --wait', async () => {
    const created = await newImageset(alice, { title: `cli ${Date.now()}` });
    const args = [CLI, folder, '--imageset', created.id, '--api', baseUrl(), '--key', alice, '--state', path.join(folder, '.cli-state.json')];
    const sut = await run(process.execPath, [...args, '--finalize', '--wait']);
    expect(sut.stdout).toMatch(/Left out 1 file\(s\) that are not images \(--all uploads them\): notes\.txt/);
    expect(sut.stdout).toMatch(/Finalized: 50 image\(s\) registered, 0 skipped/);
    const imageset = await call<{ status: string }>('GET', `/v1/imagesets/${created.id}`, { key: alice });
    expect(imageset.body.status).toBe('ready');
    // Everything is in the manifest for this container: nothing is sent (the token is never used).
    const again = await run(process.execPath, [CLI, folder, '--sas', created.uploadToken.url, '--state', path.join(folder, '.cli-state.json'), '--quiet']);
    expect(again.stdout).toMatch(/Uploaded 0 file\(s\), skipped 50 already uploaded, 0 failed\b/);
    expect(again.stdout).not.toMatch(/\/s\b/);
  });

  it('refuses bad usage with exit code 2', async () => {
    await expect(run(process.execPath, [CLI, folder])).rejects.toMatchObject({ code: 2 });
    await expect(run(process.execPath, [CLI, folder, '--sas', 'http://127.0.0.1:1/x?sv=1', '--imageset', imagesetId])).rejects.toMatchObject({
      code: 2,
    });
  });

  it('finalizes through a job, registering the images and reporting the text file', async () => {
    const response = await call<{ jobId: string }>('POST', `/v1/imagesets/${imagesetId}/finalize`, { key: alice });
    expect(response.status).toBe(202);
    const job = await waitForJob(response.headers.get('location') ?? '', alice);
    expect(job).toMatchObject({ status: 'succeeded', progress: { done: 51, total: 51 }, result: { registered: 50, skippedCount: 1 } });
    const page = await call<{ items: Image[] }>('GET', `/v1/imagesets/${imagesetId}/images?limit=100`, { key: reader });
    images = page.body.items;
    expect(images).toHaveLength(50);
    for (const image of generated) {
      // The 20 KB JPEGs went up in 10 KB blocks: their MD5 comes from the block list's x-ms-blob-content-md5.
      expect(images.find((item) => item.blobName === image.blobName)).toMatchObject({
        size: image.bytes.length,
        width: image.width,
        height: image.height,
        md5: createHash('md5').update(image.bytes).digest('base64'),
      });
    }
  });
});
