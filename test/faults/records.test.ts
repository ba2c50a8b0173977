import { describe, expect, it } from 'vitest';
import type { RequestMatch } from '../support/fault-proxy';
import { useProxiedStack } from '../support/proxied-stack';

/**
 * Hosted dataset records seen from between the app and Cosmos DB (a private stack behind the fault
 * proxies of test/support/fault-proxy.ts): how many Cosmos requests a grouped stats call makes
 * (issue 22), and what an ingest does when Cosmos DB throttles its writes (issue 17, item 4).
 */

/** Small, so that a test can outlast it: the default is a minute. */
const THROTTLE_BUDGET_SECONDS = 3;

const stack = useProxiedStack({ seed: false, settings: { INGEST_THROTTLE_BUDGET: String(THROTTLE_BUDGET_SECONDS) } });
const { call } = stack;

/** A published dataset with a numeric column and a string label whose values are only known from the data. */
async function hostedDataset(kinds: number, rowsPerKind: number): Promise<string> {
  const created = await call<{ id: string }>('POST', '/v1/catalogue/datasets', { body: { name: `records faults ${kinds}×${rowsPerKind}`, description: { plain: 'Generated rows for the faults suite.' }, status: 'published' } });
  expect(created.status, created.text).toBe(201);
  const id = created.body.id;
  const schema = await call('PUT', `/v1/datasets/${id}/schema`, { body: { columns: [{ name: 'x', type: 'number' }, { name: 'kind', type: 'string' }], label: 'kind' } });
  expect(schema.status, schema.text).toBe(201);
  if (rowsPerKind > 0) {
    const ingest = await call('POST', `/v1/datasets/${id}/records`, { raw: csvRows(kinds, rowsPerKind), contentType: 'text/csv' });
    expect(ingest.status, ingest.text).toBe(201);
  }
  return id;
}

function csvRows(kinds: number, rowsPerKind: number): string {
  const lines = ['x,kind'];
  for (let k = 0; k < kinds; k++) for (let i = 0; i < rowsPerKind; i++) lines.push(`${i + k / 10},kind-${k}`);
  return `${lines.join('\n')}\n`;
}

/** Bulk writes to the records container (the SDK's batch requests). */
const recordsBulk: RequestMatch = (request) => request.method === 'POST' && /\/colls\/records\/docs$/.test(request.path) && request.headers['x-ms-cosmos-is-batch-request'] !== undefined;

describe('POST …/records/stats grouped by a column', () => {
  /** The Cosmos requests one stats call makes, in order: method, container, and whether it is a query. */
  async function statsRequests(id: string): Promise<string[]> {
    await call('POST', `/v1/datasets/${id}/records/stats`, { body: { groupBy: 'kind' } }); // the API key's lookup is now warm, as in steady use
    stack.cosmos.clearLog();
    const stats = await call<{ groups: { value: string; count: number }[] }>('POST', `/v1/datasets/${id}/records/stats`, { body: { groupBy: 'kind' } });
    expect(stats.status, stats.text).toBe(200);
    expect(stats.body.groups.map((group) => group.count)).toEqual(stats.body.groups.map(() => 3));
    return stack.cosmos.log.map((request) => `${request.method} ${/\/colls\/([^/]+)/.exec(request.path)?.[1] ?? request.path}${request.isQuery ? ' query' : ''}`);
  }

  it('sends the same Cosmos requests for 2 groups as for 12: entry and dataset document at once, and one GROUP BY query', async () => {
    const two = await statsRequests(await hostedDataset(2, 3));
    const twelve = await statsRequests(await hostedDataset(12, 3));
    // The entry and the dataset document are read at once: either may reach the proxy first.
    const settled = (requests: string[]) => [requests[0], ...requests.slice(1, 3).sort(), ...requests.slice(3)];
    expect(settled(twelve), JSON.stringify(twelve)).toEqual(settled(two));
    // The API key's principal, then the entry and the dataset document (columns, profile, layout:
    // point reads side by side), then the one GROUP BY query, which the SDK (4.x) sends with its
    // query-plan request alongside. One query per group made this 9 requests for 2 groups and 29 for
    // 12; a profile of its own, 6.
    expect(settled(two)).toEqual(['GET principals', 'GET catalogue', 'GET records', 'POST records query', 'POST records query']);
  });
});

describe('ingest while Cosmos DB throttles the writes (429 with x-ms-retry-after-ms)', () => {
  /** The records a dataset holds, counted through the API. */
  async function storedCount(id: string): Promise<number> {
    const page = await call<{ count: number }>('POST', `/v1/datasets/${id}/records/query`, { body: { count: true, limit: 1 } });
    expect(page.status, page.text).toBe(200);
    return page.body.count;
  }

  it('waits as long as Cosmos DB asks, past the SDK’s own retries, and stores every row', async () => {
    const id = await hostedDataset(2, 0);
    // Twelve throttled bulk calls: more than the five tries ingest used to give them.
    stack.cosmos.answer(12, 429, { 'x-ms-retry-after-ms': '20', 'x-ms-substatus': '3200' }, recordsBulk);
    const ingest = await call('POST', `/v1/datasets/${id}/records`, { raw: csvRows(2, 250), contentType: 'text/csv' });
    expect(ingest.status, ingest.text).toBe(201);
    expect(ingest.body).toMatchObject({ inserted: 500, rejected: 0 });
    expect(await storedCount(id)).toBe(500);
  });

  it('past INGEST_THROTTLE_BUDGET: 503 problem+json with Retry-After, and the rows already stored stay', async () => {
    const id = await hostedDataset(2, 0);
    // The first two bulk calls go through; every later one is throttled for longer than the budget.
    let bulkCalls = 0;
    const afterTwo: RequestMatch = (request) => recordsBulk(request) && ++bulkCalls > 2;
    stack.cosmos.answer(100_000, 429, { 'x-ms-retry-after-ms': '100', 'x-ms-substatus': '3200' }, afterTwo);
    stack.cosmos.clearLog();
    const ingest = await call<{ status: number; detail: string }>('POST', `/v1/datasets/${id}/records`, { raw: csvRows(10, 100), contentType: 'text/csv' });
    expect(ingest.status, ingest.text).toBe(503);
    expect(ingest.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(Number(ingest.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    stack.cosmos.reset();
    const stored = await storedCount(id);
    expect(stored).toBe(200);
    expect(ingest.body.detail).toContain(`${stored} of 1000 rows were stored`);
  });
});
