import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { container } from '../../shared/azure/cosmos';
import { partitionKeyOf } from '../../shared/datasets/records.layout';
import { cosmosRecordWriter, type RecordDoc } from '../../shared/datasets/records.repository';
import { useStackSettings } from '../support/stack-env';

/**
 * The embedded Cosmos server runs a query within the partition the SDK names, as Cosmos DB does:
 * it used to run every query over the whole container, so a query whose WHERE did not repeat the
 * partition key answered with other partitions' documents too (and paid for scanning them).
 */
beforeAll(() => {
  useStackSettings();
});

const rows = (datasetId: string, n: number): RecordDoc[] =>
  Array.from({ length: n }, (_, i) => ({ id: `r${i}`, pk: partitionKeyOf(datasetId, 0), datasetId, docType: 'record', ingestId: 'scope', values: { x: i, kind: i % 2 ? 'odd' : 'even' } }));

describe('a query with a partition key', () => {
  it('sees only that partition’s documents, in plain, aggregate and GROUP BY queries', async () => {
    const [a, b] = [`scope-a-${randomUUID()}`, `scope-b-${randomUUID()}`];
    await cosmosRecordWriter.insert(a, rows(a, 3));
    await cosmosRecordWriter.insert(b, rows(b, 5));
    const records = container('records');
    const all = "c.docType = 'record' AND STARTSWITH(c.datasetId, 'scope-')";
    const ids = await records.items.query<string>(`SELECT VALUE c.datasetId FROM c WHERE ${all}`, { partitionKey: partitionKeyOf(a, 0) }).fetchAll();
    expect(new Set(ids.resources)).toEqual(new Set([a]));
    const count = await records.items.query<number>(`SELECT VALUE COUNT(1) FROM c WHERE ${all}`, { partitionKey: partitionKeyOf(b, 0) }).fetchAll();
    expect(count.resources).toEqual([5]);
    const groups = await records.items
      .query<{ kind: string; n: number; total: number }>(`SELECT c.values.kind AS kind, COUNT(1) AS n, SUM(c.values.x) AS total FROM c WHERE ${all} GROUP BY c.values.kind`, { partitionKey: partitionKeyOf(b, 0) })
      .fetchAll();
    expect(groups.resources.sort((p, q) => p.kind.localeCompare(q.kind))).toEqual([
      { kind: 'even', n: 3, total: 0 + 2 + 4 },
      { kind: 'odd', n: 2, total: 1 + 3 },
    ]);
  });
});
