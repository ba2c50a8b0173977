import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { aggregateSelect, statsInMemory } from '../../shared/datasets/records.stats';
import { oneBucket, partitionKeyOf } from '../../shared/datasets/records.layout';
import { aggregateRecords, type CellValue, cosmosRecordWriter, countRecords, queryRecordPage } from '../../shared/datasets/records.repository';
import { compileFilter } from '../../shared/query/filter.compiler';
import { evaluateFilter } from '../../shared/query/filter.evaluate';
import type { ColumnDef, ColumnType, Filter, Scalar } from '../../shared/query/filter.schema';
import { useStackSettings } from '../support/stack-env';

/**
 * The query compiler against Cosmos DB: random column schemas, random rows, random filters; what
 * the compiled SQL selects inside Cosmos DB must be exactly what the filter selects in memory
 * (`evaluateFilter`), and the pushed-down aggregates must equal the in-memory ones.
 */
beforeAll(() => useStackSettings());

const TYPES: ColumnType[] = ['number', 'integer', 'string', 'boolean', 'datetime'];
const NUMBERS = [-2.5, -1, 0, 0.5, 1, 1.5, 2, 3.25];
const STRINGS = ['', 'a', 'ab', 'abc', 'b', 'ba', 'c', 'Ab', 'bAB', 'a_b', 'a%'];
const CATEGORIES = ['x', 'y', 'z'];
const DATES = ['2023-12-31T23:59:59.000Z', '2024-01-01T00:00:00.000Z', '2024-01-02T12:00:00.000Z', '2024-06-01T00:00:00.000Z'];

function domain(column: ColumnDef): fc.Arbitrary<Scalar> {
  switch (column.type) {
    case 'number':
      return fc.constantFrom(...NUMBERS);
    case 'integer':
      return fc.integer({ min: -3, max: 3 });
    case 'boolean':
      return fc.boolean();
    case 'datetime':
      return fc.constantFrom(...DATES);
    case 'string':
      return column.values ? fc.constantFrom(...(column.values as string[])) : fc.constantFrom(...STRINGS);
  }
}

const schemaArb: fc.Arbitrary<ColumnDef[]> = fc
  .array(fc.record({ type: fc.constantFrom(...TYPES), required: fc.boolean(), categorical: fc.boolean() }), { minLength: 2, maxLength: 5 })
  .map((specs) =>
    specs.map((spec, index) => ({
      name: `col_${index}`,
      type: spec.type,
      required: spec.required,
      ...(spec.type === 'string' && spec.categorical ? { values: CATEGORIES } : {}),
    })),
  );

function rowArb(columns: ColumnDef[]): fc.Arbitrary<Record<string, Scalar>> {
  const fields = Object.fromEntries(columns.map((column) => [column.name, column.required ? domain(column) : fc.option(domain(column), { nil: undefined })]));
  return fc.record(fields).map((row) => Object.fromEntries(Object.entries(row).filter(([, value]) => value !== undefined)) as Record<string, Scalar>);
}

function predicateArb(column: ColumnDef): fc.Arbitrary<Filter> {
  const value = domain(column);
  const name = column.name;
  const options: fc.Arbitrary<Filter>[] = [
    value.map((eq) => ({ column: name, eq })),
    value.map((ne) => ({ column: name, ne })),
    fc.array(value, { minLength: 1, maxLength: 3 }).map((list) => ({ column: name, in: list })),
    fc.array(value, { minLength: 1, maxLength: 3 }).map((list) => ({ column: name, notIn: list })),
    fc.boolean().map((exists) => ({ column: name, exists })),
  ];
  if (column.type !== 'boolean') {
    options.push(
      fc
        .tuple(value, value, fc.constantFrom('gt', 'gte', undefined), fc.constantFrom('lt', 'lte', undefined))
        .map(([a, b, lowerOp, upperOp]) => {
          const [lo, hi] = (a as number | string) <= (b as number | string) ? [a, b] : [b, a];
          const lower = lowerOp ?? (upperOp ? undefined : 'gte');
          // An exclusive bound on both ends of one value is an empty range, which is refused: make it inclusive.
          const inclusive = lo === hi;
          return {
            column: name,
            ...(lower ? { [inclusive ? 'gte' : lower]: lo } : {}),
            ...(upperOp ? { [inclusive ? 'lte' : upperOp]: hi } : {}),
          } as Filter;
        }),
    );
  }
  if (column.type === 'string') {
    options.push(fc.constantFrom('a', 'b', 'ab').map((text) => ({ column: name, contains: text })));
    options.push(fc.constantFrom('a', 'b', 'ab').map((text) => ({ column: name, startsWith: text })));
  }
  return fc.oneof(...options);
}

