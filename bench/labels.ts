/**
 * Label store benchmark (`npm run bench:labels`; never part of `npm test`).
 *
 * A child process runs the embedded stack (Azurite, the Cosmos DB server, the development
 * host with its in-process queue). This process, in the same run:
 *   1. uploads IMAGES generated PNG/JPEG images with the upload library the CLI uses, then times the
 *      finalize job from `POST …/finalize` until the job has succeeded: images registered per second;
 *   2. writes LABELS labels into a campaign two ways and compares labels per second:
 *      - bulk ingest: one `POST /campaigns/{id}/labels/bulk` (Cosmos bulk operations underneath);
 *      - one request per label: `POST /campaigns/{id}/images/{imageId}/labels`, CONCURRENCY in flight.
 * Options: --images <n> (default 300), --labels <n> (default 2000, at most 10,000), --concurrency <n> (default 8).
 */
import { fork } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startStack } from '../local/stack';
import { jpegImage, pngImage } from '../shared/labels/sample-images';
import { uploadFolder } from '../shared/labels/upload/uploader';
import { runBenchmarkOrStack } from './entry';

const { values: options } = parseArgs({
  options: {
    images: { type: 'string', default: '300' },
    labels: { type: 'string', default: '2000' },
    concurrency: { type: 'string', default: '8' },
    'stack-child': { type: 'boolean', default: false },
  },
});
const IMAGES = Number(options.images);
const LABELS = Math.min(10_000, Number(options.labels));
const CONCURRENCY = Number(options.concurrency);

interface Ready {
  baseUrl: string;
  adminKey: string;
}

async function runStack(): Promise<void> {
  const stack = await startStack({ port: 0, seed: false, verbose: false });
  const ready: Ready = { baseUrl: stack.baseUrl ?? '', adminKey: stack.adminKey ?? '' };
  process.send?.(ready);
  process.on('disconnect', () => {
    void stack.stop().then(() => process.exit(0));
  });
}

interface Client {
  (method: string, apiPath: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }>;
}

function client(baseUrl: string, key: string): Client {
  return async (method, apiPath, body) => {
    const response = await fetch(`${baseUrl}/api${apiPath}`, {
      method,
      headers: { 'X-API-Key': key, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {}, headers: response.headers };
  };
}

function expectStatus(response: { status: number; body: unknown }, status: number, what: string): void {
  if (response.status !== status) throw new Error(`${what}: ${response.status} ${JSON.stringify(response.body).slice(0, 300)}`);
}

async function waitForJob(api: Client, location: string): Promise<Record<string, unknown>> {
  for (;;) {
    const job = await api('GET', location.replace(/^\/api/, ''));
    if (['succeeded', 'failed', 'canceled'].includes(String(job.body.status))) return job.body;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Runs `task` for every item with at most `limit` in flight. */
async function pool<T>(items: T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) await task(items[next++] as T);
    }),
  );
}

interface ImageView {
  id: string;
  width: number;
  height: number;
}

async function listAll(api: Client, imagesetId: string): Promise<ImageView[]> {
  const all: ImageView[] = [];
  let cursor: string | null = null;
  do {
    const page = await api('GET', `/v1/imagesets/${imagesetId}/images?limit=100${cursor ? `&cursor=${cursor}` : ''}`);
    all.push(...(page.body.items as ImageView[]));
    cursor = page.body.nextCursor as string | null;
  } while (cursor);
  return all;
}

function labelFor(image: ImageView, i: number) {
  const xMin = i % 7;
  const yMin = i % 5;
  return { label: ['bottle', 'net', 'cap'][i % 3] ?? 'bottle', xMin, yMin, xMax: Math.min(image.width, xMin + 8), yMax: Math.min(image.height, yMin + 6) };
}

async function createCampaign(api: Client, imagesetId: string, title: string): Promise<string> {
  const campaign = await api('POST', '/v1/campaigns', { title, imagesetIds: [imagesetId], labels: ['bottle', 'net', 'cap'] });
  expectStatus(campaign, 201, 'create campaign');
  const id = String(campaign.body.id);
  expectStatus(await api('POST', `/v1/campaigns/${id}/status`, { status: 'active' }), 200, 'activate campaign');
  return id;
}

const fmt = (value: number, digits = 0) => value.toFixed(digits);

