import { createRequire } from 'node:module';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

/**
 * Paging in the embedded Cosmos DB server (`local/cosmos-paging.ts`), in process against the
 * library's own model: a later page of a query must not run the whole query again, and must still
 * answer what running it again would. "Runs again" is counted, not timed: every full run reads each
 * stored document once.
 */
const load = createRequire(import.meta.url);

interface Items {
  create(doc: Record<string, unknown>): Record<string, unknown>;
  query(body: { query: string; parameters?: { name: string; value: unknown }[] }, options: { maxItemCount: number; continuation: unknown }): { result: { id: string }[]; continuation: unknown };
}

let documents: Items;
let reads = 0;

beforeAll(() => {
  const { fastPaging } = load(path.resolve(__dirname, '../../dist/local/cosmos-paging.js')) as { fastPaging(): void };
  fastPaging();
  const Item = (load('@vercel/cosmosdb-server/lib/account/item') as { default: { prototype: { read(): unknown } } }).default;
  const Account = (load('@vercel/cosmosdb-server/lib/account') as { default: new (host: string, port: number) => unknown }).default;
  const account = new Account('127.0.0.1', 1) as {
    databases: { create(doc: object): unknown };
    database(id: string): { collections: { create(doc: object): unknown }; collection(id: string): { documents: Items } };
  };
  account.databases.create({ id: 'db' });
  account.database('db').collections.create({ id: 'records', partitionKey: { paths: ['/datasetId'], kind: 'Hash' } });
  documents = account.database('db').collection('records').documents;
  for (let i = 0; i < 1000; i++) documents.create({ id: `r${String(i).padStart(4, '0')}`, datasetId: i % 4 === 0 ? 'other' : 'mine', n: i % 10 });
  const read = Item.prototype.read;
  Item.prototype.read = function counted(this: unknown) {
    reads += 1;
    return read.call(this);
  };
});

const QUERY = {
  query: 'SELECT c.id FROM c WHERE c.datasetId = @datasetId AND c.n >= @n ORDER BY c.id DESC',
  parameters: [
    { name: '@datasetId', value: 'mine' },
    { name: '@n', value: 3 },
  ],
};

function allPages(pageSize: number, between?: (page: number) => void): string[] {
  const ids: string[] = [];
  let continuation: unknown = null;
  let page = 0;
  do {
    const answer = documents.query(QUERY, { maxItemCount: pageSize, continuation });
    ids.push(...answer.result.map((doc) => doc.id));
    continuation = answer.continuation;
    between?.((page += 1));
  } while (continuation);
  return ids;
}

describe('paging a query in the embedded Cosmos DB server', () => {
  it('runs the query once for all its pages, and answers what one page of everything answers', () => {
    const whole = documents.query(QUERY, { maxItemCount: 10_000, continuation: null }).result.map((doc) => doc.id);
    expect(whole).toHaveLength(550);
    reads = 0;
    expect(allPages(50)).toEqual(whole);
    // One full run reads each of the 1,000 documents once; 12 runs (one per page) would read 12,000.
    expect(reads).toBeLessThan(2_000);
  });

  it('runs it again after a write, so a later page sees the container as it is', () => {
    let added = false;
    const ids = allPages(50, (page) => {
      if (page !== 2 || added) return;
      // Sorts last (ORDER BY c.id DESC): a page not yet served must show it.
      documents.create({ id: 'a-late-one', datasetId: 'mine', n: 9 });
      added = true;
    });
    expect(ids).toContain('a-late-one');
    expect(ids.at(-1)).toBe('a-late-one');
    expect(new Set(ids).size).toBe(ids.length);
  });
});
