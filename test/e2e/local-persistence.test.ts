import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CosmosClient } from '@azure/cosmos';
import { afterAll, describe, expect, it } from 'vitest';
import { apiFetch } from '../support/api';
import { generateImages } from '../support/images';
import { waitForJob } from '../support/jobs';
import { announcement } from '../../local/emulators';
import { needsLocalStack } from '../support/stack-env';

/**
 * `npm start --data <folder>` as a new user runs it: the real entry point in its own process group,
 * writes through the API, then the whole group is killed — SIGKILL (a crash, a closed laptop) or
 * SIGINT (Ctrl-C in a terminal, which reaches every process of the group at once) — and started
 * again on the same folder. Every write the API acknowledged must be there, with the same ETags.
 */
const START = path.resolve(__dirname, '../../dist/local/start.js');
const COSMOS_SERVER = path.resolve(__dirname, '../../dist/local/cosmos-server.js');
/** The Cosmos DB emulator's published key (local/emulators.ts); the embedded server checks none. */
const COSMOS_KEY = 'C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DF2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==';

interface Started {
  child: ChildProcess;
  api: string;
  adminKey: string;
  output: () => string;
}

const running = new Set<ChildProcess>();
const folders: string[] = [];
afterAll(() => {
  for (const child of running) killGroup(child, 'SIGKILL');
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid) process.kill(-child.pid, signal);
  } catch {
    // The group is already gone.
  }
}

