import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { IRIS_ENTRY, IRIS_SCHEMA, irisCsvPath } from '../../local/seed/query.seed';
import { container } from '../../shared/azure/cosmos';
import { upsertEntryAsSystem } from '../../shared/catalogue/catalogue.system';
import { QueryBody, type RecordRow, StatsBody, type StatsResult } from '../../shared/datasets/dataset.schema';
import { bucketCount, partitionKeyOf } from '../../shared/datasets/records.layout';
import { queryRecords, recordStats } from '../../shared/datasets/records.query';
import { readSchemaDoc } from '../../shared/datasets/records.repository';
import { deleteRecords, ingestAsSystem, putSchemaAsSystem } from '../../shared/datasets/records.service';
import type { Principal } from '../../shared/auth/auth.schema';
import { useStackSettings } from '../support/stack-env';

/**
 * Issue 17 item 2: a hosted dataset's rows spread over buckets (logical partitions `<id>:<bucket>`),
 * so no dataset is capped at 20 GB. Iris stored twice — once in one bucket (the default size), once
 * with buckets of 16,000 bytes (about 36 rows each: 5 buckets) — must answer the same: statistics
 * combined across buckets, counts, and pages that resume across buckets.
 */
const csv = readFileSync(irisCsvPath());
const NUMERIC = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'] as const;
/** R's datasets::iris (the corrected Fisher data the seed ships), sample mean and standard deviation. */
const PUBLISHED = {
  sepal_length: { mean: 876.5 / 150, stddev: 0.8280661279778629 },
  sepal_width: { mean: 458.6 / 150, stddev: 0.4358662849366982 },
  petal_length: { mean: 563.7 / 150, stddev: 1.7652982332594662 },
  petal_width: { mean: 179.9 / 150, stddev: 0.7622376689603465 },
};
const admin: Principal = { id: 'system-test', roles: ['admin'], kind: 'apiKey' };

async function irisCopy(bucketBytes?: number): Promise<string> {
  useStackSettings(bucketBytes === undefined ? {} : { RECORDS_BUCKET_BYTES: String(bucketBytes) });
  const id = `buckets-${randomUUID()}`;
  await upsertEntryAsSystem('datasets', { ...IRIS_ENTRY, id });
  await putSchemaAsSystem(id, IRIS_SCHEMA);
  await ingestAsSystem(id, csv, 'csv', 'fail');
  return id;
}

let one: string;
let many: string;

beforeAll(async () => {
  one = await irisCopy();
  many = await irisCopy(16_000);
  delete process.env.RECORDS_BUCKET_BYTES;
  useStackSettings();
}, 60_000);

async function buckets(datasetId: string): Promise<number[]> {
  const found = await readSchemaDoc(datasetId);
  const counts: number[] = [];
  for (let bucket = 0; bucket < bucketCount(found?.doc.layout ?? { bucketBytes: 1, allocatedBytes: 0 }); bucket += 1) {
    const { resources } = await container('records')
      .items.query<number>("SELECT VALUE COUNT(1) FROM c WHERE c.docType = 'record'", { partitionKey: partitionKeyOf(datasetId, bucket) })
      .fetchAll();
    counts.push(resources.reduce((a, b) => a + b, 0));
  }
  return counts;
}

/** Equal to the last few bits: sums of the same numbers added in another order. */
function close(actual: number | null | undefined, expected: number | null | undefined, relative = 1e-12): void {
  expect(typeof actual).toBe('number');
  expect(Math.abs((actual as number) - (expected as number))).toBeLessThanOrEqual(relative * Math.max(1, Math.abs(expected as number)));
}

function sameStats(actual: StatsResult, expected: StatsResult): void {
  expect(actual.groups.map((group) => [group.value, group.count])).toEqual(expected.groups.map((group) => [group.value, group.count]));
  actual.groups.forEach((group, index) => {
    for (const name of NUMERIC) {
      const a = group.columns[name];
      const b = expected.groups[index]?.columns[name];
      expect([a?.count, a?.min, a?.max]).toEqual([b?.count, b?.min, b?.max]);
      close(a?.sum, b?.sum);
      close(a?.mean, b?.mean);
      close(a?.stddev, b?.stddev);
    }
  });
}

