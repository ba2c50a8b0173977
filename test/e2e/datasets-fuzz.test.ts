import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { IRIS_DATASET_ID } from '../../local/seed/query.seed';
import { apiFetch, baseUrl } from '../support/api';

/**
 * Hostile queries against a dataset that exists (the seeded iris data), so they reach the filter
 * compiler, the URL parser and Cosmos DB rather than stopping at a 404: filters of any shape, with
 * real and made-up columns, operators and values of every type. Never a 5xx; every error is
 * problem+json; every success is JSON of the documented shape.
 */
const IRIS = `${baseUrl()}/api/v1/datasets/${IRIS_DATASET_ID}`;
const RUNS = Number(process.env.QUERY_FUZZ_RUNS ?? 60);

const columns = fc.constantFrom('sepal_length', 'sepal_width', 'species', 'petal_width', 'colour', '', 'x"] OR 1=1 --', 'values');
const operators = fc.constantFrom('eq', 'ne', 'in', 'notIn', 'gt', 'gte', 'lt', 'lte', 'contains', 'startsWith', 'exists', 'like', 'column');
const values = fc.oneof(
  fc.constantFrom('setosa', 'virginica', 'rose', '', "' OR 1=1 --", '2024-01-01', 'NaN', '1e308'),
  fc.double({ noNaN: true }),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.oneof(fc.constantFrom('setosa', 'versicolor', 'x'), fc.double({ noNaN: true, min: 0, max: 8 })), { maxLength: 4 }),
  fc.jsonValue({ maxDepth: 2 }),
);
const predicate = fc.dictionary(operators, values, { minKeys: 0, maxKeys: 3 }).chain((ops) => columns.map((column) => ({ column, ...ops })));

function filter(depth: number): fc.Arbitrary<unknown> {
  if (depth === 0) return fc.oneof(predicate, values);
  const inner = filter(depth - 1);
  return fc.oneof(
    { weight: 3, arbitrary: predicate },
    { weight: 1, arbitrary: fc.array(inner, { maxLength: 3 }).map((and) => ({ and })) },
    { weight: 1, arbitrary: fc.array(inner, { maxLength: 3 }).map((or) => ({ or })) },
    { weight: 1, arbitrary: inner.map((not) => ({ not })) },
    { weight: 1, arbitrary: fc.record({ and: fc.array(inner, { maxLength: 2 }), column: columns }) },
  );
}

const native = fc.record(
  {
    filter: filter(3),
    select: fc.array(columns, { maxLength: 3 }),
    orderBy: fc.oneof(fc.record({ column: columns, direction: fc.constantFrom('asc', 'desc', 'up') }), values),
    limit: fc.oneof(fc.integer({ min: -5, max: 2000 }), values),
    cursor: fc.oneof(fc.string({ maxLength: 30 }), fc.constant('eyJjIjoie30iLCJmIjoieCJ9')),
    count: fc.oneof(fc.boolean(), values),
    groupBy: columns,
    metrics: fc.array(fc.constantFrom('count', 'mean', 'median', 'stddev'), { maxLength: 3 }),
    columns: fc.array(columns, { maxLength: 3 }),
  },
  { requiredKeys: [] },
);
const iris = fc.record(
  {
    species: values,
    lower: fc.dictionary(columns, values, { maxKeys: 2 }),
    upper: fc.dictionary(columns, values, { maxKeys: 2 }),
    page: fc.oneof(fc.integer({ min: -1, max: 20_000 }), values),
    per_page: fc.oneof(fc.integer({ min: -1, max: 2_000 }), values),
  },
  { requiredKeys: [] },
);
/** Mostly one profile at a time (mixing them is refused early), sometimes both. */
const queryBody = fc.oneof({ weight: 4, arbitrary: native }, { weight: 4, arbitrary: iris }, { weight: 1, arbitrary: fc.tuple(native, iris).map(([a, b]) => ({ ...a, ...b })) });

const urlParameter = fc.tuple(
  fc.oneof(
    fc.tuple(columns, fc.constantFrom('', '__exact', '__not', '__gt', '__gte', '__lt', '__lte', '__in', '__notin', '__contains', '__startswith', '__isnull', '__regex')).map(([c, o]) => `${c}${o}`),
    fc.constantFrom('_sort', '_sort_desc', '_size', '_next', '_col', '_facet', '_count', '_format', '_stream', '_shape'),
  ),
  fc.oneof(fc.constantFrom('setosa', '5', '-petal_width', 'species', 'csv', 'on', '["a,b"]', '[1,', '', '1e999'), fc.string({ maxLength: 12 })),
);

const statuses = new Map<number, number>();

async function expectWellFormed(response: Response, label: string): Promise<void> {
  statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
  const text = await response.text();
  expect(response.status, `${label} → ${response.status} ${text.slice(0, 300)}`).toBeLessThan(500);
  const type = response.headers.get('content-type') ?? '';
  if (response.status >= 400) {
    expect(type, label).toMatch(/^application\/problem\+json/);
    expect(JSON.parse(text), label).toMatchObject({ status: response.status, title: expect.any(String), detail: expect.any(String) });
  } else if (type.startsWith('application/json')) {
    expect(JSON.parse(text), label).toBeTypeOf('object');
  }
}

describe('hostile queries against the hosted iris data', () => {
  afterAll(() => {
    // Some of them must get through validation, or this would only test the validation.
    expect(statuses.get(200) ?? 0).toBeGreaterThan(0);
  });

  it('POST …/records/query and …/records/stats never answer 5xx, and errors are problem+json', async () => {
    await fc.assert(
      fc.asyncProperty(queryBody, fc.constantFrom('query', 'stats'), async (body, endpoint) => {
        const response = await apiFetch(`${IRIS}/records/${endpoint}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
        await expectWellFormed(response, `${endpoint} ${JSON.stringify(body)}`);
      }),
      { numRuns: RUNS },
    );
  }, 60_000);

  it('GET …/records with any parameters and Accept never answers 5xx, and errors are problem+json', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(urlParameter, { maxLength: 5 }), fc.constantFrom(undefined, 'text/csv', 'application/x-ndjson', 'image/png', 'text/csv;q=0, */*;q=0.1'), async (parameters, accept) => {
        const url = `${IRIS}/records?${new URLSearchParams(parameters).toString()}`;
        const response = await apiFetch(url, { headers: accept ? { Accept: accept } : {} });
        await expectWellFormed(response, `${url} (Accept: ${accept})`);
      }),
      { numRuns: RUNS },
    );
  }, 60_000);
});
