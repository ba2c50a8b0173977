import https from 'node:https';
import type { Socket } from 'node:net';
import os from 'node:os';
import { upsertEntryAsSystem } from '../shared/catalogue/catalogue.system';
import type { ColumnStats, Metric, StatsBody, StatsResult } from '../shared/datasets/dataset.schema';
import { queryRecordPage, readSchemaDoc, type SchemaDoc } from '../shared/datasets/records.repository';
import { recordStats } from '../shared/datasets/records.query';
import { hostedRecordCount, ingestAsSystem, putSchemaAsSystem } from '../shared/datasets/records.service';
import { statsInMemory } from '../shared/datasets/records.stats';
import { compileFilter } from '../shared/query/filter.compiler';
import type { Filter } from '../shared/query/filter.schema';
import { startStack } from '../local/stack';

/**
 * Statistics pushed down into Cosmos DB (`POST …/records/stats`: one GROUP BY aggregate query)
 * against the iris_api way — fetch the matching rows and compute in the function — on a
 * 100,000-row dataset, in the same run: wall time and bytes moved between the function and
 * Cosmos DB (counted on the client's sockets, TLS included).
 *
 *   npm run bench:query [-- --rows 200000 --repeat 3 --page 5000 --compare 0]
 *
 * Runs against the stack as `npm start` builds it (`startStack`: Cosmos DB server child process
 * with `patches/@zeit+cosmosdb-query+0.7.2.patch` applied by `npm install`/`npm ci`, Azurite, the
 * development host): besides the two ways, it times the grouped stats through the API while
 * `GET /api/health` is polled. `--compare 0` skips the in-function way (it moves every row).
 */
const argument = (name: string, fallback: number) => {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
};
const ROWS = argument('rows', 100_000);
const REPEAT = argument('repeat', 3);
/** Rows per page when the function fetches rows (~0.5 MB pages; real Cosmos DB caps a page at 4 MB). */
const PAGE = argument('page', 5000);
const COMPARE = argument('compare', 1) !== 0;
const DATASET = `bench-query-iris-${ROWS}`;
const METRICS: Metric[] = ['count', 'mean', 'min', 'max', 'sum', 'stddev'];
const NUMERIC = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'] as const;
const SPECIES = ['setosa', 'versicolor', 'virginica'] as const;

// ---- bytes on the Cosmos DB client's sockets -----------------------------------------------------

let closedBytes = 0;
const live = new Set<Socket>();
const agentPrototype = https.Agent.prototype as unknown as { createConnection: (...args: unknown[]) => Socket };
const createConnection = agentPrototype.createConnection;
agentPrototype.createConnection = function counted(this: unknown, ...args: unknown[]): Socket {
  const socket = createConnection.apply(this, args);
  live.add(socket);
  socket.once('close', () => {
    closedBytes += socket.bytesRead + socket.bytesWritten;
    live.delete(socket);
  });
  return socket;
};
const bytesMoved = () => closedBytes + [...live].reduce((sum, socket) => sum + socket.bytesRead + socket.bytesWritten, 0);

// ---- data ------------------------------------------------------------------------------------------

/** Deterministic pseudo-random numbers (mulberry32), so every run measures the same data. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Iris-like rows: each species' published means and standard deviations, normally distributed. */
function syntheticCsv(rows: number): Buffer {
  const next = random(1936);
  const normal = () => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
  const shape: Record<(typeof SPECIES)[number], [number, number][]> = {
    setosa: [[5.006, 0.352], [3.428, 0.379], [1.462, 0.174], [0.246, 0.105]],
    versicolor: [[5.936, 0.516], [2.77, 0.314], [4.26, 0.47], [1.326, 0.198]],
    virginica: [[6.588, 0.636], [2.974, 0.322], [5.552, 0.552], [2.026, 0.275]],
  };
  const lines = [`${NUMERIC.join(',')},species`];
  for (let i = 0; i < rows; i++) {
    const species = SPECIES[i % 3] ?? 'setosa';
    const values = shape[species].map(([mean, sd]) => Math.max(0.1, mean + sd * normal()).toFixed(2));
    lines.push(`${values.join(',')},${species}`);
  }
  return Buffer.from(`${lines.join('\n')}\n`);
}

// ---- the two ways --------------------------------------------------------------------------------

interface Scenario {
  name: string;
  body: StatsBody;
  filter: Filter | undefined;
  groupBy: string | undefined;
}

const SCENARIOS: Scenario[] = [
  { name: 'per species, 4 columns × 6 metrics', body: { groupBy: 'species' }, filter: undefined, groupBy: 'species' },
  (() => {
    const filter: Filter = { and: [{ column: 'species', in: ['setosa', 'versicolor'] }, { column: 'sepal_width', gte: 3 }, { column: 'sepal_length', lte: 6.1 }] };
    return { name: 'iris_api filter, per species', body: { filter, groupBy: 'species' }, filter, groupBy: 'species' };
  })(),
  { name: 'whole dataset, 1 column × mean', body: { columns: ['petal_width'], metrics: ['mean'] }, filter: undefined, groupBy: undefined },
];

