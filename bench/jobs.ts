/**
 * Inference jobs benchmark (`npm run bench:jobs`, which builds and runs dist/bench/jobs.js; never
 * part of `npm test`).
 *
 * A child process starts the embedded stack from dist/ (Cosmos DB server, Azurite, development host
 * with its in-process Service Bus queue and the builtin models seeded). This process submits jobs over
 * HTTP and measures, end to end (POST … 202 → worker → result stored → `succeeded`), in the same run:
 *   - the builtin iris classifier: N distinct inputs (cache misses), then the same N again (hits);
 *   - an `http` model — a scoring server here answering after a fixed delay, as a remote endpoint
 *     would — N distinct inputs, then the same N again.
 * It prints jobs/s and per-job latency (the job's own createdAt → finishedAt) for each phase, and the
 * cache-hit speed-up of each model (hits vs misses).
 *
 *   npm run bench:jobs -- --jobs 200 --concurrency 16 --latency 250
 */
import { fork, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { startStack } from '../local/stack';
import { runBenchmarkOrStack } from './entry';

interface Ready {
  baseUrl: string;
  adminKey: string;
}

interface JobView {
  id: string;
  status: string;
  createdAt: string;
  finishedAt: string | null;
}

interface Phase {
  name: string;
  jobs: number;
  failed: number;
  seconds: number;
  jobsPerSecond: number;
  p50: number;
  p95: number;
}

const { values } = parseArgs({
  options: {
    jobs: { type: 'string', default: '200' },
    concurrency: { type: 'string', default: '16' },
    latency: { type: 'string', default: '250' },
    'stack-child': { type: 'boolean', default: false },
  },
});
const JOBS = Number(values.jobs);
const CONCURRENCY = Number(values.concurrency);
const LATENCY_MS = Number(values.latency);

// ----------------------------------------------------------------------------------------------
// Child: the stack
// ----------------------------------------------------------------------------------------------

async function runStack(): Promise<void> {
  const stack = await startStack({ port: 0, seed: true, verbose: false, settings: { MODEL_SECRET_BENCH: 'bench-key' } });
  const ready: Ready = { baseUrl: stack.baseUrl ?? '', adminKey: stack.adminKey ?? '' };
  process.send?.(ready);
  process.on('disconnect', () => {
    void stack.stop().then(() => process.exit(0));
  });
}

// ----------------------------------------------------------------------------------------------
// Parent: load and measurements
// ----------------------------------------------------------------------------------------------

async function api<T>(ready: Ready, method: string, path: string, key: string, body?: unknown): Promise<{ status: number; body: T }> {
  const response = await fetch(`${ready.baseUrl}/api${path}`, {
    method,
    headers: { 'X-API-Key': key, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
}

async function readerWithGrant(ready: Ready, modelId: string): Promise<string> {
  const key = await api<{ key: string }>(ready, 'POST', '/v1/api-keys', ready.adminKey, { name: 'bench reader', roles: ['reader'] });
  if (key.status !== 201) throw new Error(`key: ${key.status}`);
  const principal = encodeURIComponent(`apikey:${key.body.key.split('.')[0]}`);
  const grant = await api(ready, 'PUT', `/v1/models/${modelId}/grants/${principal}`, ready.adminKey, { dailyLimit: 100_000, monthlyLimit: 100_000 });
  if (grant.status !== 201) throw new Error(`grant: ${grant.status}`);
  return key.body.key;
}

/** Runs `task` over `items` with at most `limit` in flight. */
async function pool<T>(items: T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const item = items[next++] as T;
        await task(item);
      }
    }),
  );
}

async function ownJobs(ready: Ready, modelId: string, key: string): Promise<JobView[]> {
  const jobs: JobView[] = [];
  let cursor: string | null = null;
  do {
    const page: { body: { items: JobView[]; nextCursor: string | null } } = await api(
      ready,
      'GET',
      `/v1/models/${modelId}/jobs?limit=100${cursor ? `&cursor=${cursor}` : ''}`,
      key,
    );
    jobs.push(...page.body.items);
    cursor = page.body.nextCursor;
  } while (cursor);
  return jobs;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;
}

