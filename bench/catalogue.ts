/**
 * Catalogue benchmark (`npm run bench:catalogue`, which builds and runs dist/bench/catalogue.js;
 * never part of `npm test`).
 *
 * A child process starts the embedded stack from dist/ (Cosmos DB server + development host, as the
 * tests do) and seeds 1,000 published datasets. This process then measures, on the same emulator in
 * the same run and with the same concurrency (10, or `-- --connections N`):
 *   - GET /api/v1/catalogue/datasets/{id} through the host  vs  a direct @azure/cosmos point read;
 *   - a filtered list (platform + keyword, 20 per page)     vs  the equivalent query through the SDK;
 * and prints requests/s, p50 and p99 for each, with the ratios (our overhead over the store alone).
 * The load generators run here, the host in the child, so they do not share an event loop.
 */
import { fork, type ChildProcess } from 'node:child_process';
import https from 'node:https';
import { CosmosClient } from '@azure/cosmos';
// Compiled to dist/bench/, these are dist/local/stack.js (as the tests' global setup uses) and the catalogue service.
import { upsertEntryAsSystem } from '../shared/catalogue/catalogue.system';
import { startStack } from '../local/stack';
import { runBenchmarkOrStack } from './entry';

const ENTRIES = 1_000;
// Concurrent callers (`--connections N`): 10 measures a saturated instance, 1 the latency one caller meets.
const CONNECTIONS = Number(process.argv.includes('--connections') ? process.argv[process.argv.indexOf('--connections') + 1] : 10);
const DURATION_SECONDS = 10;
const PLATFORM = 'bench';
const KEYWORD = 'k3';

interface Ready {
  baseUrl: string;
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
  const stack = await startStack({ port: 0, seed: false, verbose: false });
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
  const ready: Ready = { baseUrl: stack.baseUrl ?? '', settings: stack.settings, ids };
  process.send?.(ready);
  process.on('disconnect', () => {
    void stack.stop().then(() => process.exit(0));
  });
}

// ----------------------------------------------------------------------------------------------
// Parent: the measurements
// ----------------------------------------------------------------------------------------------

interface AutocannonRequest {
  method?: string;
  path?: string;
  setupRequest?: (request: { path: string }) => { path: string };
}
interface AutocannonResult {
  requests: { average: number };
  latency: { p50: number; p99: number };
  errors: number;
  non2xx: number;
}
type Autocannon = (options: { url: string; connections: number; duration: number; requests: AutocannonRequest[] }) => Promise<AutocannonResult>;

async function throughHost(name: string, baseUrl: string, nextPath: () => string, duration = DURATION_SECONDS): Promise<Measurement> {
  const autocannon = require('autocannon') as Autocannon;
  const result = await autocannon({
    url: baseUrl,
    connections: CONNECTIONS,
    duration,
    requests: [{ method: 'GET', setupRequest: (request) => ({ ...request, path: nextPath() }) }],
  });
  return { name, requestsPerSecond: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, errors: result.errors + result.non2xx };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

/** `concurrency` loops calling `operation` for `duration` seconds: the same shape of load as autocannon's connections. */
async function direct(name: string, operation: () => Promise<unknown>, duration = DURATION_SECONDS): Promise<Measurement> {
  const latencies: number[] = [];
  let errors = 0;
  const deadline = performance.now() + duration * 1000;
  const loop = async () => {
    while (performance.now() < deadline) {
      const started = performance.now();
      try {
        await operation();
        latencies.push(performance.now() - started);
      } catch {
        errors++;
      }
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: CONNECTIONS }, loop));
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { name, requestsPerSecond: latencies.length / elapsed, p50: percentile(latencies, 50), p99: percentile(latencies, 99), errors };
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

const fmt = (value: number, digits = 1) => value.toFixed(digits);

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
    let next = 0;
    const nextId = () => ready.ids[next++ % ready.ids.length] ?? '';
    // The catalogue is partitioned by id: a point read names the id twice.
    const pointRead = () => {
      const id = nextId();
      return catalogue.item(id, id).read();
    };
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

    // Warm both paths (JIT, connection pools) before measuring.
    await throughHost('warm-up', ready.baseUrl, () => `/api/v1/catalogue/datasets/${nextId()}`, 2);
    await direct('warm-up', pointRead, 2);

    console.log(`Measuring, ${DURATION_SECONDS} s each, ${CONNECTIONS} connections…`);
    const rows: [Measurement, Measurement][] = [];
    rows.push([
      await throughHost('GET /catalogue/datasets/{id}', ready.baseUrl, () => `/api/v1/catalogue/datasets/${nextId()}`),
      await direct('point read', pointRead),
    ]);
    rows.push([
      await throughHost('GET /catalogue/datasets?platform&keyword (20)', ready.baseUrl, () => listPath),
      await direct('query', () => catalogue.items.query(listQuery, { maxItemCount: 20, enableQueryControl: true }).fetchNext()),
    ]);
    const errors = rows.flat().reduce((sum, m) => sum + m.errors, 0);
    console.log(`\n${table(rows)}\n`);
    console.log(`Node ${process.version}, ${ENTRIES} entries, ${CONNECTIONS} connections, ${DURATION_SECONDS} s per row, errors: ${errors}.`);
  } finally {
    client.dispose();
    child.disconnect();
  }
}

runBenchmarkOrStack({ isStackChild: process.argv.includes('--stack-child'), runStack, runBenchmark });
