import type { Agent } from 'node:https';
import https from 'node:https';
import { randomUUID } from 'node:crypto';
import { CosmosClient, type Container } from '@azure/cosmos';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { catalogueSeeder } from '../../local/seed/catalogue.seed';
import { disposeCosmosClient } from '../../shared/azure/cosmos';
import { patchEntryAsSystem, upsertEntryAsSystem } from '../../shared/catalogue/catalogue.system';
import { resetConfig } from '../../shared/config';
import { adminKey, baseUrl, call, keyWithRoles } from '../support/api';
import { needsLocalStack } from '../support/stack-env';

/**
 * What the catalogue keeps in Cosmos DB, checked against the stack's own store with the Cosmos SDK:
 * soft delete and the purge timer (deleted entries are kept for CATALOGUE_DELETED_RETENTION, 30 days
 * by default, then removed by `purgeDeletedCatalogueEntries`, run here through the host's admin API
 * as `func` would), and the system upsert seeders and platform connectors use.
 */
let client: CosmosClient;
let catalogue: Container;
let contributor: string;
let platform: string;

function cosmosFrom(settings: Record<string, string>): CosmosClient {
  const parts = new Map(
    (settings.COSMOS ?? '')
      .split(';')
      .filter(Boolean)
      .map((part) => [part.slice(0, part.indexOf('=')).toLowerCase(), part.slice(part.indexOf('=') + 1)] as const),
  );
  // The local Cosmos DB server has a self-signed certificate; this client talks to it on loopback only.
  const agent: Agent = new https.Agent({ rejectUnauthorized: false });
  return new CosmosClient({ endpoint: parts.get('accountendpoint') ?? '', key: parts.get('accountkey') ?? '', agent, connectionPolicy: { enableEndpointDiscovery: false } });
}

async function runPurge(): Promise<void> {
  const response = await fetch(`${baseUrl()}/admin/functions/purgeDeletedCatalogueEntries`, { method: 'POST' });
  expect(response.status).toBe(202);
}

async function stored(id: string): Promise<Record<string, unknown> | undefined> {
  const { resource } = await catalogue.item(id, id).read<Record<string, unknown>>();
  return resource;
}

async function createDeleted(identifier: string): Promise<string> {
  const created = await call<{ id: string }>('POST', '/v1/catalogue/datasets', {
    key: contributor,
    body: { name: `To purge ${identifier}`, description: { plain: 'Purged soon.' }, platform, platformResourceIdentifier: identifier, status: 'published' },
  });
  expect(created.status, created.text).toBe(201);
  expect((await call('DELETE', `/v1/catalogue/datasets/${created.body.id}`, { key: contributor })).status).toBe(204);
  return created.body.id;
}

beforeAll(async () => {
  const settings = inject('settings');
  // The service runs in this process too (system upserts), against the same store as the host.
  Object.assign(process.env, settings);
  resetConfig();
  client = cosmosFrom(settings);
  catalogue = client.database(settings.COSMOS_DATABASE ?? 'mlassets').container('catalogue');
  contributor = await keyWithRoles(['contributor']);
  platform = `purge-${randomUUID().slice(0, 8)}`;
  expect((await call('POST', '/v1/catalogue/platforms', { key: adminKey(), body: { name: platform, status: 'published' } })).status).toBe(201);
});

afterAll(() => {
  client.dispose();
  disposeCosmosClient();
});

