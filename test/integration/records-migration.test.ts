import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateRecords } from '../../local/records-migration';
import { cosmosClient, database, ensureDatabase } from '../../shared/azure/cosmos';
import { upsertEntryAsSystem } from '../../shared/catalogue/catalogue.system';
import { StatsBody } from '../../shared/datasets/dataset.schema';
import { recordStats } from '../../shared/datasets/records.query';
import { readSchemaDoc } from '../../shared/datasets/records.repository';
import { hostedRecordCount } from '../../shared/datasets/records.service';
import { useStackSettings } from '../support/stack-env';

/** A data folder from before hosted datasets were bucketed still opens, its rows queryable. */
const databaseName = `migrate-records-${randomUUID().slice(0, 8)}`;
const datasetId = 'old-measurements';
const now = new Date().toISOString();

beforeAll(async () => {
  useStackSettings({ COSMOS_DATABASE: databaseName, RECORDS_BUCKET_BYTES: '2000' });
  const { database: db } = await cosmosClient().databases.createIfNotExists({ id: databaseName });
  // The layout before: partitioned by /datasetId, the profile in a document of its own.
  const { container } = await db.containers.create({ id: 'records', partitionKey: { paths: ['/datasetId'] } });
  await container.items.create({
    id: '__schema__',
    datasetId,
    docType: 'schema',
    columns: [
      { name: 'x', type: 'number', required: true },
      { name: 'site', type: 'string', required: true },
    ],
    updatedAt: now,
    updatedBy: 'system',
  });
  await container.items.create({ id: '__profile__', datasetId, docType: 'profile', distinct: { site: ['north', 'south'] }, overflow: [], shift: { x: 5 }, updatedAt: now });
  for (let i = 0; i < 12; i += 1) {
    await container.items.create({ id: `r${i}`, datasetId, docType: 'record', ingestId: 'old', values: { x: i, site: i % 3 === 0 ? 'north' : 'south' } });
  }
  await container.items.create({ id: 'stray', datasetId: 'no-columns', docType: 'record', ingestId: 'old', values: { x: 1 } });
  await ensureDatabase();
  await upsertEntryAsSystem('datasets', { id: datasetId, name: 'Old measurements', description: { plain: 'Rows from before buckets.' }, status: 'published' });
});

afterAll(async () => {
  await database().delete();
  useStackSettings();
});

describe('migrateRecords (local data folders)', () => {
  it('moves the records to /pk with the profile in the dataset document and the rows in buckets, once', async () => {
    const lines: string[] = [];
    await migrateRecords((line) => lines.push(line));
    expect(lines.at(-1)).toBe('records migrated to partition key /pk: 1 datasets, 12 records copied, 1 without columns left out');
    const { resource } = await database().container('records').read();
    expect(resource?.partitionKey?.paths).toEqual(['/pk']);

    const dataset = await readSchemaDoc(datasetId);
    expect(dataset?.doc.profile).toEqual({ distinct: { site: ['north', 'south'] }, overflow: [], shift: { x: 5 } });
    // 12 rows of ~300 bytes in buckets of 2,000 bytes.
    expect(Math.ceil((dataset?.doc.layout.allocatedBytes ?? 0) / 2000)).toBeGreaterThan(1);
    expect(await hostedRecordCount(datasetId)).toBe(12);
    const stats = await recordStats(undefined, datasetId, StatsBody.parse({ groupBy: 'site', metrics: ['count', 'sum'] }));
    expect(stats.groups.map((group) => [group.value, group.count, group.columns.x?.sum])).toEqual([
      ['north', 4, 0 + 3 + 6 + 9],
      ['south', 8, 66 - 18],
    ]);

    await migrateRecords((line) => lines.push(line));
    expect(lines).toHaveLength(1);
  });
});