/** The benchmark dataset's document: where its rows are (records.layout.ts). */
async function datasetScope(): Promise<SchemaDoc> {
  const found = await readSchemaDoc(DATASET);
  if (!found) throw new Error(`${DATASET} has no schema`);
  return found.doc;
}

/** What a function does without push-down: page through the matching rows, then compute. */
async function inFunction(scenario: Scenario): Promise<Map<string, Record<string, ColumnStats>>> {
  const schemaColumns = [...NUMERIC.map((name) => ({ name, type: 'number' as const, required: true })), { name: 'species', type: 'string' as const, required: true }];
  const compiled = compileFilter(scenario.filter, schemaColumns, { prefix: 'c.values' });
  const groups = new Map<string, Record<string, number[]>>();
  const scope = await datasetScope();
  let continuation: string | undefined;
  do {
    const page = await queryRecordPage(scope, { ...compiled, projection: 'c.values', orderBy: '' }, { limit: PAGE, continuation });
    for (const row of page.items) {
      const key = scenario.groupBy ? String(row.v[scenario.groupBy]) : '';
      const columns = groups.get(key) ?? Object.fromEntries(NUMERIC.map((name) => [name, [] as number[]]));
      groups.set(key, columns);
      for (const name of NUMERIC) {
        const value = row.v[name];
        if (typeof value === 'number') columns[name]?.push(value);
      }
    }
    continuation = page.continuation;
  } while (continuation);
  const metrics = scenario.body.metrics ?? METRICS;
  const wanted = scenario.body.columns ?? [...NUMERIC];
  const result = new Map<string, Record<string, ColumnStats>>();
  for (const [key, columns] of groups) {
    result.set(key, Object.fromEntries(wanted.map((name) => [name, statsInMemory(columns[name] ?? [], metrics)])));
  }
  return result;
}

/** The two answers agree (to 1e-9 relative): the comparison is between equals. */
function check(scenario: Scenario, pushed: StatsResult, local: Map<string, Record<string, ColumnStats>>): void {
  for (const group of pushed.groups) {
    const other = local.get(group.value === null ? '' : String(group.value));
    for (const [column, stats] of Object.entries(group.columns)) {
      for (const [metric, value] of Object.entries(stats)) {
        const expected = other?.[column]?.[metric as keyof ColumnStats];
        const close = typeof value === 'number' && typeof expected === 'number' ? Math.abs(value - expected) <= 1e-9 * Math.max(1, Math.abs(expected)) : value === expected;
        if (!close) throw new Error(`${scenario.name}: ${String(group.value)} ${column} ${metric}: pushed ${value} vs in function ${expected}`);
      }
    }
  }
}

async function measure<T>(run: () => Promise<T>): Promise<{ ms: number; bytes: number; result: T }> {
  const bytesBefore = bytesMoved();
  const started = process.hrtime.bigint();
  const result = await run();
  return { ms: Number(process.hrtime.bigint() - started) / 1e6, bytes: bytesMoved() - bytesBefore, result };
}

/** A measurement that may fail (the SDK's 10 s timeout on a loaded machine): the run goes on and says so. */
async function attempt<T>(run: () => Promise<T>): Promise<{ ms: number; bytes: number; result: T | undefined; failed?: string }> {
  const started = process.hrtime.bigint();
  try {
    return await measure(run);
  } catch (error) {
    return { ms: Number(process.hrtime.bigint() - started) / 1e6, bytes: 0, result: undefined, failed: error instanceof Error ? error.message.split('\n')[0] : String(error) };
  }
}
const shown = (m: { ms: number; failed?: string }) => (m.failed ? `failed after ${m.ms.toFixed(0)} ms (${m.failed})` : `${m.ms.toFixed(0)} ms`);

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
const kb = (bytes: number) => (bytes / 1024).toFixed(1);

/** Latencies of `GET /api/health`, one after another, until `done` settles. */
async function pollHealth(baseUrl: string, done: Promise<unknown>): Promise<{ ms: number[]; statuses: Set<string> }> {
  let finished = false;
  void done.finally(() => {
    finished = true;
  });
  const ms: number[] = [];
  const statuses = new Set<string>();
  while (!finished) {
    const started = process.hrtime.bigint();
    const response = await fetch(`${baseUrl}/api/health`);
    const body = (await response.json()) as { status?: string };
    ms.push(Number(process.hrtime.bigint() - started) / 1e6);
    statuses.add(`${response.status} ${body.status ?? ''}`);
  }
  return { ms, statuses };
}

