import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import path from 'node:path';
import { type Container, CosmosClient, type Database } from '@azure/cosmos';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * Long queries in the embedded Cosmos DB server (`local/cosmos-chunks.ts`), in process over HTTPS
 * with the real SDK: requests arriving while a long query runs are answered before it ends, and a
 * page without ORDER BY reads only the documents it needs. Ordering and counts, never timings: the
 * server and the client share this one thread, so "answered before" is the order of completion, and
 * "reads" counts the stored documents the query library read.
 */
const load = createRequire(import.meta.url);
/** The Cosmos DB emulator's published key; the embedded server checks none. */
const KEY = 'C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DF2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==';
const MINE = 60_000;
const OTHERS = 20_000;

interface Doc {
  id: string;
  _rid: string;
  datasetId: string;
  x: number;
  g?: string;
}

interface ItemsModel {
  create(doc: Record<string, unknown>): Doc;
  query: (...args: unknown[]) => unknown;
}

interface AccountModel {
  database(id: string): { collection(id: string): { documents: ItemsModel } };
}

let server: https.Server;
let client: CosmosClient;
let database: Database;
let container: Container;
let reads = 0;
let chunkSettings: { pageBudgetMs: number };
const mine: Doc[] = [];
/** Calls to the documents' `query` that are running, by the SQL they run. */
const started = new Map<string, () => void>();

beforeAll(async () => {
  const { fastPaging } = load(path.resolve(__dirname, '../../dist/local/cosmos-paging.js')) as { fastPaging(): void };
  ({ chunkSettings } = load(path.resolve(__dirname, '../../dist/local/cosmos-chunks.js')) as { chunkSettings: { pageBudgetMs: number } });
  const accountModule = load('@vercel/cosmosdb-server/lib/account') as { default: new (host: string, port: number) => AccountModel };
  let account: AccountModel | undefined;
  const LibraryAccount = accountModule.default;
  accountModule.default = class extends LibraryAccount {
    constructor(host: string, port: number) {
      super(host, port);
      account = this;
    }
  };
  fastPaging();
  const items = (load('@vercel/cosmosdb-server/lib/account/items') as { default: { prototype: ItemsModel } }).default.prototype;
  const query = items.query;
  items.query = function announced(this: ItemsModel, ...args: unknown[]) {
    started.get((args[0] as { query: string }).query)?.();
    return query.apply(this, args);
  };
  const { createHttpsServer } = load('@vercel/cosmosdb-server') as { createHttpsServer(options: object): https.Server };
  server = createHttpsServer({ keepAlive: true });
  server.keepAliveTimeout = 0;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  client = new CosmosClient({ endpoint: `https://127.0.0.1:${port}/`, key: KEY, agent: new https.Agent({ keepAlive: true, rejectUnauthorized: false }) });
  ({ database } = await client.databases.create({ id: 'chunks' }));
  ({ container } = await database.containers.create({ id: 'records', partitionKey: { paths: ['/datasetId'] } }));
  const documents = account!.database('chunks').collection('records').documents;
  for (let i = 0; i < MINE + OTHERS; i++) {
    const doc = documents.create({ id: `r${i}`, datasetId: i % 4 === 3 ? 'other' : 'mine', x: i % 10, ...(i % 7 === 0 ? {} : { g: `g${i % 5}` }) });
    if (doc.datasetId === 'mine') mine.push(doc);
  }
  mine.sort((a, b) => (a._rid < b._rid ? -1 : a._rid > b._rid ? 1 : 0));
  const Item = (load('@vercel/cosmosdb-server/lib/account/item') as { default: { prototype: { read(): unknown } } }).default;
  const read = Item.prototype.read;
  Item.prototype.read = function counted(this: unknown) {
    reads += 1;
    return read.call(this);
  };
  // Sockets for the requests below, open before any query holds the thread.
  await Promise.all([database.read(), database.read(), database.read(), container.read()]);
}, 120_000);

afterAll(async () => {
  client?.dispose();
  await new Promise((resolve) => server?.close(resolve));
});

const parameters = [{ name: '@d', value: 'mine' }];

