import { readFileSync } from 'node:fs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { StrictLimits } from '../../local/cosmos-strict';
import { IRIS_SCHEMA, irisCsvPath } from '../../local/seed/query.seed';
import { useProxiedStack } from '../support/proxied-stack';

/**
 * Cosmos DB's storage limits met through the API (issue 17): a private stack whose Cosmos DB server
 * runs in strict mode (`local/cosmos-strict.ts`), the limits scaled down per test. A hosted dataset
 * larger than one logical partition still takes its rows (buckets of 16,000 bytes here), and what
 * does not fit is answered as what it is — 413 for a document over the item limit, 507 for a full
 * partition — never a 500 (or a 503 that invites a retry that cannot succeed).
 */
beforeAll(() => {
  // Read by the stack as it starts its Cosmos DB server (the next hook).
  process.env.COSMOS_STRICT = '1';
});
const stack = useProxiedStack({ seed: false, settings: { RECORDS_BUCKET_BYTES: '16000' } });
const { call } = stack;
let defaults: StrictLimits;

async function newDataset(): Promise<string> {
  const made = await call('POST', '/v1/catalogue/datasets', { body: { name: `limits ${Date.now()}`, description: { plain: 'Rows against Cosmos DB limits.' }, status: 'published' } });
  expect(made.status, made.text).toBe(201);
  return String(made.body.id);
}

const iris = readFileSync(irisCsvPath());

beforeAll(async () => {
  defaults = await stack.setStrictLimits({});
});

afterEach(async () => {
  await stack.setStrictLimits(defaults);
});

describe('a hosted dataset larger than one logical partition', () => {
  it('takes iris (~66 KB) under a 30,000-byte partition cap, its rows in buckets, and describes it whole', async () => {
    const id = await newDataset();
    expect((await call('PUT', `/v1/datasets/${id}/schema`, { body: IRIS_SCHEMA })).status).toBe(201);
    await stack.setStrictLimits({ partitionCapBytes: 30_000 });
    const ingested = await call('POST', `/v1/datasets/${id}/records`, { raw: iris, contentType: 'text/csv' });
    expect(ingested.status, ingested.text).toBe(201);
    expect(ingested.body.inserted).toBe(150);
    const stats = await call('POST', `/v1/datasets/${id}/records/stats`, { body: { groupBy: 'species', metrics: ['count'] } });
    expect(stats.status, stats.text).toBe(200);
    expect((stats.body.groups as { count: number }[]).map((group) => group.count)).toEqual([50, 50, 50]);
  });
});

describe('Cosmos DB storage limits as problems', () => {
  it('answers 507 naming the limit when a bucket’s partition is full, and stores nothing', async () => {
    const id = await newDataset();
    expect((await call('PUT', `/v1/datasets/${id}/schema`, { body: IRIS_SCHEMA })).status).toBe(201);
    // Smaller than one bucket of 16,000 bytes: the partition fills before the bucket does.
    await stack.setStrictLimits({ partitionCapBytes: 8_000 });
    const sut = await call('POST', `/v1/datasets/${id}/records`, { raw: iris, contentType: 'text/csv' });
    expect(sut.status, sut.text).toBe(507);
    expect(sut.body).toMatchObject({ status: 507, type: 'urn:mlassets:problem:insufficient-storage', limitBytes: 20 * 1024 ** 3, detail: expect.stringContaining('nothing was stored') });
    await stack.setStrictLimits(defaults);
    const schema = await call('GET', `/v1/datasets/${id}/schema`);
    expect(schema.body.recordCount).toBe(0);
  });

  it('answers 507 when the dataset document itself cannot be written to a full partition', async () => {
    const id = await newDataset();
    await stack.setStrictLimits({ partitionCapBytes: 300 });
    const sut = await call('PUT', `/v1/datasets/${id}/schema`, { body: IRIS_SCHEMA });
    expect(sut.status, sut.text).toBe(507);
    expect(sut.body).toMatchObject({ status: 507, limitBytes: 20 * 1024 ** 3 });
  });

  it('answers 413 naming Cosmos DB’s item limit when a document would be over it', async () => {
    const id = await newDataset();
    await stack.setStrictLimits({ itemMaxBytes: 1_000 });
    const long = { ...IRIS_SCHEMA, columns: IRIS_SCHEMA.columns.map((column) => ({ ...column, description: 'd'.repeat(400) })) };
    const sut = await call('PUT', `/v1/datasets/${id}/schema`, { body: long });
    expect(sut.status, sut.text).toBe(413);
    expect(sut.body).toMatchObject({ status: 413, type: 'urn:mlassets:problem:payload-too-large', limitBytes: 2 * 1024 * 1024 });
  });
});