/** Datasette's text operators (Filter's endsWith, ignoreCase, like, glob, blank) on one column. */
function textPredicateArb(column: ColumnDef): fc.Arbitrary<Filter> {
  const name = column.name;
  const options: fc.Arbitrary<Filter>[] = [fc.boolean().map((blank) => ({ column: name, blank }))];
  if (column.type === 'string') {
    const text = fc.constantFrom('a', 'b', 'ab', 'AB', '_');
    for (const key of ['contains', 'startsWith', 'endsWith'] as const) {
      options.push(fc.tuple(text, fc.constantFrom(true, undefined)).map(([value, ignoreCase]) => ({ column: name, [key]: value, ...(ignoreCase ? { ignoreCase } : {}) })));
    }
    options.push(patternArb('like').map((like) => ({ column: name, like })));
    options.push(patternArb('glob').map((glob) => ({ column: name, glob })));
  }
  return fc.oneof(...options);
}

/**
 * LIKE and GLOB patterns of every shape the compiler takes: text, single-character wildcards and
 * classes anchored at either end, and at most one run of text floating between two wildcard runs.
 */
function patternArb(kind: 'like' | 'glob'): fc.Arbitrary<string> {
  const [many, one] = kind === 'like' ? ['%', '_'] : ['*', '?'];
  const anchored = fc.constantFrom('', 'a', 'A', one, `a${one}`, `${one}b`, ...(kind === 'glob' ? ['[ab]', '[^a]', '[A-Z]'] : []));
  const floating = fc.constantFrom('', 'b', 'B', `${one}a`, `a${one}`);
  return fc.tuple(anchored, floating, anchored, fc.constantFrom(0, 1, 2)).map(([prefix, middle, suffix, runs]) => {
    if (runs === 0) return `${prefix}${suffix}` || one;
    return runs === 1 ? `${prefix}${many}${suffix}` : `${prefix}${many}${middle}${many}${suffix}`;
  });
}

/** Filters nested up to `depth` levels (the emulator parses deeper nesting too slowly for a test run). */
function filterArb(columns: ColumnDef[], depth = 3): fc.Arbitrary<Filter> {
  const leaf = fc.constantFrom(...columns).chain(predicateArb);
  if (depth === 0) return leaf;
  const inner = filterArb(columns, depth - 1);
  return fc.oneof(
    { weight: 3, arbitrary: leaf },
    { weight: 1, arbitrary: fc.array(inner, { minLength: 1, maxLength: 3 }).map((and): Filter => ({ and })) },
    { weight: 1, arbitrary: fc.array(inner, { minLength: 1, maxLength: 3 }).map((or): Filter => ({ or })) },
    { weight: 1, arbitrary: inner.map((not): Filter => ({ not })) },
  );
}

const caseArb = schemaArb.chain((columns) =>
  fc.record({
    columns: fc.constant(columns),
    rows: fc.array(rowArb(columns), { minLength: 5, maxLength: 40 }),
    filters: fc.array(filterArb(columns), { minLength: 1, maxLength: 6 }),
  }),
);

/**
 * The text operators one predicate at a time: a pattern compiles to several string functions, and
 * the emulator parses those under NOT or OR too slowly (seconds each, measured) for a test run;
 * how predicates combine is the property above.
 */
