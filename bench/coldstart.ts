import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * Cold start: how long a fresh Node process takes to import the compiled app (every file
 * `package.json` `main` names, with `@azure/functions-core` provided as the worker provides it),
 * next to a bare `@azure/functions` hello-world, measured in the same run.
 *
 *   npm run bench:coldstart [-- --runs 20]
 */
const root = path.resolve(__dirname, '..', '..');
const runs = Number(process.argv[process.argv.indexOf('--runs') + 1] || 20);

function script(body: string): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'coldstart-')), 'run.js');
  writeFileSync(file, body);
  return file;
}

const preamble = `
const started = process.hrtime.bigint();
require(${JSON.stringify(path.join(root, 'dist/local/functions-core.js'))}).installFunctionsCore();
`;
const report = `process.stdout.write(String(Number(process.hrtime.bigint() - started) / 1e6));`;

/** The app as one esbuild bundle (SDKs stay outside: the app loads them lazily on first use). */
function bundle(): string {
  const { buildSync } = require('esbuild') as typeof import('esbuild');
  const directory = mkdtempSync(path.join(tmpdir(), 'coldstart-bundle-'));
  const entry = path.join(directory, 'entry.js');
  const files = (require(path.join(root, 'dist/local/devhost.js')) as typeof import('../local/devhost')).functionFiles(root);
  writeFileSync(entry, files.map((file) => `require(${JSON.stringify(file)});`).join('\n'));
  const outfile = path.join(directory, 'app.js');
  buildSync({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    target: 'node22',
    outfile,
    external: ['@azure/functions-core', '@azure/cosmos', '@azure/storage-blob', '@azure/service-bus', '@azure/identity', 'jose', 'openapi3-ts', 'swagger-ui-dist'],
    logLevel: 'error',
  });
  return outfile;
}

const variants: Record<string, string> = {
  'bare @azure/functions hello-world': script(`${preamble}
const { app } = require(${JSON.stringify(require.resolve('@azure/functions'))});
app.http('hello', { handler: async () => ({ body: 'hello' }) });
${report}`),
  'this app (dist/functions/*.js)': script(`${preamble}
for (const file of require(${JSON.stringify(path.join(root, 'dist/local/devhost.js'))}).functionFiles(${JSON.stringify(root)})) require(file);
${report}`),
  'this app, bundled with esbuild (one file)': script(`${preamble}
require(${JSON.stringify(bundle())});
${report}`),
};

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

function measure(file: string): { importMs: number; processMs: number } {
  const imports: number[] = [];
  const processes: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = process.hrtime.bigint();
    const result = spawnSync(process.execPath, [file], { encoding: 'utf8' });
    processes.push(Number(process.hrtime.bigint() - started) / 1e6);
    if (result.status !== 0) throw new Error(result.stderr);
    imports.push(Number(result.stdout));
  }
  return { importMs: median(imports), processMs: median(processes) };
}

const results = Object.entries(variants).map(([name, file]) => ({ name, ...measure(file) }));
const baseline = results[0];
console.log(`Cold start, median of ${runs} fresh processes each (Node ${process.version})\n`);
console.log('| variant | import (ms) | whole process (ms) | import vs hello-world |');
console.log('|---|---:|---:|---:|');
for (const r of results) {
  console.log(`| ${r.name} | ${r.importMs.toFixed(1)} | ${r.processMs.toFixed(1)} | ${(r.importMs / (baseline?.importMs ?? 1)).toFixed(2)}× |`);
}