async function start(dataDir: string): Promise<Started> {
  const child = spawn(process.execPath, [START, '--data', dataDir, '--port', '0', '--quiet'], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm start did not come up within 90 s:\n${output}`)), 90_000);
    const check = () => {
      if (/Press Ctrl-C to stop/.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', check);
    child.once('exit', (code) => reject(new Error(`npm start exited with ${code}:\n${output}`)));
  });
  const api = /Base URL : (\S+)/.exec(output)?.[1] ?? '';
  const adminKey = /Admin key: (\S+)/.exec(output)?.[1] ?? '';
  return { child, api, adminKey, output: () => output };
}

async function stopGroup(started: Started, signal: NodeJS.Signals): Promise<void> {
  const exited = new Promise<void>((resolve) => {
    if (started.child.exitCode !== null || started.child.signalCode !== null) resolve();
    else started.child.once('exit', () => resolve());
  });
  killGroup(started.child, signal);
  await exited;
  running.delete(started.child);
  // The emulators are in the same group; give the kernel a moment to reap them before the restart.
  await new Promise((resolve) => setTimeout(resolve, 300));
}

async function call(stack: Started, method: string, route: string, key: string, body?: unknown) {
  const response = await apiFetch(`${stack.api}${route}`, {
    method,
    headers: { 'X-API-Key': key, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, etag: response.headers.get('etag'), body: (text ? JSON.parse(text) : {}) as Record<string, unknown>, text };
}

interface Written {
  readerKey: string;
  readerKeyId: string;
  platform: { name: string; etag: string | null };
  imageset: { id: string; etag: string | null };
  jobId: string;
  images: { id: string; md5: unknown }[];
}

/** An API key, a catalogue entry, an imageset uploaded through its SAS token and finalized by a job. */
async function writeThroughTheApi(stack: Started): Promise<Written> {
  const key = await call(stack, 'POST', '/api-keys', stack.adminKey, { name: 'survives a crash', roles: ['reader'] });
  expect(key.status, key.text).toBe(201);
  const name = `crash-${Math.random().toString(36).slice(2, 8)}`;
  const platform = await call(stack, 'POST', '/catalogue/platforms', stack.adminKey, { name, status: 'published' });
  expect(platform.status, platform.text).toBe(201);
  const imageset = await call(stack, 'POST', '/imagesets', stack.adminKey, { title: `crash test ${name}` });
  expect(imageset.status, imageset.text).toBe(201);
  const id = String(imageset.body.id);
  const token = await call(stack, 'POST', `/imagesets/${id}/upload-token`, stack.adminKey);
  expect(token.status, token.text).toBe(200);
  for (const image of generateImages(3, name)) {
    const url = new URL(String(token.body.url));
    url.pathname += `/${image.blobName}`;
    const put = await fetch(url, { method: 'PUT', headers: { 'x-ms-blob-type': 'BlockBlob' }, body: image.bytes });
    expect(put.status).toBe(201);
  }
  const finalize = await call(stack, 'POST', `/imagesets/${id}/finalize`, stack.adminKey);
  expect(finalize.status, finalize.text).toBe(202);
  const jobId = String(finalize.body.jobId);
  // This stack's base URL ends with /api/v1 already.
  const job = await waitForJob(jobId, undefined, { read: (at) => call(stack, 'GET', at.replace(/^\/v1/, ''), stack.adminKey) });
  expect(job.status).toBe('succeeded');
  const ready = await call(stack, 'GET', `/imagesets/${id}`, stack.adminKey);
  const images = await call(stack, 'GET', `/imagesets/${id}/images?limit=100`, stack.adminKey);
  const items = images.body.items as { id: string; md5: unknown }[];
  expect(items).toHaveLength(3);
  return {
    readerKey: String(key.body.key),
    readerKeyId: String(key.body.key).split('.')[0] ?? '',
    platform: { name, etag: platform.etag },
    imageset: { id, etag: ready.etag },
    jobId,
    images: items.map((image) => ({ id: image.id, md5: image.md5 })),
  };
}

async function expectEverythingBack(stack: Started, written: Written): Promise<void> {
  // The reader key authenticates (a reader may not list keys: 403, not 401).
  expect((await call(stack, 'GET', '/api-keys?limit=1', written.readerKey)).status).toBe(403);
  expect((await call(stack, 'GET', `/api-keys/${written.readerKeyId}`, stack.adminKey)).status).toBe(200);
  const platforms = await call(stack, 'GET', '/catalogue/platforms?limit=100', stack.adminKey);
  expect(JSON.stringify(platforms.body)).toContain(written.platform.name);
  const imageset = await call(stack, 'GET', `/imagesets/${written.imageset.id}`, stack.adminKey);
  expect(imageset.status, imageset.text).toBe(200);
  expect(imageset.body).toMatchObject({ status: 'ready', imageCount: 3 });
  expect(imageset.etag).toBe(written.imageset.etag);
  const job = await call(stack, 'GET', `/jobs/${written.jobId}`, stack.adminKey);
  expect(job.body.status).toBe('succeeded');
  const images = await call(stack, 'GET', `/imagesets/${written.imageset.id}/images?limit=100`, stack.adminKey);
  const items = images.body.items as { id: string; md5: unknown; url: string }[];
  expect(items.map((image) => ({ id: image.id, md5: image.md5 }))).toEqual(written.images);
  for (const image of items) expect((await fetch(image.url)).status).toBe(200);
}

async function seededImagesets(stack: Started): Promise<number> {
  const listed = await call(stack, 'GET', '/imagesets?limit=100', stack.adminKey);
  return (listed.body.items as { title: string }[]).filter((set) => !set.title.startsWith('crash test')).length;
}

describe.each(['SIGKILL', 'SIGINT'] as const)('npm start --data, then %s to the whole process group', (signal) => {
  it('keeps every acknowledged write, with its ETag, and seeds the folder only once', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), `mlassets-${signal.toLowerCase()}-`));
    folders.push(dataDir);
    const first = await start(dataDir);
    const seeded = await seededImagesets(first);
    const written = await writeThroughTheApi(first);
    await stopGroup(first, signal);

    const second = await start(dataDir);
    try {
      expect(second.output()).toMatch(new RegExp(`Data is kept in ${dataDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
      await expectEverythingBack(second, written);
      expect(await seededImagesets(second)).toBe(seeded);
    } finally {
      await stopGroup(second, 'SIGTERM');
    }
  }, 240_000);
});

/** An imageset with three images uploaded through its SAS token, not finalized. */
async function uploadedImageset(stack: Started, title: string): Promise<string> {
  const imageset = await call(stack, 'POST', '/imagesets', stack.adminKey, { title });
  expect(imageset.status, imageset.text).toBe(201);
  const id = String(imageset.body.id);
  const token = await call(stack, 'POST', `/imagesets/${id}/upload-token`, stack.adminKey);
  expect(token.status, token.text).toBe(200);
  for (const image of generateImages(3, title)) {
    const url = new URL(String(token.body.url));
    url.pathname += `/${image.blobName}`;
    const put = await fetch(url, { method: 'PUT', headers: { 'x-ms-blob-type': 'BlockBlob' }, body: image.bytes });
    expect(put.status).toBe(201);
  }
  return id;
}