needsLocalStack.describe('purgeDeletedCatalogueEntries (timer)', () => {
  it('removes entries deleted longer ago than the retention and keeps recent deletions', async () => {
    const old = await createDeleted('old');
    const recent = await createDeleted('recent');
    const aged = new Date(Date.now() - 31 * 86_400_000).toISOString();
    await catalogue.item(old, old).patch([{ op: 'set', path: '/deletedAt', value: aged }]);

    await runPurge();

    expect(await stored(old)).toBeUndefined();
    expect(await stored(recent)).toMatchObject({ id: recent, deletedAt: expect.any(String) });
  });

  it('keeps a soft-deleted entry out of every read while it waits', async () => {
    const id = await createDeleted('waiting');
    expect(await stored(id)).toBeDefined();
    expect((await call('GET', `/v1/catalogue/datasets/${id}`, { key: adminKey() })).status).toBe(404);
    expect((await call('GET', `/v1/platforms/${platform}/datasets/waiting`, { key: adminKey() })).status).toBe(404);
    expect((await call('GET', `/v1/catalogue/datasets/${id}/content`, { key: adminKey() })).status).toBe(404);
  });

  it('never lets store internals or claim documents out', async () => {
    const list = await call('GET', `/v1/catalogue/datasets?platform=${platform}`, { key: adminKey() });
    expect(list.status).toBe(200);
    expect(list.text).not.toMatch(/"_rid"|"_etag"|"_ts"|"docType"|"claim-|"deletedAt"/);
  });
});

needsLocalStack.describe('system writes: upsertEntryAsSystem (seeders, connectors) and patchEntryAsSystem (other areas)', () => {
  it('is idempotent: seeding again writes nothing', async () => {
    expect(await catalogueSeeder.run()).toMatch(/\(0 written\)$/);
  });

  it('finds an entry by platform identifier, writes only real changes, and keeps the hosting info', async () => {
    const first = await upsertEntryAsSystem('datasets', { name: 'Synced', platform, platformResourceIdentifier: 'sync/1', version: '1' });
    expect(first.changed).toBe(true);
    expect(await upsertEntryAsSystem('datasets', { name: 'Synced', platform, platformResourceIdentifier: 'sync/1', version: '1' })).toEqual({ id: first.id, changed: false });

    expect(await patchEntryAsSystem('datasets', first.id, { hosting: { records: 150 } })).toEqual({ id: first.id, changed: true });
    const changed = await upsertEntryAsSystem('datasets', { name: 'Synced', platform, platformResourceIdentifier: 'sync/1', version: '2' });
    expect(changed).toEqual({ id: first.id, changed: true });
    const entry = await call<{ version: string; hosting: unknown; owner: string; status: string }>('GET', `/v1/platforms/${platform}/datasets/sync/1`);
    expect(entry.body).toMatchObject({ version: '2', hosting: { records: 150 }, owner: 'system', status: 'published' });
  });

  it('lets the platform maintain a dataset’s hosting info, which callers see but cannot change', async () => {
    const { id } = await upsertEntryAsSystem('datasets', { name: 'Hosted', platform, platformResourceIdentifier: 'hosted/1' });
    const hosting = { records: 150, columns: ['sepal_length', 'species'] };
    expect(await patchEntryAsSystem('datasets', id, { hosting })).toEqual({ id, changed: true });
    expect(await patchEntryAsSystem('datasets', id, { hosting })).toEqual({ id, changed: false });
    const path = `/v1/catalogue/datasets/${id}`;
    expect((await call<{ hosting: unknown }>('GET', path)).body.hosting).toEqual(hosting);
    const changed = await call('PUT', path, { key: adminKey(), body: { name: 'Hosted', platform, platformResourceIdentifier: 'hosted/1', hosting: { records: 1 } } });
    expect(changed.status).toBe(400);
    const kept = await call<{ hosting: unknown }>('PUT', path, { key: adminKey(), body: { name: 'Hosted again', description: { plain: 'Hosted rows.' }, platform, platformResourceIdentifier: 'hosted/1' } });
    expect(kept.body.hosting).toEqual(hosting);
    await expect(patchEntryAsSystem('datasets', 'no-such-entry', { hosting })).rejects.toMatchObject({ status: 404 });
  });

  it('registers a platform it has not seen, once, even when many entries name it at once', async () => {
    const fresh = `conn-${randomUUID().slice(0, 8)}`;
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => upsertEntryAsSystem('models', { name: `Model ${i}`, platform: fresh, platformResourceIdentifier: `m${i}` })),
    );
    expect(new Set(results.map((r) => r.id)).size).toBe(10);
    const registry = await call<{ items: { name: string }[] }>('GET', `/v1/catalogue/platforms?q=${fresh}`);
    expect(registry.body.items.map((item) => item.name)).toEqual([fresh]);
    const count = await call<{ platforms: Record<string, number> }>('GET', '/v1/catalogue/models/count?perPlatform=true');
    expect(count.body.platforms[fresh]).toBe(10);
  });

  it('refuses an entry its type does not allow', async () => {
    await expect(upsertEntryAsSystem('models', { name: 'x', runtime: { kind: 'ftp' } })).rejects.toMatchObject({ status: 400 });
    await expect(upsertEntryAsSystem('spaceships', { name: 'x' })).rejects.toMatchObject({ status: 404 });
  });
});
