import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateCatalogue } from '../../local/catalogue-migration';
import { cosmosClient, database } from '../../shared/azure/cosmos';
import { findByKey, platformKey } from '../../shared/catalogue/catalogue.claims';
import { ListQuery } from '../../shared/catalogue/catalogue.schema';
import { getEntry, listEntries } from '../../shared/catalogue/catalogue.service';
import { useStackSettings } from '../support/stack-env';

/** A data folder from before the catalogue was partitioned by id still opens, searchable. */
const databaseName = `migrate-${randomUUID().slice(0, 8)}`;
const now = new Date().toISOString();
const entry = (id: string, name: string, extra: Record<string, unknown> = {}) => ({
  id,
  type: 'datasets',
  docType: 'entry',
  name,
  status: 'published',
  owner: 'system',
  dateCreated: now,
  dateModified: now,
  ...extra,
});

beforeAll(async () => {
  useStackSettings({ COSMOS_DATABASE: databaseName });
  const { database: db } = await cosmosClient().databases.createIfNotExists({ id: databaseName });
  // The layout before: partitioned by /type, no search tokens, claims with the old ids.
  const { container } = await db.containers.create({ id: 'catalogue', partitionKey: { paths: ['/type'] } });
  await container.items.create(entry('old-live', 'Legacy Ocean Salinity', { platform: 'openml', platformResourceIdentifier: '42' }));
  await container.items.create(entry('old-gone', 'Legacy deleted', { deletedAt: now, deletedBy: 'x' }));
  await container.items.create({ id: 'claim-old', type: 'datasets', docType: 'claim', entryId: 'old-live', key: platformKey('openml', '42') });
});

afterAll(async () => {
  await database().delete();
});

describe('migrateCatalogue (local data folders)', () => {
  it('moves the catalogue to /id with search tokens and claims, once', async () => {
    const lines: string[] = [];
    await migrateCatalogue((line) => lines.push(line));
    expect(lines.at(-1)).toBe('catalogue migrated to partition key /id: 2 entries copied, 0 skipped');
    const { resource } = await database().container('catalogue').read();
    expect(resource?.partitionKey?.paths).toEqual(['/id']);

    expect((await getEntry(undefined, 'datasets', 'old-live')).name).toBe('Legacy Ocean Salinity');
    const found = await listEntries(undefined, 'datasets', ListQuery.parse({ q: 'salin ocean' }));
    expect(found.items.map((item) => item.id)).toEqual(['old-live']);
    expect((await findByKey('datasets', platformKey('openml', '42')))?.doc.id).toBe('old-live');
    await expect(getEntry(undefined, 'datasets', 'old-gone')).rejects.toMatchObject({ status: 404 });

    await migrateCatalogue((line) => lines.push(line));
    expect(lines).toHaveLength(1);
  });
});
