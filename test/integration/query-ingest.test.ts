import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Column } from '../../shared/datasets/dataset.schema';
import { ingestRows } from '../../shared/datasets/ingest';
import { oneBucket } from '../../shared/datasets/records.layout';
import { cosmosRecordWriter, countRecords, type RecordWriter } from '../../shared/datasets/records.repository';
import { AppError } from '../../shared/errors';
import { useStackSettings } from '../support/stack-env';

/** Ingest against Cosmos DB: bulk writes in batches, and nothing left behind when a write fails midway. */
beforeAll(() => useStackSettings());

const columns: Column[] = [
  { name: 'x', type: 'number', required: true },
  { name: 'label', type: 'string', required: true, values: ['a', 'b'] },
];

function csv(rows: number): Buffer {
  const lines = ['x,label', ...Array.from({ length: rows }, (_, i) => `${i / 10},${i % 2 ? 'a' : 'b'}`)];
  return Buffer.from(`${lines.join('\n')}\n`);
}

const all = { where: 'true', parameters: [] };
/** Every row in bucket 0: these tests write rows without a dataset document. */
const inOneBucket = async () => ({ start: 0, bucketBytes: Number.MAX_SAFE_INTEGER });

/** Stores through Cosmos DB, but the `failOn`-th batch fails after the others have started. */
function failingWriter(failOn: number): RecordWriter & { batches: number } {
  const writer = {
    batches: 0,
    async insert(datasetId: string, docs: Parameters<RecordWriter['insert']>[1], throttle?: Parameters<RecordWriter['insert']>[2]) {
      writer.batches += 1;
      if (writer.batches === failOn) throw new Error('injected: the partition is unavailable');
      await cosmosRecordWriter.insert(datasetId, docs, throttle);
    },
  };
  return writer;
}

describe('ingestRows', () => {
  it('writes 1,050 rows in bulk batches of at most 100', async () => {
    const datasetId = `ingest-${randomUUID()}`;
    const sizes: number[] = [];
    const counting: RecordWriter = {
      async insert(id, docs, throttle) {
        sizes.push(docs.length);
        await cosmosRecordWriter.insert(id, docs, throttle);
      },
    };
    const sut = await ingestRows(datasetId, columns, csv(1050), 'csv', 'fail', counting, inOneBucket);
    expect(sut).toMatchObject({ inserted: 1050, rejected: 0 });
    expect(Math.max(...sizes)).toBe(100);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(1050);
    expect(await countRecords(oneBucket(datasetId), all)).toBe(1050);
  });

  it('removes what it wrote when a write fails midway, and answers 503', async () => {
    const datasetId = `ingest-${randomUUID()}`;
    const writer = failingWriter(4);
    const attempt = ingestRows(datasetId, columns, csv(950), 'csv', 'fail', writer, inOneBucket);
    await expect(attempt).rejects.toBeInstanceOf(AppError);
    await expect(attempt).rejects.toMatchObject({ status: 503 });
    expect(writer.batches).toBeGreaterThanOrEqual(4);
    expect(await countRecords(oneBucket(datasetId), all)).toBe(0);
  });

  it('writes nothing when one row is bad, and names its row and line', async () => {
    const datasetId = `ingest-${randomUUID()}`;
    const body = Buffer.from('x,label\n1,a\n2,c\n3,b\n');
    const attempt = ingestRows(datasetId, columns, body, 'csv', 'fail', cosmosRecordWriter, inOneBucket);
    await expect(attempt).rejects.toMatchObject({ status: 400, errors: [{ pointer: '/row/2/label', message: expect.stringContaining('line 3') }] });
    expect(await countRecords(oneBucket(datasetId), all)).toBe(0);
  });
});
