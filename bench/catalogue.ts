/**
 * Catalogue benchmark (`npm run bench:catalogue`, which builds and runs dist/bench/catalogue.js;
 * never part of `npm test`).
 *
 * A child process starts the embedded stack from dist/ (Cosmos DB server + development host, as the
 * tests do) and seeds 1,000 published datasets. This process then measures, on the same emulator in
 * the same run and with the same concurrency (10, or `-- --connections N`):
 *   - GET /api/v1/catalogue/datasets/{id} through the host  vs  a direct @azure/cosmos point read;
 *   - the same point read behind `node:http` alone, and in an empty Functions handler on the same
 *     host (`catalogue.floors.ts`): what the platform costs before any code of ours runs;
 *   - a filtered list (platform + keyword, 20 per page)     vs  the equivalent query through the SDK;
 * and prints requests/s, p50 and p99 for each, with the ratios (our overhead over the store alone).
 * Every variant runs in the same number of concurrent loops, interleaved in rounds so that a change
 * of load on a shared machine falls on all of them, and is timed with `performance.now()` (autocannon
 * reports whole milliseconds, too coarse for one caller). The load generators run here, the host in
 * the child, so they do not share an event loop.
 */
import { fork, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import https from 'node:https';
import { CosmosClient } from '@azure/cosmos';
// Compiled to dist/bench/, these are dist/local/stack.js (as the tests' global setup uses) and the catalogue service.
import { upsertEntryAsSystem } from '../shared/catalogue/catalogue.system';
import { startStack } from '../local/stack';
import { FUNCTIONS_FLOOR_PATH, registerFunctionsFloor, startBareFloor } from './catalogue.floors';
import { runBenchmarkOrStack } from './entry';

const ENTRIES = 1_000;
// Concurrent callers (`--connections N`): 10 measures a saturated instance, 1 the latency one caller meets.
const CONNECTIONS = Number(process.argv.includes('--connections') ? process.argv[process.argv.indexOf('--connections') + 1] : 10);
const ROUNDS = 5;
const SECONDS_PER_ROUND = 2;
const PLATFORM = 'bench';
const KEYWORD = 'k3';

interface Ready {
  baseUrl: string;
  /** The bare `node:http` floor (`catalogue.floors.ts`). */
  bareFloorUrl: string;
  settings: Record<string, string>;
  ids: string[];
}

interface Measurement {
  name: string;
  requestsPerSecond: number;
  p50: number;
  p99: number;
  errors: number;
}

// ----------------------------------------------------------------------------------------------
// Child: the stack and the data
// ----------------------------------------------------------------------------------------------

async function runStack(): Promise<void> {
  registerFunctionsFloor();
  const stack = await startStack({ port: 0, seed: false, verbose: false, scheduledTimers: false });
  const bareFloor = await startBareFloor();
  const ids = Array.from({ length: ENTRIES }, (_, i) => `bench-${String(i).padStart(5, '0')}`);
  for (let i = 0; i < ids.length; i += 25) {
    await Promise.all(
      ids.slice(i, i + 25).map((id, j) =>
        upsertEntryAsSystem('datasets', {
          id,
          name: `Benchmark dataset ${i + j}`,
          description: { plain: 'A synthetic dataset entry of realistic size for the catalogue benchmark.' },
          keywords: ['bench', `k${(i + j) % 10}`],
          license: 'CC-BY-4.0',
          version: '1.0.0',
          contacts: [{ type: 'persons', name: 'Bench Person', email: 'bench@example.org' }],
          distributions: [{ contentUrl: `https://data.example.org/bench/${id}.csv`, encodingFormat: 'text/csv', contentSizeBytes: 123_456, checksum: 'a'.repeat(64), checksumAlgorithm: 'sha256' }],
          platform: PLATFORM,
          platformResourceIdentifier: id,
          status: 'published',
        }),
      ),
    );
  }
  const ready: Ready = { baseUrl: stack.baseUrl ?? '', bareFloorUrl: bareFloor.url, settings: stack.settings, ids };
  process.send?.(ready);
  process.on('disconnect', () => {
    bareFloor.close();
    void stack.stop().then(() => process.exit(0));
  });
}

// ----------------------------------------------------------------------------------------------
// Parent: the measurements
// ----------------------------------------------------------------------------------------------

interface Variant {
  name: string;
  /** One call; resolves when the whole answer is in, rejects on anything but success. */
  call: () => Promise<unknown>;
}

interface Timing {
  latencies: number[];
  seconds: number;
  errors: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

/** `CONNECTIONS` loops calling `call` for `seconds`, adding to `timing`. */
async function runFor(call: () => Promise<unknown>, seconds: number, timing: Timing): Promise<void> {
  const deadline = performance.now() + seconds * 1000;
  const loop = async () => {
    while (performance.now() < deadline) {
      const started = performance.now();
      try {
        await call();
        timing.latencies.push(performance.now() - started);
      } catch {
        timing.errors++;
      }
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: CONNECTIONS }, loop));
  timing.seconds += (performance.now() - started) / 1000;
}

/** Every variant for `rounds` × `seconds`, interleaved round by round: load that comes and goes falls on all. */
async function measureInterleaved(variants: Variant[], rounds: number, seconds: number): Promise<Map<string, Measurement>> {
  const timings = new Map(variants.map((variant) => [variant.name, { latencies: [], seconds: 0, errors: 0 } as Timing]));
  for (let round = 0; round < rounds; round++) {
    for (const variant of variants) await runFor(variant.call, seconds, timings.get(variant.name) as Timing);
  }
  return new Map(
    [...timings].map(([name, timing]) => {
      const sorted = timing.latencies.sort((a, b) => a - b);
      return [name, { name, requestsPerSecond: sorted.length / timing.seconds, p50: percentile(sorted, 50), p99: percentile(sorted, 99), errors: timing.errors }];
    }),
  );
}

/** A GET over one keep-alive pool of `CONNECTIONS` sockets, read to its end; anything but 200 rejects. */
function httpGetter(): (url: string) => Promise<void> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  return (url) =>
    new Promise((resolve, reject) => {
      http
        .get(url, { agent }, (response) => {
          response.resume();
          response.once('end', () => (response.statusCode === 200 ? resolve() : reject(new Error(`${url}: ${response.statusCode}`))));
          response.once('error', reject);
        })
        .once('error', reject);
    });
}