/**
 * What a crash leaves when it comes while a finalize job runs (or between writing a job and the
 * worker taking its message): the imageset `finalizing`, its job `running` (or `queued`), and no
 * message, since the queue was in the dead process's memory. Written with the stack stopped, through
 * the Cosmos DB server alone on the same folder, so the state is exact rather than a race with the
 * worker.
 */
async function leaveUnfinishedFinalize(dataDir: string, jobs: { imagesetId: string; jobId: string; status: 'running' | 'queued' }[]) {
  const server = spawn(process.execPath, [COSMOS_SERVER, '0', path.join(dataDir, 'cosmos')], { stdio: ['pipe', 'pipe', 'inherit'] });
  running.add(server);
  try {
    const port = Number((await announcement(server, /READY (\d+)/, 'the Cosmos DB server'))[1]);
    const client = new CosmosClient({ endpoint: `https://127.0.0.1:${port}/`, key: COSMOS_KEY, agent: new https.Agent({ rejectUnauthorized: false }) });
    const database = client.database('mlassets');
    const at = new Date().toISOString();
    for (const { imagesetId, jobId, status } of jobs) {
      await database.container('imagesets').item(imagesetId, imagesetId).patch([
        { op: 'set', path: '/status', value: 'finalizing' },
        { op: 'set', path: '/finalizeJobId', value: jobId },
      ]);
      await database.container('jobs').items.create({
        id: jobId,
        // The jobs container's partition key (a job document carries its own id there).
        jobId,
        docType: 'job',
        kind: 'imageset.finalize',
        owner: 'local-admin',
        status,
        input: { imagesetId },
        attempts: status === 'running' ? 1 : 0,
        createdAt: at,
        startedAt: status === 'running' ? at : null,
        heartbeatAt: status === 'running' ? at : null,
        finishedAt: null,
        cancelAfter: null,
        cancelRequested: false,
        labels: { imagesetId },
      });
    }
    client.dispose();
  } finally {
    // Every write was on disk before its response (the journal); the server can simply go.
    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.kill('SIGKILL');
    await exited;
    running.delete(server);
  }
}

needsLocalStack.describe('npm start --data after a crash in the middle of a job', () => {
  it('starts the jobs found running or queued again instead of leaving them to the reaper', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'mlassets-requeue-'));
    folders.push(dataDir);
    const first = await start(dataDir);
    const interrupted = [
      { imagesetId: await uploadedImageset(first, 'crash while running'), jobId: `crash-running-${Date.now()}`, status: 'running' as const },
      { imagesetId: await uploadedImageset(first, 'crash while queued'), jobId: `crash-queued-${Date.now()}`, status: 'queued' as const },
    ];
    await stopGroup(first, 'SIGKILL');
    await leaveUnfinishedFinalize(dataDir, interrupted);

    const second = await start(dataDir);
    try {
      for (const { imagesetId, jobId } of interrupted) {
        // The reaper would only fail the running one as stuck after 30 minutes; a requeued job is
        // a finalize of three images.
        const deadline = Date.now() + 60_000;
        let job = await call(second, 'GET', `/jobs/${jobId}`, second.adminKey);
        while (job.body.status !== 'succeeded' && Date.now() < deadline) {
          expect(['queued', 'running'], job.text).toContain(job.body.status);
          await new Promise((resolve) => setTimeout(resolve, 200));
          job = await call(second, 'GET', `/jobs/${jobId}`, second.adminKey);
        }
        expect(job.body.status, job.text).toBe('succeeded');
        const imageset = await call(second, 'GET', `/imagesets/${imagesetId}`, second.adminKey);
        expect(imageset.body, imageset.text).toMatchObject({ status: 'ready', imageCount: 3 });
      }
    } finally {
      await stopGroup(second, 'SIGTERM');
    }
  }, 240_000);
});
