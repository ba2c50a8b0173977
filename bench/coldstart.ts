import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * Cold start: how long a fresh Node process takes to import the compiled app (with
 * `@azure/functions-core` provided as the worker provides it) — unbundled, and as deployed (the
 * esbuild bundle's `dist/main.js`, which `package.json` `main` names, built by `npm run build`) —
 * next to a bare `@azure/functions` hello-world, measured in the same run. Also: the bundle plus
 * compiling `dist/app.js`, which the first call of any function adds, and with `--compare <dir>` the
 * bundle another checkout built (`<dir>/dist/main.js`), for a same-run before/after.
 *
 *   npm run bench:coldstart [-- --runs 20] [--compare ../before]
 */
const root = path.resolve(__dirname, '..', '..');
const option = (name: string): string | undefined => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : undefined);
const runs = Number(option('--runs') || 20);
const compare = option('--compare');

function script(body: string): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'coldstart-')), 'run.js');
  writeFileSync(file, body);
  return file;
}

// Wall time and this process's CPU time for the import: on a shared machine CPU time is the steadier
// of the two (another tenant's load stretches wall time, not the work done).
const preamble = `
const started = process.hrtime.bigint();
const cpu = process.cpuUsage();
require(${JSON.stringify(path.join(root, 'dist/local/functions-core.js'))}).installFunctionsCore();
`;
const report = `const used = process.cpuUsage(cpu);
process.stdout.write(JSON.stringify({ wallMs: Number(process.hrtime.bigint() - started) / 1e6, cpuMs: (used.user + used.system) / 1000 }));`;

// The file lists are worked out here, so the measured processes load nothing but the app.
const { functionFiles, unbundledFunctionFiles } = require(path.join(root, 'dist/local/devhost.loader.js')) as typeof import('../local/devhost.loader');
const requireAll = (files: string[]) => files.map((file) => `require(${JSON.stringify(file)});`).join('\n');

const variants: Record<string, string> = {
  'bare @azure/functions hello-world': script(`${preamble}
const { app } = require(${JSON.stringify(require.resolve('@azure/functions'))});
app.http('hello', { handler: async () => ({ body: 'hello' }) });
${report}`),
  'this app unbundled (dist/functions/*.js)': script(`${preamble}
${requireAll(unbundledFunctionFiles(root))}
${report}`),
  'this app as deployed: the esbuild bundle (dist/main.js)': script(`${preamble}
${requireAll(functionFiles(root))}
${report}`),
  // What the first call adds before its own modules run: V8 compiling app.js (its entry runs no module).
  'the bundle, then app.js compiled (paid by the first call)': script(`${preamble}
${requireAll(functionFiles(root))}
require(${JSON.stringify(path.join(root, 'dist/app.js'))});
${report}`),
  ...(compare
    ? {
        [`the bundle built in ${compare}`]: script(`${preamble}
require(${JSON.stringify(path.resolve(compare, 'dist/main.js'))});
${report}`),
      }
    : {}),
};

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

interface Sample {
  wallMs: number;
  cpuMs: number;
  processMs: number;
}

function sampleOnce(file: string): Sample {
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, [file], { encoding: 'utf8' });
  const processMs = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.status !== 0) throw new Error(result.stderr);
  return { ...(JSON.parse(result.stdout) as { wallMs: number; cpuMs: number }), processMs };
}

// Round-robin over the variants, so a burst of load elsewhere lands on all of them alike.
const samples = new Map<string, Sample[]>(Object.keys(variants).map((name) => [name, []]));
for (let i = 0; i < runs; i++) {
  for (const [name, file] of Object.entries(variants)) samples.get(name)?.push(sampleOnce(file));
}
const results = [...samples].map(([name, list]) => ({
  name,
  wallMs: median(list.map((s) => s.wallMs)),
  cpuMs: median(list.map((s) => s.cpuMs)),
  processMs: median(list.map((s) => s.processMs)),
}));
const [baseline, unbundled, bundled] = results;
console.log(`Cold start, median of ${runs} fresh processes each, variants interleaved (Node ${process.version})\n`);
console.log('| variant | import, wall (ms) | import, CPU (ms) | whole process (ms) | import wall vs hello-world |');
console.log('|---|---:|---:|---:|---:|');
for (const r of results) {
  console.log(`| ${r.name} | ${r.wallMs.toFixed(1)} | ${r.cpuMs.toFixed(1)} | ${r.processMs.toFixed(1)} | ${(r.wallMs / (baseline?.wallMs ?? 1)).toFixed(2)}× |`);
}
if (unbundled && bundled) {
  console.log(`\nbundle vs unbundled: import wall ${(unbundled.wallMs / bundled.wallMs).toFixed(2)}× faster, CPU ${(unbundled.cpuMs / bundled.cpuMs).toFixed(2)}× less`);
}