async function runBenchmark(): Promise<void> {
  console.log('Starting the stack…');
  const child = fork(__filename, ['--stack-child'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const ready = await new Promise<Ready>((resolve, reject) => {
    child.once('message', (message) => resolve(message as Ready));
    child.once('exit', (code) => reject(new Error(`the stack process exited (${code})`)));
  });
  const folder = await mkdtemp(path.join(tmpdir(), 'bench-labels-'));
  try {
    const admin = client(ready.baseUrl, ready.adminKey);
    const key = await admin('POST', '/v1/api-keys', { name: 'bench', roles: ['contributor'] });
    expectStatus(key, 201, 'create key');
    const api = client(ready.baseUrl, String(key.body.key));

    // 1. Upload, then finalize.
    for (let i = 0; i < IMAGES; i++) {
      const width = 64 + (i % 9) * 8;
      const height = 48 + (i % 7) * 8;
      // Every third JPEG carries a 40 KB EXIF-like block: its header is found with a second ranged read.
      const bytes = i % 2 ? jpegImage(width, height, i, i % 3 === 0 ? 40_000 : 0) : pngImage(width, height, i);
      await writeFile(path.join(folder, `img-${String(i).padStart(5, '0')}.${i % 2 ? 'jpg' : 'png'}`), bytes);
    }
    const imageset = await api('POST', '/v1/imagesets', { title: `bench ${Date.now()}`, metadata: {} });
    expectStatus(imageset, 201, 'create imageset');
    const imagesetId = String(imageset.body.id);
    const token = imageset.body.uploadToken as { url: string };
    const upload = await uploadFolder({ folder, sasUrl: token.url, concurrency: CONCURRENCY });
    if (upload.failed.length > 0) throw new Error(`upload failed: ${JSON.stringify(upload.failed.slice(0, 3))}`);
    console.log(`Uploaded ${upload.uploaded.length} images (${fmt(upload.bytesUploaded / 1024)} KB) in ${fmt(upload.elapsedMs)} ms.`);

    const finalizeStarted = performance.now();
    const finalize = await api('POST', `/v1/imagesets/${imagesetId}/finalize`);
    expectStatus(finalize, 202, 'finalize');
    const job = await waitForJob(api, finalize.headers.get('location') ?? '');
    const finalizeMs = performance.now() - finalizeStarted;
    if (job.status !== 'succeeded') throw new Error(`finalize ${String(job.status)}: ${JSON.stringify(job.error)}`);
    const images = await listAll(api, imagesetId);
    if (images.length !== IMAGES) throw new Error(`registered ${images.length} of ${IMAGES}`);

    // 2. Labels: the same number of labels, spread over the same images, written both ways. One image
    //    stays unlabelled, so neither campaign completes (a completed campaign refuses writes).
    const labelled = images.slice(0, -1);
    const targets = Array.from({ length: LABELS }, (_, i) => ({ image: labelled[i % labelled.length] as ImageView, i }));
    const bulkCampaign = await createCampaign(api, imagesetId, 'bench bulk');
    const singleCampaign = await createCampaign(api, imagesetId, 'bench single');

    // Warm-up on a third campaign (JIT, connection pools), not measured.
    const warmCampaign = await createCampaign(api, imagesetId, 'bench warm-up');
    await api('POST', `/v1/campaigns/${warmCampaign}/labels/bulk`, { labels: targets.slice(0, 200).map(({ image, i }) => ({ imageId: image.id, ...labelFor(image, i) })) });
    await pool(targets.slice(0, 50), CONCURRENCY, async ({ image, i }) => {
      await api('POST', `/v1/campaigns/${warmCampaign}/images/${image.id}/labels`, labelFor(image, i));
    });

    const bulkStarted = performance.now();
    const bulk = await api('POST', `/v1/campaigns/${bulkCampaign}/labels/bulk`, {
      labels: targets.map(({ image, i }) => ({ imageId: image.id, ...labelFor(image, i) })),
    });
    const bulkMs = performance.now() - bulkStarted;
    expectStatus(bulk, 200, 'bulk');
    if (bulk.body.labels !== LABELS) throw new Error(`bulk wrote ${String(bulk.body.labels)} labels`);

    let singleErrors = 0;
    const singleStarted = performance.now();
    await pool(targets, CONCURRENCY, async ({ image, i }) => {
      const response = await api('POST', `/v1/campaigns/${singleCampaign}/images/${image.id}/labels`, labelFor(image, i));
      if (response.status !== 201) singleErrors++;
    });
    const singleMs = performance.now() - singleStarted;

    const bulkRate = LABELS / (bulkMs / 1000);
    const singleRate = (LABELS - singleErrors) / (singleMs / 1000);
    const finalizeRate = IMAGES / (finalizeMs / 1000);
    console.log('');
    console.log('| measurement | amount | time (ms) | rate | ratio |');
    console.log('|---|---:|---:|---:|---:|');
    console.log(`| labels: bulk ingest, 1 request | ${LABELS} labels on ${Math.min(LABELS, labelled.length)} images | ${fmt(bulkMs)} | ${fmt(bulkRate)} labels/s | ${fmt(bulkRate / singleRate, 1)}× |`);
    console.log(`| labels: one request per label (${CONCURRENCY} in flight) | ${LABELS - singleErrors} labels | ${fmt(singleMs)} | ${fmt(singleRate)} labels/s | 1.0× |`);
    console.log(`| finalize job (POST → succeeded) | ${IMAGES} images | ${fmt(finalizeMs)} | ${fmt(finalizeRate)} images/s | |`);
    console.log('');
    console.log(`Node ${process.version}; errors in single-label requests: ${singleErrors}.`);
  } finally {
    await rm(folder, { recursive: true, force: true });
    child.disconnect();
  }
}

runBenchmarkOrStack({ isStackChild: Boolean(options['stack-child']), runStack, runBenchmark });
