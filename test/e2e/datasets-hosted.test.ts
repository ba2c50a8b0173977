import { beforeAll, describe, expect, it } from 'vitest';
import { call, expectProblem, keyWithRoles } from '../support/api';
import type { Page, Stats } from '../support/records';

/** Hosted datasets of the test's own making over HTTP: the schema's life cycle, ingest, delete and permissions. */
let alice: string;
let bob: string;
let reader: string;

beforeAll(async () => {
  [alice, bob, reader] = await Promise.all([keyWithRoles(['contributor']), keyWithRoles(['contributor']), keyWithRoles(['reader'])]);
});

/** A catalogue dataset owned by the caller of `key`. */
async function newDataset(key: string, status: 'published' | 'draft' = 'published'): Promise<string> {
  const response = await call<{ id: string }>('POST', '/v1/catalogue/datasets', { key, body: { name: `records test ${Date.now()}`, description: { plain: 'Rows for the records tests.' }, status } });
  expect(response.status, response.text).toBe(201);
  return response.body.id;
}

const MEASUREMENTS = {
  columns: [
    { name: 'site', type: 'string' },
    { name: 'depth', type: 'integer' },
    { name: 'temperature', type: 'number', required: false },
    { name: 'calibrated', type: 'boolean', required: false },
    { name: 'taken', type: 'datetime' },
  ],
  label: 'site',
};

async function hosted(key = alice, schema: unknown = MEASUREMENTS): Promise<string> {
  const id = await newDataset(key);
  const response = await call('PUT', `/v1/datasets/${id}/schema`, { key, body: schema });
  expect(response.status, response.text).toBe(201);
  return id;
}

const csv = (text: string) => ({ rawBody: text, headers: { 'Content-Type': 'text/csv' } });