function cosmosClient(settings: Record<string, string>): CosmosClient {
  const parts = new Map(
    (settings.COSMOS ?? '')
      .split(';')
      .filter(Boolean)
      .map((part) => [part.slice(0, part.indexOf('=')).toLowerCase(), part.slice(part.indexOf('=') + 1)] as const),
  );
  // Loopback emulator with a self-signed certificate, as in the app's local configuration.
  const agent = new https.Agent({ rejectUnauthorized: false, keepAlive: true });
  return new CosmosClient({ endpoint: parts.get('accountendpoint') ?? '', key: parts.get('accountkey') ?? '', agent, connectionPolicy: { enableEndpointDiscovery: false } });
}

const fmt = (value: number, digits = 2) => value.toFixed(digits);

function table(rows: [Measurement, Measurement][]): string {
  const lines = [
    '| operation | ours req/s | ours p50 ms | ours p99 ms | direct req/s | direct p50 ms | direct p99 ms | throughput ratio (direct/ours) | p50 ratio (ours/direct) |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const [ours, baseline] of rows) {
    lines.push(
      `| ${ours.name} | ${fmt(ours.requestsPerSecond, 0)} | ${fmt(ours.p50)} | ${fmt(ours.p99)} | ${fmt(baseline.requestsPerSecond, 0)} | ${fmt(baseline.p50)} | ${fmt(baseline.p99)} | ${fmt(baseline.requestsPerSecond / ours.requestsPerSecond, 2)}× | ${fmt(ours.p50 / Math.max(baseline.p50, 0.001), 2)}× |`,
    );
  }
  return lines.join('\n');
}

