import https from 'node:https';
import { type Container, CosmosClient, type Database, type ErrorResponse, type OperationInput } from '@azure/cosmos';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { StrictLimits } from '../../local/cosmos-strict';
import { readNonEmptyPage } from '../../shared/azure/cosmos';
import { KEY, type PrivateCosmos, startPrivateCosmos } from '../support/private-cosmos';

/**
 * Strict mode of the embedded Cosmos DB server (`local/cosmos-strict.ts`): the limits Azure Cosmos DB
 * enforces, answered as Cosmos answers them, each through the real SDK. One private server; each
 * test sets the limits it needs (`POST /_strict`) and the defaults come back after it.
 */
const MB = 1024 * 1024;

let cosmos: PrivateCosmos | undefined;
let endpoint = '';
let client: CosmosClient;
let database: Database;
const agent = new https.Agent({ rejectUnauthorized: false });

async function setLimits(changes: Partial<StrictLimits>): Promise<StrictLimits> {
  const body = JSON.stringify(changes);
  return new Promise((resolve, reject) => {
    const request = https.request(`${endpoint}_strict`, { method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => (text += chunk.toString()));
      response.on('end', () => resolve(JSON.parse(text) as StrictLimits));
    });
    request.on('error', reject);
    request.end(body);
  });
}

let defaults: StrictLimits;

beforeAll(async () => {
  cosmos = await startPrivateCosmos({ COSMOS_STRICT: '1', COSMOS_STRICT_EMPTY_PAGE_EVERY: '0' }, agent);
  ({ endpoint, client } = cosmos);
  ({ database } = await client.databases.create({ id: 'strict' }));
  defaults = await setLimits({});
});

afterEach(async () => {
  await setLimits(defaults);
});

afterAll(async () => {
  await cosmos?.stop();
});

let containers = 0;
async function freshContainer(partitionKey = '/pk'): Promise<Container> {
  containers += 1;
  const { container } = await database.containers.create({ id: `c${containers}`, partitionKey: { paths: [partitionKey] } });
  return container;
}

async function failure(promise: Promise<unknown>): Promise<ErrorResponse> {
  try {
    await promise;
  } catch (error) {
    return error as ErrorResponse;
  }
  throw new Error('expected the request to be refused');
}

const filler = (bytes: number) => 'x'.repeat(bytes);

describe('strict mode: item size (Cosmos: 2 MB)', () => {
  it('defaults to 2 MB', () => {
    expect(defaults.itemMaxBytes).toBe(2 * MB);
  });

  it('refuses a create over 2 MB with 413 RequestEntityTooLarge and stores nothing', async () => {
    const sut = await freshContainer();
    await sut.items.create({ id: 'fits', pk: 'a', blob: filler(2 * MB - 100) });
    const error = await failure(sut.items.create({ id: 'big', pk: 'a', blob: filler(2 * MB) }));
    expect(error.code).toBe(413);
    expect(error.message).toContain('Request size is too large');
    expect((await sut.item('big', 'a').read()).statusCode).toBe(404);
  });

  it('refuses a replace, an upsert and a patch that grow an item past the limit, and keeps the item as it was', async () => {
    const sut = await freshContainer();
    await setLimits({ itemMaxBytes: 1_000 });
    await sut.items.create({ id: 'doc', pk: 'a', n: 1 });
    expect((await failure(sut.item('doc', 'a').replace({ id: 'doc', pk: 'a', blob: filler(1_000) }))).code).toBe(413);
    expect((await failure(sut.items.upsert({ id: 'doc', pk: 'a', blob: filler(1_000) }))).code).toBe(413);
    expect((await failure(sut.item('doc', 'a').patch([{ op: 'set', path: '/blob', value: filler(1_000) }]))).code).toBe(413);
    const { resource } = await sut.item('doc', 'a').read<{ n: number; blob?: string }>();
    expect(resource).toMatchObject({ id: 'doc', n: 1 });
    expect(resource?.blob).toBeUndefined();
  });
});

describe('strict mode: logical partition size (Cosmos: 20 GB, scaled down)', () => {
  it('refuses a write to a full partition with 403 substatus 1014; other partitions and freed room still take writes', async () => {
    const sut = await freshContainer();
    await setLimits({ partitionCapBytes: 5_000 });
    let written = 0;
    let error: ErrorResponse | undefined;
    while (!error && written < 100) {
      error = await sut.items.create({ id: `d${written}`, pk: 'full', blob: filler(900) }).then(
        () => undefined,
        (refused: ErrorResponse) => refused,
      );
      if (!error) written += 1;
    }
    expect(written).toBe(4);
    expect(error?.code).toBe(403);
    expect(error?.substatus).toBe(1014);
    expect(error?.message).toContain('Partition key reached maximum size');
    await sut.items.create({ id: 'd0', pk: 'other', blob: filler(900) });
    await sut.item('d0', 'full').delete();
    await sut.items.create({ id: 'again', pk: 'full', blob: filler(900) });
  });

  it('refuses only the bulk operations that do not fit (3 stored items of ~1 KB fit in 4,000 bytes, a 4th does not), each with its own 403', async () => {
    const sut = await freshContainer();
    await setLimits({ partitionCapBytes: 4_000 });
    const operations: OperationInput[] = Array.from({ length: 4 }, (_, i) => ({
      operationType: 'Create',
      resourceBody: { id: `b${i}`, pk: i % 2 === 0 ? 'even' : 'odd', blob: filler(900) },
    }));
    // `items.bulk`, as the records ingest calls it: one status per operation.
    const first = await sut.items.bulk(operations, { continueOnError: true });
    expect(first.map((result) => result.statusCode)).toEqual([201, 201, 201, 201]);
    const more = await sut.items.bulk(
      Array.from({ length: 3 }, (_, i) => ({ operationType: 'Create' as const, resourceBody: { id: `m${i}`, pk: i === 0 ? 'odd' : 'even', blob: filler(900) } })),
      { continueOnError: true },
    );
    expect(more.map((result) => result.statusCode)).toEqual([201, 201, 403]);
  });
});