/** `POST …/records/stats` grouped by species through the development host, with health polled meanwhile. */
async function statsThroughApi(baseUrl: string): Promise<{ statsMs: number; status: number; health: { ms: number[]; statuses: Set<string> } }> {
  const started = process.hrtime.bigint();
  const request = fetch(`${baseUrl}/api/v1/datasets/${DATASET}/records/stats`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ groupBy: 'species' }),
  }).then(async (response) => {
    await response.text();
    return { statsMs: Number(process.hrtime.bigint() - started) / 1e6, status: response.status };
  });
  const [answer, health] = await Promise.all([request, pollHealth(baseUrl, request)]);
  return { ...answer, health };
}

const load = () => os.loadavg().map((value) => value.toFixed(1)).join(' ');

async function main(): Promise<void> {
  // The stack exactly as `npm start` runs it (the Cosmos DB server patched by patch-package at install).
  const stack = await startStack({ port: 0, seed: false, verbose: false });
  const baseUrl = stack.baseUrl ?? '';
  try {
    await upsertEntryAsSystem('datasets', { id: DATASET, name: `Benchmark: ${ROWS.toLocaleString('en')} iris-like rows`, status: 'published' });
    await putSchemaAsSystem(DATASET, {
      columns: [...NUMERIC.map((name) => ({ name, type: 'number' as const })), { name: 'species', type: 'string' as const, values: [...SPECIES] }],
      label: 'species',
    });
    const ingest = await measure(() => ingestAsSystem(DATASET, syntheticCsv(ROWS), 'csv', 'fail'));
    console.log(`embedded server: ingested ${ingest.result.inserted} rows in ${(ingest.ms / 1000).toFixed(1)} s (${kb(ingest.bytes)} KiB moved); load ${load()}`);
    const count = await attempt(() => hostedRecordCount(DATASET));
    console.log(`count: ${count.result ?? '?'} stored, ${shown(count)}; load ${load()}`);
    // What an API caller pays for one filtered page of 100 rows, and for the page after it.
    const filter = SCENARIOS[1]?.filter;
    const columns = [...NUMERIC.map((name) => ({ name, type: 'number' as const, required: true })), { name: 'species', type: 'string' as const, required: true }];
    const compiled = { ...compileFilter(filter, columns, { prefix: 'c.values' }), projection: 'c.values', orderBy: '' };
    const scope = await datasetScope();
    const first = await attempt(() => queryRecordPage(scope, compiled, { limit: 100 }));
    const second = await attempt(() => queryRecordPage(scope, compiled, { limit: 100, continuation: first.result?.continuation }));
    console.log(`filtered page of 100: first ${shown(first)}, next ${shown(second)}; load ${load()}`);
    const api = await statsThroughApi(baseUrl);
    const sorted = [...api.health.ms].sort((a, b) => a - b);
    console.log(
      `POST /records/stats (groupBy species) through the API: ${api.status} in ${api.statsMs.toFixed(0)} ms; meanwhile GET /api/health ` +
        `${sorted.length}× answered [${[...api.health.statuses].join(', ')}], p50 ${median(sorted).toFixed(0)} ms, max ${(sorted.at(-1) ?? 0).toFixed(0)} ms; load ${load()}\n`,
    );

    const rows: string[] = [];
    for (const scenario of SCENARIOS) {
      const pushed: { ms: number; bytes: number }[] = [];
      const local: { ms: number; bytes: number }[] = [];
      for (let i = 0; i < REPEAT; i++) {
        const a = await attempt(() => recordStats(undefined, DATASET, scenario.body));
        if (!a.result) {
          console.log(`${scenario.name}: pushed down ${shown(a)}`);
          continue;
        }
        pushed.push(a);
        if (COMPARE) {
          const b = await measure(() => inFunction(scenario));
          check(scenario, a.result, b.result);
          local.push(b);
        }
      }
      const p = { ms: median(pushed.map((m) => m.ms)), bytes: median(pushed.map((m) => m.bytes)) };
      const l = { ms: median(local.map((m) => m.ms)), bytes: median(local.map((m) => m.bytes)) };
      if (pushed.length === 0) {
        rows.push(`| ${scenario.name} | timed out | – | – | – | – | – |`);
        continue;
      }
      rows.push(
        COMPARE
          ? `| ${scenario.name} | ${p.ms.toFixed(0)} | ${l.ms.toFixed(0)} | ${(l.ms / p.ms).toFixed(1)}× | ${kb(p.bytes)} | ${kb(l.bytes)} | ${(l.bytes / p.bytes).toFixed(0)}× |`
          : `| ${scenario.name} | ${p.ms.toFixed(0)} | – | – | ${kb(p.bytes)} | – | – |`,
      );
    }
    console.log(
      `Stats on ${ROWS.toLocaleString('en')} rows: pushed down vs rows fetched (pages of ${PAGE}) and computed in the function ` +
        `(median of ${REPEAT}, Node ${process.version}, load ${load()})\n`,
    );
    console.log('| scenario | pushed down ms | in function ms | time ratio (function/pushed) | pushed KiB | in function KiB | bytes ratio |');
    console.log('|---|---:|---:|---:|---:|---:|---:|');
    for (const row of rows) console.log(row);
  } finally {
    await stack.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
