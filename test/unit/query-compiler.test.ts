import { describe, expect, it } from 'vitest';
import { problemOf } from '../support/errors';
import { columnRef, compileFilter } from '../../shared/query/filter.compiler';
import { evaluateFilter } from '../../shared/query/filter.evaluate';
import { type ColumnDef, Filter } from '../../shared/query/filter.schema';
import { filterFromUrl } from '../../shared/query/filter.url';

const columns: ColumnDef[] = [
  { name: 'sepal_length', type: 'number', required: true },
  { name: 'petals', type: 'integer', required: true },
  { name: 'species', type: 'string', values: ['setosa', 'versicolor', 'virginica'], required: true },
  { name: 'note', type: 'string', required: true },
  { name: 'checked', type: 'boolean', required: true },
  { name: 'seen', type: 'datetime', required: true },
  { name: 'size', type: 'number' },
];

const sut = (filter: Filter | undefined) => compileFilter(filter, columns, { prefix: 'c.values' });

describe('compileFilter', () => {
  it('compiles an empty filter to true', () => {
    expect(sut(undefined)).toEqual({ where: 'true', parameters: [] });
  });

  it('puts every value in a parameter and column names only from the schema', () => {
    const compiled = sut({ and: [{ column: 'species', in: ['setosa', 'versicolor'] }, { column: 'sepal_length', gte: 5, lt: 6.1 }] });
    expect(compiled.where).toBe('c.values["species"] IN (@p0, @p1) AND c.values["sepal_length"] >= @p2 AND c.values["sepal_length"] < @p3');
    expect(compiled.parameters).toEqual([
      { name: '@p0', value: 'setosa' },
      { name: '@p1', value: 'versicolor' },
      { name: '@p2', value: 5 },
      { name: '@p3', value: 6.1 },
    ]);
  });

  it('compiles every operator', () => {
    const cases: [Filter, string][] = [
      [{ column: 'petals', eq: 3 }, 'c.values["petals"] = @p0'],
      [{ column: 'petals', ne: 3 }, 'c.values["petals"] != @p0'],
      [{ column: 'species', notIn: ['setosa', 'virginica'] }, 'c.values["species"] != @p0 AND c.values["species"] != @p1'],
      [{ column: 'sepal_length', gt: 1 }, 'c.values["sepal_length"] > @p0'],
      [{ column: 'sepal_length', lte: 1 }, 'c.values["sepal_length"] <= @p0'],
      [{ column: 'note', contains: 'x' }, 'CONTAINS(c.values["note"], @p0)'],
      [{ column: 'note', startsWith: 'x' }, 'STARTSWITH(c.values["note"], @p0)'],
      [{ column: 'note', exists: true }, 'IS_DEFINED(c.values["note"]) AND NOT IS_NULL(c.values["note"])'],
      [{ column: 'note', exists: false }, '(NOT IS_DEFINED(c.values["note"]) OR IS_NULL(c.values["note"]))'],
      [{ or: [{ column: 'checked', eq: true }, { column: 'petals', eq: 1 }] }, '(c.values["checked"] = @p0 OR c.values["petals"] = @p1)'],
    ];
    for (const [filter, where] of cases) expect(sut(filter).where, JSON.stringify(filter)).toBe(where);
  });

  it('guards optional columns by type, so a missing value is plainly not matched and its negation plainly is', () => {
    expect(sut({ not: { column: 'size', gt: 2 } }).where).toBe('NOT (IS_NUMBER(c.values["size"]) AND c.values["size"] > @p0)');
    expect(sut({ column: 'size', notIn: [1] }).where).toBe('IS_NUMBER(c.values["size"]) AND c.values["size"] != @p0');
    expect(sut({ not: { column: 'sepal_length', gt: 2 } }).where).toBe('NOT (c.values["sepal_length"] > @p0)');
  });

  it('normalises datetimes to the stored UTC form', () => {
    expect(sut({ column: 'seen', gte: '2024-05-01T12:00:00+02:00' }).parameters[0]?.value).toBe('2024-05-01T10:00:00.000Z');
    expect(sut({ column: 'seen', lt: '2024-05-02' }).parameters[0]?.value).toBe('2024-05-02T00:00:00.000Z');
  });

  it('writes parentheses only where precedence needs them, and a result that can be ANDed as it is', () => {
    const compiled = sut({ and: [{ or: [{ column: 'petals', eq: 1 }, { not: { column: 'petals', eq: 2 } }] }, { column: 'checked', eq: true }] });
    expect(compiled.where).toBe('(c.values["petals"] = @p0 OR NOT (c.values["petals"] = @p1)) AND c.values["checked"] = @p2');
    expect(sut({ or: [{ column: 'petals', eq: 1 }, { column: 'checked', eq: true }] }).where).toMatch(/^\(.* OR .*\)$/);
  });

  it('compiles against any prefix and numbers parameters from any prefix', () => {
    const compiled = compileFilter({ column: 'status', eq: 'published' }, [{ name: 'status', type: 'string', required: true }], { prefix: 'c', paramPrefix: '@f' });
    expect(compiled).toEqual({ where: 'c["status"] = @f0', parameters: [{ name: '@f0', value: 'published' }] });
  });

  it('refuses an unknown column, naming it and its pointer', () => {
    const problem = problemOf(() => sut({ and: [{ column: 'species', eq: 'setosa' }, { column: 'colour', eq: 'red' }] }));
    expect(problem.status).toBe(400);
    expect(problem.errors).toEqual([{ pointer: '/filter/and/1/column', message: expect.stringContaining("unknown column 'colour'") }]);
  });

  it('refuses values of the wrong type and values outside a categorical column', () => {
    const problem = problemOf(() =>
      sut({ and: [{ column: 'sepal_length', eq: '5' }, { column: 'petals', in: [1, 2.5] }, { column: 'species', eq: 'setsa' }, { column: 'checked', gt: 1 }] }),
    );
    expect(problem.errors?.map((e) => e.pointer)).toEqual(['/filter/and/0/eq', '/filter/and/1/in/1', '/filter/and/2/eq', '/filter/and/3/gt']);
    expect(problem.detail).toContain('setsa');
  });

  it('refuses a lower bound above the upper bound, and an empty exclusive range', () => {
    expect(problemOf(() => sut({ column: 'sepal_length', gte: 6, lte: 5 })).errors?.[0]?.message).toMatch(/lower bound 6 is above upper bound 5/);
    expect(problemOf(() => sut({ column: 'sepal_length', gt: 5, lte: 5 })).errors?.[0]?.message).toMatch(/empty/);
    expect(sut({ column: 'sepal_length', gte: 5, lte: 5 }).where).toContain('>=');
  });

  it('refuses contains on a number column', () => {
    expect(problemOf(() => sut({ column: 'petals', contains: '1' })).errors?.[0]?.pointer).toBe('/filter/contains');
  });

  it('bounds the depth of a filter', () => {
    let deep: Filter = { column: 'petals', eq: 1 };
    for (let i = 0; i < 12; i++) deep = { not: deep };
    expect(problemOf(() => sut(deep)).detail).toMatch(/nest at most/);
  });

  it('never lets a column name reach SQL unchecked', () => {
    expect(() => columnRef('c.values', { name: 'x"] OR 1=1 --' })).toThrow();
    expect(() => columnRef('c.values; DROP', { name: 'x' })).toThrow();
  });
});

