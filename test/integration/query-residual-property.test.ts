import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { partitionKeyOf, type RecordScope } from '../../shared/datasets/records.layout';
import { type CellValue, cosmosRecordWriter, queryRecordPage } from '../../shared/datasets/records.repository';
import { compileFilter } from '../../shared/query/filter.compiler';
import { evaluateFilter } from '../../shared/query/filter.evaluate';
import type { ColumnDef, Filter } from '../../shared/query/filter.schema';
import { useStackSettings } from '../support/stack-env';

/**
 * LIKE/GLOB patterns with several runs floating between wildcards compile (with `residual`) to a
 * SQL pre-filter that the in-memory matcher finishes: inside Cosmos DB the pre-filter must keep
 * every row the pattern matches, plain or under `not`, so that pre-filter then matcher selects
 * exactly the rows `evaluateFilter` selects.
 */
beforeAll(() => useStackSettings());

const columns: ColumnDef[] = [{ name: 'note', type: 'string', required: false }];
const VALUES = ['', 'a', 'ab', 'ba', 'abc', 'cab', 'acbc', 'Abab', 'bAcA', 'a_b%c', 'cabbage', 'abacus', 'b[a]c', 'xyz'];

/** Patterns of 2–3 floating runs, each text, a single-character wildcard, a class, or a mix. */
function patternArb(kind: 'like' | 'glob'): fc.Arbitrary<string> {
  const [many, one] = kind === 'like' ? ['%', '_'] : ['*', '?'];
  const piece = fc.constantFrom('a', 'b', 'B', 'ab', 'c', one, `a${one}`, `${one}c`, ...(kind === 'glob' ? ['[ab]', '[^a]'] : []));
  const end = fc.constantFrom('', 'a', 'C', one);
  return fc
    .tuple(end, fc.array(piece, { minLength: 2, maxLength: 3 }), end)
    .map(([prefix, runs, suffix]) => `${prefix}${many}${runs.join(many)}${many}${suffix}`);
}

const filterArb: fc.Arbitrary<Filter> = fc
  .tuple(fc.constantFrom('like' as const, 'glob' as const).chain((kind) => patternArb(kind).map((pattern) => ({ column: 'note', [kind]: pattern }) as Filter)), fc.boolean())
  .map(([filter, negated]) => (negated ? { not: filter } : filter));

async function preFiltered(scope: RecordScope, where: string, parameters: { name: string; value: string | number | boolean }[]) {
  const rows: { id: string; v: Record<string, CellValue> }[] = [];
  let continuation: string | undefined;
  do {
    const page = await queryRecordPage(scope, { where, parameters, projection: 'c.values', orderBy: '' }, { limit: 50, continuation });
    rows.push(...page.items);
    continuation = page.continuation;
  } while (continuation);
  return rows;
}

describe('residual LIKE/GLOB patterns in Cosmos DB', () => {
  it('pre-filter in SQL keeps every matching row; the matcher then selects exactly the in-memory rows', async () => {
    const datasetId = `residual-${randomUUID()}`;
    const stored = [...VALUES.map((note) => ({ note })), {}].map((values, index) => ({ id: `r${index}`, pk: partitionKeyOf(datasetId, 0), datasetId, docType: 'record' as const, ingestId: 'prop', values: values as Record<string, CellValue> }));
    await cosmosRecordWriter.insert(datasetId, stored);
    // One bucket: the rows above all sit in bucket 0.
    const scope: RecordScope = { datasetId, layout: { bucketBytes: 1 << 30, allocatedBytes: 1 } };
    await fc.assert(
      fc.asyncProperty(filterArb, async (filter) => {
        const compiled = compileFilter(filter, columns, { prefix: 'c.values', residual: true });
        const expected = stored.filter((doc) => evaluateFilter(filter, columns, doc.values)).map((doc) => doc.id).sort();
        const candidates = await preFiltered(scope, compiled.where, compiled.parameters);
        const context = `${JSON.stringify(filter)}\n${compiled.where}`;
        expect(expected.filter((id) => !candidates.some((row) => row.id === id)), context).toEqual([]);
        expect(candidates.filter((row) => evaluateFilter(filter, columns, row.v)).map((row) => row.id).sort(), context).toEqual(expected);
      }),
      { numRuns: Number(process.env.QUERY_PROPERTY_RUNS ?? 40) },
    );
  }, 120_000);

  it('is still refused without residual, naming the field', () => {
    expect(() => compileFilter({ column: 'note', like: '%a%b%' }, columns, { prefix: 'c.values' })).toThrow(/at most one run/);
  });
});
