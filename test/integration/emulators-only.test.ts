import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * `npm run emulators` is the first half of the `func start` path (README, "Three ways to run"): what
 * it prints is pasted into local.settings.json "Values", so every setting must be there and work.
 * Core Tools itself cannot run here; this checks the part that is ours.
 */
const START = resolve(__dirname, '../../dist/local/start.js');
let child: ChildProcess | undefined;

afterAll(async () => {
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((done) => child?.once('exit', done));
  child.kill('SIGTERM');
  await exited;
});

/** Runs emulators-only mode until it has printed the settings block; the settings it printed. */
async function printedSettings(): Promise<Record<string, string>> {
  child = spawn(process.execPath, [START, '--emulators-only', '--quiet'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  await new Promise<void>((done, fail) => {
    child?.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (/^\s*}\s*$/m.test(output.split('Emulators running')[1] ?? '')) done();
    });
    child?.once('exit', (code) => fail(new Error(`emulators-only mode exited (${String(code)}) before printing settings:\n${output}`)));
  });
  const block = output.slice(output.indexOf('{', output.indexOf('Emulators running')));
  return (JSON.parse(block.slice(0, block.indexOf('\n}') + 2)) as { Values: Record<string, string> }).Values;
}

describe('npm run emulators (emulators-only mode)', () => {
  it('prints every setting func start needs, as local.settings.json JSON, and AzureWebJobsStorage works', { timeout: 180_000 }, async () => {
    const values = await printedSettings();
    expect(Object.keys(values)).toEqual(expect.arrayContaining(['AzureWebJobsStorage', 'FUNCTIONS_WORKER_RUNTIME', 'COSMOS', 'STORAGE', 'COSMOS_DATABASE']));
    expect(values.AzureWebJobsStorage).toMatch(/AccountKey=/);
    // The host takes its locks (timer triggers) and keys in blobs: the connection string must reach Azurite.
    const client = BlobServiceClient.fromConnectionString(values.AzureWebJobsStorage ?? '');
    await client.getContainerClient('azure-webjobs-hosts').createIfNotExists();
    const names: string[] = [];
    for await (const container of client.listContainers()) names.push(container.name);
    expect(names).toContain('azure-webjobs-hosts');
  });
});