describe('the Filter schema', () => {
  it('accepts predicates and combinations', () => {
    expect(Filter.safeParse({ or: [{ column: 'a', eq: 1 }, { not: { column: 'b', exists: false } }] }).success).toBe(true);
  });

  it('refuses a node that is two things, a predicate with two operators and two lower bounds', () => {
    expect(Filter.safeParse({ column: 'a', and: [] }).success).toBe(false);
    expect(Filter.safeParse({ column: 'a', eq: 1, ne: 2 }).success).toBe(false);
    expect(Filter.safeParse({ column: 'a', gt: 1, gte: 2 }).success).toBe(false);
    expect(Filter.safeParse({ column: 'a' }).success).toBe(false);
    expect(Filter.safeParse({ column: 'a', eq: 1, extra: 1 }).success).toBe(false);
    expect(Filter.safeParse({ column: 'a"]', eq: 1 }).success).toBe(false);
  });
});

describe('evaluateFilter', () => {
  const row = { sepal_length: 5.1, species: 'setosa', note: 'hello world' };

  it('matches as the SQL does: comparisons never match a missing value, `not` negates exactly', () => {
    expect(evaluateFilter({ column: 'size', ne: 3 }, columns, row)).toBe(false);
    expect(evaluateFilter({ not: { column: 'size', eq: 3 } }, columns, row)).toBe(true);
    expect(evaluateFilter({ column: 'size', exists: false }, columns, row)).toBe(true);
    expect(evaluateFilter({ column: 'note', contains: 'lo w' }, columns, row)).toBe(true);
    expect(evaluateFilter({ and: [{ column: 'sepal_length', gt: 5, lte: 5.1 }, { column: 'species', in: ['setosa'] }] }, columns, row)).toBe(true);
  });
});

describe('filterFromUrl', () => {
  it('reads Datasette-style parameters into a filter, and keeps the controls', () => {
    const result = filterFromUrl({ sepal_length__gte: '5', species__in: 'setosa,versicolor', petals: '3', checked__not: 'true', note__isnull: '1', _size: '50' }, columns);
    expect(result.filter).toEqual({
      and: [
        { column: 'sepal_length', gte: 5 },
        { column: 'species', in: ['setosa', 'versicolor'] },
        { column: 'petals', eq: 3 },
        { column: 'checked', ne: true },
        { column: 'note', exists: false },
      ],
    });
    expect(result.controls.get('_size')).toEqual(['50']);
  });

  it('takes a JSON array for values with commas, and a repeated parameter as both conditions', () => {
    expect(filterFromUrl({ note__in: '["a,b","c"]' }, columns).filter).toEqual({ and: [{ column: 'note', in: ['a,b', 'c'] }] });
    expect(filterFromUrl({ sepal_length__gt: ['1', '2'] }, columns).filter?.and).toHaveLength(2);
  });

  it('refuses unknown columns and values of the wrong type, naming the parameter', () => {
    const problem = problemOf(() => filterFromUrl({ colour: 'red', sepal_length__lt: 'abc', petals__in: '1,x' }, columns));
    expect(problem.errors?.map((e) => e.pointer)).toEqual(['/colour', '/sepal_length__lt', '/petals__in']);
  });

  it('reports compile errors at the parameter they came from', () => {
    const url = filterFromUrl({ sepal_length: '5', species: 'setsa' }, columns);
    const problem = problemOf(() => compileFilter(url.filter, columns, { prefix: 'c.values', pointer: url.pointer }));
    expect(problem.errors?.[0]?.pointer).toBe('/species');
  });
});
