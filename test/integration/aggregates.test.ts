import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countEntries } from '../../shared/catalogue/catalogue.repository';
import { oneBucket } from '../../shared/datasets/records.layout';
import { aggregateRecords, countRecords } from '../../shared/datasets/records.repository';
import { imageTotals } from '../../shared/labels/image.repository';
import { countAnnotations } from '../../shared/labels/label.repository';
import { useStackSettings } from '../support/stack-env';

/**
 * Every aggregate query but a planned one must name its partition: with a partition key the SDK sends the query to
 * that one partition as written and does not plan it, which is what lets the stats query use several
 * aggregates without VALUE (a planned query refuses them). Observes the real SDK (the same CommonJS
 * module the repositories load) and the real embedded Cosmos server; nothing is replaced.
 */
type Items = typeof import('@azure/cosmos').Items;
const { Items: ItemsClass } = createRequire(__filename)('@azure/cosmos') as { Items: Items };

const AGGREGATE = /\b(COUNT|SUM|MIN|MAX|AVG)\s*\(/i;
const issued: { query: string; partitionKey: unknown }[] = [];
const originalQuery = ItemsClass.prototype.query;

beforeAll(() => {
  useStackSettings();
  // A pass-through wrapper that records each query and the options it was issued with.
  ItemsClass.prototype.query = function observed(this: InstanceType<Items>, ...args: Parameters<InstanceType<Items>['query']>) {
    const [query, options] = args;
    issued.push({ query: typeof query === 'string' ? query : query.query, partitionKey: options?.partitionKey });
    return originalQuery.apply(this, args);
  } as InstanceType<Items>['query'];
});

afterAll(() => {
  ItemsClass.prototype.query = originalQuery;
});

describe('aggregate queries', () => {
  it('each pass a partition key and return the total over empty data', async () => {
    const id = `agg-${Date.now()}`;
    await expect(countAnnotations(id, 'campaign')).resolves.toBe(0);
    await expect(imageTotals(id)).resolves.toEqual({ count: 0, bytes: 0 });
    await expect(countRecords(oneBucket(id), { where: 'true', parameters: [] })).resolves.toBe(0);
    await expect(aggregateRecords(oneBucket(id), 'COUNT(1) AS n', { where: 'true', parameters: [] })).resolves.toEqual({ n: 0 });
    await expect(countEntries('dataset', {}, { kind: 'all' })).resolves.toBeTypeOf('number');

    const aggregates = issued.filter((call) => AGGREGATE.test(call.query));
    expect(aggregates.length, 'the observer saw the repositories’ queries').toBeGreaterThanOrEqual(6);
    // Across partitions only what the SDK plans and combines: `SELECT VALUE <aggregate>` (the catalogue's
    // counts, partitioned by id) and GROUP BY (its facets).
    const planned = /^SELECT VALUE (COUNT|SUM)\(|\bGROUP BY\b/i;
    const unplanned = aggregates.filter((call) => typeof call.partitionKey !== 'string' && !planned.test(call.query));
    expect(unplanned.map((call) => call.query)).toEqual([]);
  });
});