describe('strict mode: request rate (429 with x-ms-retry-after-ms)', () => {
  it('throttles past the budget; a client that does not retry sees 429 substatus 3200 and how long to wait', async () => {
    const sut = await freshContainer();
    await sut.items.create({ id: 'hot', pk: 'a' });
    const impatient = new CosmosClient({ endpoint, key: KEY, agent, connectionPolicy: { retryOptions: { maxRetryAttemptCount: 0, fixedRetryIntervalInMilliseconds: 0, maxWaitTimeInSeconds: 0 } } });
    try {
      await setLimits({ requestUnitsPerSecond: 2 });
      const error = await failure(impatient.database('strict').container(sut.id).item('hot', 'a').read());
      expect(error.code).toBe(429);
      expect(error.substatus).toBe(3200);
      expect(error.retryAfterInMs).toBeGreaterThan(0);
    } finally {
      impatient.dispose();
    }
  });

  it('the SDK waits what x-ms-retry-after-ms says and every read succeeds', async () => {
    const sut = await freshContainer();
    await sut.items.create({ id: 'hot', pk: 'a' });
    // A new budget starts empty; one read after another, so no read competes for the next unit.
    await setLimits({ requestUnitsPerSecond: 5 });
    const reads = [];
    for (let i = 0; i < 5; i += 1) reads.push(await sut.item('hot', 'a').read());
    expect(reads.map((read) => read.statusCode)).toEqual([200, 200, 200, 200, 200]);
    expect(reads[0]?.diagnostics.clientSideRequestStatistics.retryDiagnostics.failedAttempts.length).toBeGreaterThan(0);
  });
});

describe('strict mode: cross-partition queries answer empty pages with a continuation', () => {
  it('gives empty pages the plain SDK loop hands on, and readNonEmptyPage reads past them to every item once', async () => {
    const sut = await freshContainer();
    for (let i = 0; i < 12; i += 1) await sut.items.create({ id: `q${String(i).padStart(2, '0')}`, pk: `p${i % 4}` });
    await setLimits({ emptyPageEvery: 2 });
    const query = { query: 'SELECT c.id FROM c WHERE STARTSWITH(c.id, "q")' };
    const options = { maxItemCount: 5, enableQueryControl: true } as const;

    const plain = sut.items.query<{ id: string }>(query, options);
    let emptyWithContinuation = 0;
    while (plain.hasMoreResults()) {
      const page = await plain.fetchNext();
      if (page.resources.length === 0 && page.continuationToken) emptyWithContinuation += 1;
    }
    expect(emptyWithContinuation).toBeGreaterThan(0);

    const ids: string[] = [];
    let continuationToken: string | undefined;
    do {
      const page = await readNonEmptyPage(sut.items.query<{ id: string }>(query, { ...options, continuationToken }));
      expect(page.items.length > 0 || !page.continuation).toBe(true);
      ids.push(...page.items.map((item) => item.id));
      continuationToken = page.continuation;
    } while (continuationToken);
    expect(ids.sort()).toEqual(Array.from({ length: 12 }, (_, i) => `q${String(i).padStart(2, '0')}`));
  });
});

describe('transactional batches (local/cosmos-batch.ts): all operations or none', () => {
  it('applies a Create and a Patch together', async () => {
    const sut = await freshContainer();
    await sut.items.create({ id: 'job', pk: 'j', done: 1 });
    const { result = [] } = await sut.items.batch(
      [
        { operationType: 'Create', resourceBody: { id: 'part-1', pk: 'j' } },
        { operationType: 'Patch', id: 'job', resourceBody: { operations: [{ op: 'incr', path: '/done', value: 2 }] } },
      ],
      'j',
    );
    expect(result.map((r) => r.statusCode)).toEqual([201, 200]);
    expect((await sut.item('job', 'j').read<{ done: number }>()).resource?.done).toBe(3);
  });

  it('undoes the operations before a failing one: the failure has its status, every other 424', async () => {
    const sut = await freshContainer();
    await sut.items.create({ id: 'job', pk: 'j', done: 1 });
    await sut.items.create({ id: 'part-1', pk: 'j' });
    const { result = [] } = await sut.items.batch(
      [
        { operationType: 'Patch', id: 'job', resourceBody: { operations: [{ op: 'incr', path: '/done', value: 5 }] } },
        { operationType: 'Create', resourceBody: { id: 'new', pk: 'j' } },
        { operationType: 'Create', resourceBody: { id: 'part-1', pk: 'j' } },
      ],
      'j',
    );
    expect(result.map((r) => r.statusCode)).toEqual([424, 424, 409]);
    const { resource, etag } = await sut.item('job', 'j').read<{ done: number }>();
    expect(resource?.done).toBe(1);
    expect((await sut.item('new', 'j').read()).statusCode).toBe(404);
    // The job is back exactly as it was: its ETag still matches.
    await sut.item('job', 'j').replace({ id: 'job', pk: 'j', done: 2 }, { accessCondition: { type: 'IfMatch', condition: etag ?? '' } });
  });
});