describe('long queries in the embedded Cosmos DB server', () => {
  it('answers a database read and a point read that arrive while a grouped query runs before the query', async () => {
    const sql = 'SELECT c.g AS g, COUNT(1) AS n, SUM(c.x) AS s, AVG(c.x) AS a FROM c WHERE c.datasetId = @d GROUP BY c.g';
    const finished: string[] = [];
    const inFlight = new Promise<void>((resolve) => started.set(sql, resolve));
    const grouped = container.items
      .query<{ g?: string; n: number; s: number; a: number }>({ query: sql, parameters }, { partitionKey: 'mine' })
      .fetchAll()
      .then(({ resources }) => {
        finished.push('query');
        return resources;
      });
    await inFlight;
    started.delete(sql);
    const health = database.read().then(() => finished.push('health'));
    const point = container.item('r0', 'mine').read().then(() => finished.push('point read'));
    const [groups] = await Promise.all([grouped, health, point]);
    expect(finished).toHaveLength(3);
    expect(finished.at(-1)).toBe('query');
    // And the chunks add up to what one pass over every document gives.
    const expected = new Map<string | undefined, { n: number; s: number }>();
    for (const doc of mine) {
      const group = expected.get(doc.g) ?? { n: 0, s: 0 };
      group.n += 1;
      group.s += doc.x;
      expected.set(doc.g, group);
    }
    const byKey = (rows: { g?: string }[]) => [...rows].sort((a, b) => String(a.g).localeCompare(String(b.g)));
    expect(byKey(groups)).toEqual(byKey([...expected].map(([g, { n, s }]) => ({ ...(g === undefined ? {} : { g }), n, s, a: s / n }))));
  });

  it('cuts a page without ORDER BY from the documents it needs, and pages through every match in _rid order', async () => {
    // A first query of the partition, as callers send before paging (its index is kept from the first write on).
    await container.items.query({ query: 'SELECT TOP 1 c.id FROM c WHERE c.datasetId = @d', parameters }, { partitionKey: 'mine' }).fetchAll();
    const iterator = container.items.query<{ id: string }>(
      { query: 'SELECT c.id, c.x AS v FROM c WHERE c.datasetId = @d AND c.x >= 3', parameters },
      { partitionKey: 'mine', maxItemCount: 100 },
    );
    const ids: string[] = [];
    const readsPerPage: number[] = [];
    while (iterator.hasMoreResults()) {
      reads = 0;
      const { resources } = await iterator.fetchNext();
      readsPerPage.push(reads);
      ids.push(...resources.map((row) => row.id));
    }
    expect(ids).toEqual(mine.filter((doc) => doc.x >= 3).map((doc) => doc.id));
    // A page of 100 matches (70% of documents match) needs about 143 documents; the whole
    // partition is 60,000. The first chunk is 500 documents, the binary search for a continuation ~16.
    expect(readsPerPage[0]).toBeLessThan(MINE / 20);
    expect(Math.max(...readsPerPage.slice(1))).toBeLessThan(MINE / 20);
  });

  it('sorts across chunks as one sort (ORDER BY, ties by _rid) and keeps TOP', async () => {
    const { resources } = await container.items
      .query<{ id: string }>({ query: 'SELECT TOP 3000 c.id FROM c WHERE c.datasetId = @d AND c.x < 5 ORDER BY c.x DESC', parameters }, { partitionKey: 'mine' })
      .fetchAll();
    const expected = mine
      .filter((doc) => doc.x < 5)
      .sort((a, b) => b.x - a.x)
      .slice(0, 3000)
      .map((doc) => doc.id);
    expect(resources.map((row) => row.id)).toEqual(expected);
  });

  it('answers a query still running after its page time with empty pages and a continuation, then the whole answer', async () => {
    const budget = chunkSettings.pageBudgetMs;
    // No time at all: every request runs one chunk after the first, then hands on.
    chunkSettings.pageBudgetMs = 0;
    try {
      const aggregate = container.items.query<{ n: number; s: number }>({ query: 'SELECT COUNT(1) AS n, SUM(c.x) AS s FROM c WHERE c.datasetId = @d', parameters }, { partitionKey: 'mine' });
      const pages: { n: number; s: number }[][] = [];
      while (aggregate.hasMoreResults()) pages.push((await aggregate.fetchNext()).resources);
      expect(pages.length).toBeGreaterThan(1);
      expect(pages.slice(0, -1).flat()).toEqual([]);
      expect(pages.at(-1)).toEqual([{ n: mine.length, s: mine.reduce((sum, doc) => sum + doc.x, 0) }]);

      const sorted = container.items.query<{ id: string }>(
        { query: 'SELECT c.id FROM c WHERE c.datasetId = @d AND c.x >= 8 ORDER BY c.x', parameters },
        { partitionKey: 'mine', maxItemCount: 1000 },
      );
      const ids: string[] = [];
      while (sorted.hasMoreResults()) ids.push(...(await sorted.fetchNext()).resources.map((row) => row.id));
      expect(ids).toEqual([...mine.filter((doc) => doc.x >= 8)].sort((a, b) => a.x - b.x).map((doc) => doc.id));
    } finally {
      chunkSettings.pageBudgetMs = budget;
    }
  });

  it('keeps the partition in _rid order through writes: the first page after a create, a replace and a delete reads only what it cuts', async () => {
    const matching = (doc: Doc) => doc.x >= 3;
    const pages = async () => {
      const iterator = container.items.query<{ id: string }>({ query: 'SELECT c.id FROM c WHERE c.datasetId = @d AND c.x >= 3', parameters }, { partitionKey: 'mine', maxItemCount: 100 });
      const ids: string[] = [];
      reads = 0;
      ids.push(...(await iterator.fetchNext()).resources.map((row) => row.id));
      const firstPageReads = reads;
      while (iterator.hasMoreResults()) ids.push(...(await iterator.fetchNext()).resources.map((row) => row.id));
      return { ids, firstPageReads };
    };
    await pages();
    // One write of each kind in the partition (and one in another): the next query must not re-read the container.
    const { resource: created } = await container.items.create<Doc>({ id: 'late', datasetId: 'mine', x: 9 } as Doc);
    const replaced = mine.find(matching) as Doc;
    await container.item(replaced.id, 'mine').replace({ ...replaced, x: 0 });
    const removed = mine.filter(matching)[1] as Doc;
    await container.item(removed.id, 'mine').delete();
    await container.items.create({ id: 'late-other', datasetId: 'other', x: 9 });
    const { ids, firstPageReads } = await pages();
    const expected = [...mine.filter((doc) => doc !== replaced && doc !== removed), created as Doc]
      .sort((a, b) => (a._rid < b._rid ? -1 : a._rid > b._rid ? 1 : 0))
      .filter(matching)
      .map((doc) => doc.id);
    expect(ids).toEqual(expected);
    // 100 matches need about 143 documents (one 500-document chunk at most); the partition holds 60,000.
    expect(firstPageReads).toBeLessThan(MINE / 20);
  });
});
