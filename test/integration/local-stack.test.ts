import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunningStack, StackOptions } from '../../local/stack';
import { apiFetch } from '../support/api';

const load = createRequire(import.meta.url);
const { startStack } = load(path.resolve(__dirname, '../../dist/local/stack.js')) as {
  startStack(options: StackOptions): Promise<RunningStack>;
};

const dataDir = mkdtempSync(path.join(tmpdir(), 'mlassets-data-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('npm start --data <folder>', () => {
  it('keeps API keys across a restart', async () => {
    const first = await startStack({ port: 0, dataDir, seed: false, verbose: false });
    const created = await apiFetch(`${first.baseUrl}/api/v1/api-keys`, {
      method: 'POST',
      headers: { 'X-API-Key': first.adminKey ?? '', 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'survives restarts', roles: ['reader'] }),
    });
    expect(created.status).toBe(201);
    const { key } = (await created.json()) as { key: string };
    await first.stop();

    const second = await startStack({ port: 0, dataDir, seed: false, verbose: false });
    try {
      const listed = await apiFetch(`${second.baseUrl}/api/v1/api-keys?limit=100`, { headers: { 'X-API-Key': key } });
      // The reader key still authenticates (it was persisted) but may not list keys.
      expect(listed.status).toBe(403);
      const asAdmin = await apiFetch(`${second.baseUrl}/api/v1/api-keys/${key.split('.')[0]}`, {
        headers: { 'X-API-Key': second.adminKey ?? '' },
      });
      expect(asAdmin.status).toBe(200);
    } finally {
      await second.stop();
    }
  }, 90_000);
});