async function phase(ready: Ready, name: string, modelId: string, inputs: unknown[]): Promise<Phase> {
  const key = await readerWithGrant(ready, modelId);
  const started = Date.now();
  await pool(inputs, CONCURRENCY, async (input) => {
    const submitted = await api(ready, 'POST', `/v1/models/${modelId}/jobs`, key, { input });
    if (submitted.status !== 202) throw new Error(`${name}: submit answered ${submitted.status}`);
  });
  let jobs: JobView[] = [];
  for (;;) {
    await fetch(`${ready.baseUrl}/admin/queues-idle`, { method: 'POST' });
    jobs = await ownJobs(ready, modelId, key);
    if (jobs.length === inputs.length && jobs.every((job) => job.finishedAt !== null)) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const ended = Math.max(...jobs.map((job) => Date.parse(job.finishedAt ?? '')));
  const seconds = (ended - started) / 1000;
  const latencies = jobs.map((job) => Date.parse(job.finishedAt ?? '') - Date.parse(job.createdAt)).sort((a, b) => a - b);
  return {
    name,
    jobs: jobs.length,
    failed: jobs.filter((job) => job.status !== 'succeeded').length,
    seconds,
    jobsPerSecond: jobs.length / seconds,
    p50: percentile(latencies, 0.5),
    p95: percentile(latencies, 0.95),
  };
}

function irisInputs(n: number, salt: number): unknown[] {
  // Distinct, valid measurements (cm, two decimals).
  return Array.from({ length: n }, (_, i) => ({
    sepal_length: 4 + ((i * 7 + salt) % 400) / 100,
    sepal_width: 2 + ((i * 13 + salt) % 250) / 100,
    petal_length: 1 + ((i * 17 + salt) % 590) / 100,
    petal_width: 0.1 + ((i * 19 + salt) % 240) / 100,
    // Makes every input unique even where the measurements repeat.
    ...(i >= 400 ? { sepal_length: 4 + i / 10_000 } : {}),
  }));
}

async function scoringServer(): Promise<{ url: string; calls: () => number; close(): Promise<void> }> {
  let calls = 0;
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      calls++;
      setTimeout(() => res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ score: 0.5 })), LATENCY_MS);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/score`,
    calls: () => calls,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function table(phases: Phase[]): string {
  const lines = [
    '| phase | jobs | failed | wall (s) | jobs/s | p50 latency (ms) | p95 latency (ms) |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...phases.map(
      (p) => `| ${p.name} | ${p.jobs} | ${p.failed} | ${p.seconds.toFixed(1)} | ${p.jobsPerSecond.toFixed(1)} | ${p.p50.toFixed(0)} | ${p.p95.toFixed(0)} |`,
    ),
  ];
  return lines.join('\n');
}

async function runBenchmark(): Promise<void> {
  console.log('Starting the stack (Cosmos DB server, Azurite, development host, builtin models)…');
  const child: ChildProcess = fork(__filename, ['--stack-child'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const ready = await new Promise<Ready>((resolve, reject) => {
    child.once('message', (message) => resolve(message as Ready));
    child.once('exit', (code) => reject(new Error(`the stack process exited (${code})`)));
  });
  const scorer = await scoringServer();
  try {
    // The app setting the model's key comes from: any setting the stack has (the scorer ignores it).
    const model = await api<{ id: string }>(ready, 'POST', '/v1/catalogue/models', ready.adminKey, {
      name: 'bench remote scorer',
      version: '1',
      status: 'published',
      runtime: { kind: 'http', url: scorer.url, auth: { kind: 'key', secretSetting: 'MODEL_SECRET_BENCH' } },
    });
    if (model.status !== 201) throw new Error(`model: ${model.status}`);
    // Warm up: JIT, connection pools, the iris parameters, the container caches.
    await phase(ready, 'warm-up', 'iris-classifier', irisInputs(20, 999));

    console.log(`Measuring ${JOBS} jobs per phase, ${CONCURRENCY} submissions in flight, remote model latency ${LATENCY_MS} ms…`);
    const iris = irisInputs(JOBS, 1);
    const remote = Array.from({ length: JOBS }, (_, i) => ({ item: i, text: `bench input ${i}` }));
    const phases = [
      await phase(ready, 'iris-classifier (builtin), distinct inputs', 'iris-classifier', iris),
      await phase(ready, 'iris-classifier (builtin), same inputs again (cache hits)', 'iris-classifier', iris),
      await phase(ready, `http model (${LATENCY_MS} ms), distinct inputs`, model.body.id, remote),
      await phase(ready, `http model (${LATENCY_MS} ms), same inputs again (cache hits)`, model.body.id, remote),
    ];
    const [irisMiss, irisHit, httpMiss, httpHit] = phases as [Phase, Phase, Phase, Phase];
    console.log(`\n${table(phases)}\n`);
    console.log(
      `Cache-hit speed-up (jobs/s, hits ÷ misses): iris ${(irisHit.jobsPerSecond / irisMiss.jobsPerSecond).toFixed(2)}×, ` +
        `http model ${(httpHit.jobsPerSecond / httpMiss.jobsPerSecond).toFixed(2)}×; ` +
        `p50 latency misses ÷ hits: iris ${(irisMiss.p50 / irisHit.p50).toFixed(2)}×, http model ${(httpMiss.p50 / httpHit.p50).toFixed(2)}×.`,
    );
    console.log(`Scoring server calls: ${scorer.calls()} for ${2 * JOBS} http jobs (each distinct input computed once).`);
    console.log(`Node ${process.version}.`);
  } finally {
    await scorer.close();
    child.disconnect();
  }
}

runBenchmarkOrStack({ isStackChild: Boolean(values['stack-child']), runStack, runBenchmark });