async function allPages(datasetId: string, body: Record<string, unknown>): Promise<{ rows: RecordRow[]; pages: number }> {
  const rows: RecordRow[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await queryRecords(admin, datasetId, QueryBody.parse({ ...body, ...(cursor ? { cursor } : {}) }));
    rows.push(...page.items);
    pages += 1;
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return { rows, pages };
}

describe('hosted datasets in buckets', () => {
  it('keeps a small dataset in one bucket and spreads the same rows over several when buckets are small', async () => {
    expect(await buckets(one)).toEqual([150]);
    const spread = await buckets(many);
    expect(spread.length).toBeGreaterThanOrEqual(4);
    expect(spread.every((count) => count > 0 && count < 50)).toBe(true);
    expect(spread.reduce((a, b) => a + b, 0)).toBe(150);
  });

  it('combines statistics across buckets exactly: grouped as in one bucket, whole as published', async () => {
    const body = StatsBody.parse({ groupBy: 'species' });
    sameStats(await recordStats(admin, many, body), await recordStats(admin, one, body));
    const filtered = StatsBody.parse({ filter: { column: 'sepal_width', gte: 3 }, groupBy: 'species' });
    sameStats(await recordStats(admin, many, filtered), await recordStats(admin, one, filtered));
    const whole = await recordStats(admin, many, StatsBody.parse({}));
    for (const name of NUMERIC) {
      const stats = whole.groups[0]?.columns[name];
      expect(stats?.count).toBe(150);
      close(stats?.mean, PUBLISHED[name].mean, 5e-8);
      close(stats?.stddev, PUBLISHED[name].stddev, 5e-8);
    }
  });

  it('counts and pages across buckets: every row once, sorted pages in order, cursors resuming', async () => {
    const sorted = await allPages(many, { orderBy: { column: 'petal_length', direction: 'desc' }, limit: 7, count: true });
    const single = await allPages(one, { orderBy: { column: 'petal_length', direction: 'desc' }, limit: 7 });
    expect(sorted.rows.map((row) => row.petal_length)).toEqual(single.rows.map((row) => row.petal_length));
    expect(new Set(sorted.rows.map((row) => row._id)).size).toBe(150);
    expect(sorted.pages).toBeGreaterThanOrEqual(22);

    const unordered = await allPages(many, { filter: { column: 'species', in: ['virginica', 'setosa'] }, limit: 11 });
    expect(new Set(unordered.rows.map((row) => row._id)).size).toBe(100);
    expect(unordered.rows).toHaveLength(100);

    const counted = await queryRecords(admin, many, QueryBody.parse({ filter: { column: 'species', eq: 'versicolor' }, count: true, limit: 1 }));
    expect(counted.count).toBe(50);
    // The iris_api profile pages with TOP across the buckets too.
    const second = await queryRecords(admin, many, QueryBody.parse({ species: 'virginica', page: 2, per_page: 20 }));
    expect(second.items).toHaveLength(20);
    expect(second.nextPage).toBe(3);
  });

  it('refuses a cursor claiming more buckets than the dataset has', async () => {
    const first = await queryRecords(admin, many, QueryBody.parse({ limit: 5 }));
    const decoded = JSON.parse(Buffer.from(first.nextCursor ?? '', 'base64url').toString('utf8')) as { c: string; f: string };
    const forged = Buffer.from(JSON.stringify({ ...decoded, c: JSON.stringify({ ...(JSON.parse(decoded.c) as object), n: 10_000 }) })).toString('base64url');
    await expect(queryRecords(admin, many, QueryBody.parse({ limit: 5, cursor: forged }))).rejects.toMatchObject({ status: 400 });
  });

  it('adds a second ingest after the first (further buckets) and starts again from one bucket after a delete', async () => {
    useStackSettings({ RECORDS_BUCKET_BYTES: '16000' });
    const before = (await buckets(many)).length;
    await ingestAsSystem(many, csv, 'csv', 'fail');
    const after = await buckets(many);
    expect(after.length).toBeGreaterThan(before);
    expect(after.reduce((a, b) => a + b, 0)).toBe(300);
    const stats = await recordStats(admin, many, StatsBody.parse({ groupBy: 'species', metrics: ['count'] }));
    expect(stats.groups.map((group) => group.count)).toEqual([100, 100, 100]);
    await expect(deleteRecords(admin, many)).resolves.toEqual({ deleted: 300 });
    expect(await buckets(many)).toEqual([0]);
    useStackSettings();
  });
});