async function runBenchmark(): Promise<void> {
  console.log(`Starting the stack and seeding ${ENTRIES} datasets…`);
  const child: ChildProcess = fork(__filename, ['--stack-child'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const ready = await new Promise<Ready>((resolve, reject) => {
    child.once('message', (message) => resolve(message as Ready));
    child.once('exit', (code) => reject(new Error(`the stack process exited (${code})`)));
  });
  const client = cosmosClient(ready.settings);
  try {
    const catalogue = client.database(ready.settings.COSMOS_DATABASE ?? 'mlassets').container('catalogue');
    const get = httpGetter();
    let next = 0;
    const nextId = () => ready.ids[next++ % ready.ids.length] ?? '';
    const listPath = `/api/v1/catalogue/datasets?platform=${PLATFORM}&keyword=${KEYWORD}&limit=20`;
    // The query the repository runs for that list, for an anonymous caller.
    const listQuery = {
      query:
        "SELECT * FROM c WHERE c.docType = 'entry' AND NOT IS_DEFINED(c.deletedAt) AND c.type = @type AND c.status = 'published' " +
        'AND ARRAY_CONTAINS(c.keywords, @keyword0) AND c.platform = @platform ORDER BY c.dateModified DESC',
      parameters: [
        { name: '@type', value: 'datasets' },
        { name: '@keyword0', value: KEYWORD },
        { name: '@platform', value: PLATFORM },
      ],
    };

    const check = await fetch(`${ready.baseUrl}${listPath}`);
    const page = (await check.json()) as { items: unknown[] };
    if (check.status !== 200 || page.items.length !== 20) throw new Error(`unexpected list answer ${check.status}`);

    const variants: Variant[] = [
      { name: 'GET /catalogue/datasets/{id}', call: () => get(`${ready.baseUrl}/api/v1/catalogue/datasets/${nextId()}`) },
      { name: 'the read behind node:http alone', call: () => get(`${ready.bareFloorUrl}/${nextId()}`) },
      { name: 'the read in an empty Functions handler', call: () => get(`${ready.baseUrl}/${FUNCTIONS_FLOOR_PATH}/${nextId()}`) },
      {
        name: 'point read',
        // The catalogue is partitioned by id: a point read names the id twice.
        call: () => {
          const id = nextId();
          return catalogue.item(id, id).read();
        },
      },
      { name: 'GET /catalogue/datasets?platform&keyword (20)', call: () => get(`${ready.baseUrl}${listPath}`) },
      { name: 'query', call: () => catalogue.items.query(listQuery, { maxItemCount: 20, enableQueryControl: true }).fetchNext() },
    ];
    // Warm every path (JIT, connection pools) before measuring.
    await measureInterleaved(variants, 1, 1);

    console.log(`Measuring, ${ROUNDS} interleaved rounds of ${SECONDS_PER_ROUND} s per variant, ${CONNECTIONS} connections…`);
    const measured = await measureInterleaved(variants, ROUNDS, SECONDS_PER_ROUND);
    const of = (name: string) => measured.get(name) as Measurement;
    const [api, bare, functions, read, list, query] = variants.map((variant) => of(variant.name));
    if (!api || !bare || !functions || !read || !list || !query) throw new Error('a variant was not measured');
    const rows: [Measurement, Measurement][] = [
      [api, read],
      [bare, read],
      [functions, read],
      [list, query],
    ];
    const errors = [...measured.values()].reduce((sum, m) => sum + m.errors, 0);
    console.log(`\n${table(rows)}\n`);
    console.log(`What the app adds over the empty Functions handler (ours / floor): p50 ${fmt(api.p50 / functions.p50, 2)}×, throughput ${fmt(functions.requestsPerSecond / api.requestsPerSecond, 2)}×.`);
    console.log(`Node ${process.version}, ${ENTRIES} entries, ${CONNECTIONS} connections, ${ROUNDS} × ${SECONDS_PER_ROUND} s per variant, errors: ${errors}.`);
  } finally {
    client.dispose();
    child.disconnect();
  }
}

runBenchmarkOrStack({ isStackChild: process.argv.includes('--stack-child'), runStack, runBenchmark });