describe('hosted datasets: schema, ingest and delete', () => {
  it('declares a schema (201), reads it back with its ETag, and keeps an identical PUT idempotent (200)', async () => {
    const id = await newDataset(alice);
    const created = await call<{ columns: unknown[] }>('PUT', `/v1/datasets/${id}/schema`, { key: alice, body: MEASUREMENTS });
    expect(created.status, created.text).toBe(201);
    expect(created.headers.get('location')).toBe(`/api/v1/datasets/${id}/schema`);
    const read = await call<{ columns: { name: string; required: boolean }[]; recordCount: number; label: string }>('GET', `/v1/datasets/${id}/schema`);
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ label: 'site', recordCount: 0 });
    expect(read.body.columns.map((column) => [column.name, column.required])).toEqual([
      ['site', true],
      ['depth', true],
      ['temperature', false],
      ['calibrated', false],
      ['taken', true],
    ]);
    expect(read.headers.get('etag')).toBe(created.headers.get('etag'));
    const again = await call('PUT', `/v1/datasets/${id}/schema`, { key: alice, body: MEASUREMENTS, headers: { 'If-Match': read.headers.get('etag') ?? '' } });
    expect(again.status, again.text).toBe(200);
    expectProblem(await call('PUT', `/v1/datasets/${id}/schema`, { key: alice, body: MEASUREMENTS, headers: { 'If-Match': '"stale"' } }), 412);
  });

  it('refuses schemas that name a label that is not a column, or declare a column twice', async () => {
    const id = await newDataset(alice);
    const problem = expectProblem(
      await call('PUT', `/v1/datasets/${id}/schema`, { key: alice, body: { columns: [{ name: 'a', type: 'number' }, { name: 'a', type: 'string' }], label: 'b' } }),
      400,
    );
    expect((problem.errors as { pointer: string }[]).map((error) => error.pointer).sort()).toEqual(['/body/columns/1/name', '/body/label']);
  });

  it('ingests CSV, a JSON array and NDJSON, each validated against the columns', async () => {
    const id = await hosted();
    const fromCsv = await call('POST', `/v1/datasets/${id}/records`, {
      key: alice,
      ...csv('site,depth,temperature,calibrated,taken\r\n"North, buoy 1",10,12.5,true,2024-05-01T10:00:00Z\r\nSouth,20,,,2024-05-02\r\n'),
    });
    expect(fromCsv.status, fromCsv.text).toBe(201);
    expect(fromCsv.body).toEqual({ inserted: 2, rejected: 0, errors: [] });
    const fromJson = await call('POST', `/v1/datasets/${id}/records`, {
      key: alice,
      body: [{ site: 'East', depth: 5, temperature: 14.25, taken: '2024-05-03T00:00:00+02:00' }],
    });
    expect(fromJson.body).toMatchObject({ inserted: 1 });
    const fromNdjson = await call('POST', `/v1/datasets/${id}/records`, {
      key: alice,
      rawBody: '{"site":"West","depth":7,"taken":"2024-05-04"}\n{"site":"West","depth":8,"calibrated":false,"taken":"2024-05-05"}\n',
      headers: { 'Content-Type': 'application/x-ndjson' },
    });
    expect(fromNdjson.body).toMatchObject({ inserted: 2 });
    const rows = await call<Page<Record<string, unknown>>>('POST', `/v1/datasets/${id}/records/query`, { body: { orderBy: { column: 'taken' }, count: true } });
    expect(rows.body.count).toBe(5);
    expect(rows.body.items.map(({ _id, ...values }) => values)).toEqual([
      { site: 'North, buoy 1', depth: 10, temperature: 12.5, calibrated: true, taken: '2024-05-01T10:00:00.000Z' },
      { site: 'South', depth: 20, taken: '2024-05-02T00:00:00.000Z' },
      { site: 'East', depth: 5, temperature: 14.25, taken: '2024-05-02T22:00:00.000Z' },
      { site: 'West', depth: 7, taken: '2024-05-04T00:00:00.000Z' },
      { site: 'West', depth: 8, calibrated: false, taken: '2024-05-05T00:00:00.000Z' },
    ]);
  });

  it('refuses a body with a bad row with 400 listing row numbers and fields, and stores nothing of it', async () => {
    const id = await hosted();
    const sut = await call('POST', `/v1/datasets/${id}/records`, {
      key: alice,
      ...csv('site,depth,taken\nA,1,2024-01-01\nB,deep,2024-01-02\nC,3,2024-01-03\n,4,yesterday\n'),
    });
    const problem = expectProblem(sut, 400);
    expect(problem.detail).toMatch(/2 of 4 rows are not valid \(rows 2, 4\).*nothing was stored/);
    expect((problem.errors as { pointer: string }[]).map((error) => error.pointer)).toEqual(['/body/row/2/depth', '/body/row/4/site', '/body/row/4/taken']);
    const count = await call<Page>('POST', `/v1/datasets/${id}/records/query`, { body: { count: true, limit: 1 } });
    expect(count.body.count).toBe(0);
  });

  it('with onError=skip stores the good rows and reports the bad ones', async () => {
    const id = await hosted();
    const sut = await call<{ inserted: number; rejected: number; errors: { row: number; line: number; column?: string }[] }>('POST', `/v1/datasets/${id}/records?onError=skip`, {
      key: alice,
      body: [{ site: 'A', depth: 1, taken: '2024-01-01' }, { site: 'B', depth: 1.5, taken: '2024-01-01' }, 'not a row', { site: 'D', depth: 2, taken: '2024-01-01', colour: 'red' }],
    });
    expect(sut.status, sut.text).toBe(201);
    expect(sut.body).toMatchObject({ inserted: 1, rejected: 3 });
    expect(sut.body.errors.map((error) => [error.row, error.column])).toEqual([
      [2, 'depth'],
      [3, undefined],
      [4, 'colour'],
    ]);
  });

  it('refuses a CSV whose header does not match the columns, and bodies that are not CSV, JSON or NDJSON', async () => {
    const id = await hosted();
    const header = expectProblem(await call('POST', `/v1/datasets/${id}/records`, { key: alice, ...csv('site,colour\nA,red\n') }), 400);
    expect(JSON.stringify(header.errors)).toMatch(/'colour' is not a column.*'depth' is missing/);
    expectProblem(await call('POST', `/v1/datasets/${id}/records`, { key: alice, rawBody: 'site=A', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } }), 415);
    expectProblem(await call('POST', `/v1/datasets/${id}/records`, { key: alice, rawBody: '[{"site": "A"', headers: { 'Content-Type': 'application/json' } }), 400);
  });

  it('groups by a text column without allowed values, using the distinct values kept at ingest', async () => {
    const id = await hosted();
    await call('POST', `/v1/datasets/${id}/records`, {
      key: alice,
      ...csv('site,depth,temperature,taken\nA,1,10,2024-01-01\nA,2,11,2024-01-01\nB,3,20,2024-01-01\nC,4,,2024-01-01\n'),
    });
    const sut = await call<Stats>('POST', `/v1/datasets/${id}/records/stats`, { body: { groupBy: 'site', metrics: ['count', 'mean'] } });
    expect(sut.status, sut.text).toBe(200);
    expect(sut.body.groups.map((group) => [group.value, group.count, group.columns.temperature?.count, group.columns.temperature?.mean])).toEqual([
      ['A', 2, 2, 10.5],
      ['B', 1, 1, 20],
      ['C', 1, 0, null],
    ]);
  });

  it('refuses a schema change while records exist (409), and allows it once DELETE has cleared them', async () => {
    const id = await hosted();
    const before = await call('GET', `/v1/datasets/${id}/schema`);
    await call('POST', `/v1/datasets/${id}/records`, { key: alice, ...csv('site,depth,taken\nA,1,2024-01-01\nB,2,2024-01-02\n') });
    const after = await call<{ recordCount: number }>('GET', `/v1/datasets/${id}/schema`, { headers: { 'If-None-Match': before.headers.get('etag') ?? '' } });
    expect(after.status, 'the record count changed, so the representation did').toBe(200);
    expect(after.body.recordCount).toBe(2);
    const changed = { ...MEASUREMENTS, columns: [...MEASUREMENTS.columns, { name: 'salinity', type: 'number', required: false }] };
    expectProblem(await call('PUT', `/v1/datasets/${id}/schema`, { key: alice, body: changed }), 409);
    const deleted = await call('DELETE', `/v1/datasets/${id}/records`, { key: alice });
    expect(deleted.status, deleted.text).toBe(200);
    expect(deleted.body).toEqual({ deleted: 2 });
    const count = await call<Page>('POST', `/v1/datasets/${id}/records/query`, { body: { count: true } });
    expect(count.body).toMatchObject({ items: [], count: 0 });
    const replaced = await call('PUT', `/v1/datasets/${id}/schema`, { key: alice, body: changed });
    expect(replaced.status, replaced.text).toBe(200);
  });
});