const textCaseArb = schemaArb.chain((columns) =>
  fc.record({
    columns: fc.constant(columns),
    rows: fc.array(rowArb(columns), { minLength: 5, maxLength: 40 }),
    filters: fc.array(fc.constantFrom(...columns).chain(textPredicateArb), { minLength: 1, maxLength: 6 }),
  }),
);

async function idsMatching(datasetId: string, where: string, parameters: { name: string; value: string | number | boolean }[]): Promise<string[]> {
  const ids: string[] = [];
  let continuation: string | undefined;
  do {
    const page = await queryRecordPage(oneBucket(datasetId), { where, parameters, projection: 'c.values', orderBy: '' }, { limit: 17, continuation });
    ids.push(...page.items.map((item) => item.id));
    continuation = page.continuation;
  } while (continuation);
  return ids.sort();
}

describe('compiled filters in Cosmos DB', () => {
  it('with Datasette’s text operators select exactly the rows they select in memory', async () => {
    await fc.assert(
      fc.asyncProperty(textCaseArb, async ({ columns, rows, filters }) => {
        const datasetId = `prop-${randomUUID()}`;
        const stored = rows.map((values, index) => ({ id: `r${index}`, pk: partitionKeyOf(datasetId, 0), datasetId, docType: 'record' as const, ingestId: 'prop', values: values as Record<string, CellValue> }));
        await cosmosRecordWriter.insert(datasetId, stored);
        for (const filter of filters) {
          const compiled = compileFilter(filter, columns, { prefix: 'c.values' });
          const expected = stored.filter((doc) => evaluateFilter(filter, columns, doc.values)).map((doc) => doc.id).sort();
          expect(await idsMatching(datasetId, compiled.where, compiled.parameters), `${JSON.stringify(filter)}\n${compiled.where}`).toEqual(expected);
        }
      }),
      { numRuns: Number(process.env.QUERY_PROPERTY_RUNS ?? 30) },
    );
  }, 120_000);

  it('select exactly the rows the filter selects in memory, and aggregate them the same', async () => {
    await fc.assert(
      fc.asyncProperty(caseArb, async ({ columns, rows, filters }) => {
        const datasetId = `prop-${randomUUID()}`;
        const stored = rows.map((values, index) => ({ id: `r${index}`, pk: partitionKeyOf(datasetId, 0), datasetId, docType: 'record' as const, ingestId: 'prop', values: values as Record<string, CellValue> }));
        await cosmosRecordWriter.insert(datasetId, stored);
        const numeric = columns.find((column) => column.type === 'number' || column.type === 'integer');
        for (const filter of filters) {
          const compiled = compileFilter(filter, columns, { prefix: 'c.values' });
          const expected = stored.filter((doc) => evaluateFilter(filter, columns, doc.values)).map((doc) => doc.id).sort();
          const context = `${JSON.stringify(filter)}\n${compiled.where}`;
          expect(await idsMatching(datasetId, compiled.where, compiled.parameters), context).toEqual(expected);
          expect(await countRecords(oneBucket(datasetId), compiled), context).toBe(expected.length);
          if (numeric) {
            const aggregate = aggregateSelect('c.values', [{ name: numeric.name, shift: 0 }], ['count', 'sum', 'min', 'max']);
            const row = await aggregateRecords(oneBucket(datasetId), aggregate.select, { where: compiled.where, parameters: [...compiled.parameters, ...aggregate.parameters] });
            const values = stored
              .filter((doc) => expected.includes(doc.id))
              .map((doc) => doc.values[numeric.name])
              .filter((value): value is number => typeof value === 'number');
            const baseline = statsInMemory(values, ['count', 'sum', 'min', 'max']);
            expect(row.c0 ?? 0, context).toBe(baseline.count);
            expect(row.s0 ?? 0, context).toBeCloseTo(baseline.sum ?? 0, 9);
            if (values.length > 0) expect([row.lo0, row.hi0], context).toEqual([baseline.min, baseline.max]);
          }
        }
      }),
      { numRuns: Number(process.env.QUERY_PROPERTY_RUNS ?? 30) },
    );
  }, 60_000);
});