describe('hosted datasets: who may do what', () => {
  it('refuses caller A ingest into, delete from or re-declare B’s dataset', async () => {
    const bobs = await hosted(bob);
    await call('POST', `/v1/datasets/${bobs}/records`, { key: bob, ...csv('site,depth,taken\nA,1,2024-01-01\n') });
    expectProblem(await call('POST', `/v1/datasets/${bobs}/records`, { key: alice, ...csv('site,depth,taken\nX,9,2024-01-01\n') }), 403);
    expectProblem(await call('DELETE', `/v1/datasets/${bobs}/records`, { key: alice }), 403);
    expectProblem(await call('PUT', `/v1/datasets/${bobs}/schema`, { key: alice, body: MEASUREMENTS }), 403);
    const count = await call<Page>('POST', `/v1/datasets/${bobs}/records/query`, { key: alice, body: { count: true } });
    expect(count.body.count).toBe(1);
  });

  it('hides a draft dataset’s records from everyone but its owner and admins (404)', async () => {
    const draft = await newDataset(bob, 'draft');
    expect((await call('PUT', `/v1/datasets/${draft}/schema`, { key: bob, body: MEASUREMENTS })).status).toBe(201);
    expectProblem(await call('POST', `/v1/datasets/${draft}/records/query`, { body: {} }), 404);
    expectProblem(await call('GET', `/v1/datasets/${draft}/schema`, { key: alice }), 404);
    expectProblem(await call('POST', `/v1/datasets/${draft}/records`, { key: alice, ...csv('site,depth,taken\nX,9,2024-01-01\n') }), 404);
    expect((await call('POST', `/v1/datasets/${draft}/records/query`, { key: bob, body: {} })).status).toBe(200);
  });

  it('lets anyone read a published dataset, but only authenticated contributors write', async () => {
    const id = await hosted();
    expect((await call('GET', `/v1/datasets/${id}/records`)).status).toBe(200);
    expect((await call('GET', `/v1/datasets/${id}/records`, { key: reader })).status).toBe(200);
    expectProblem(await call('POST', `/v1/datasets/${id}/records`, csv('site,depth,taken\nX,9,2024-01-01\n')), 401);
    expectProblem(await call('POST', `/v1/datasets/${id}/records`, { key: reader, ...csv('site,depth,taken\nX,9,2024-01-01\n') }), 403);
  });

  it('answers 404 for a dataset that does not exist or hosts no records yet', async () => {
    expectProblem(await call('POST', '/v1/datasets/no-such-dataset/records/query', { body: {} }), 404);
    const bare = await newDataset(alice);
    expectProblem(await call('POST', `/v1/datasets/${bare}/records/stats`, { body: {} }), 404);
  });
});
