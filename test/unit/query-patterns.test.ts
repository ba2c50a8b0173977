import { describe, expect, it } from 'vitest';
import { problemOf } from '../support/errors';
import { preferredWait } from '../../shared/http/prefer';
import { compileFilter } from '../../shared/query/filter.compiler';
import { evaluateFilter } from '../../shared/query/filter.evaluate';
import type { ColumnDef, Filter } from '../../shared/query/filter.schema';
import { filterFromUrl } from '../../shared/query/filter.url';

/** Datasette's LIKE/GLOB and text operators in the filter compiler, and the `Prefer: wait` header. */
const columns: ColumnDef[] = [{ name: 'note', type: 'string', required: true }];
const sut = (filter: Filter) => compileFilter(filter, columns, { prefix: 'c.values' });

describe('compileFilter with like and glob', () => {
  it('puts the caller’s text only in parameters, whatever it holds', () => {
    const hostile = `a"] OR 1=1 --%'x`;
    const compiled = sut({ column: 'note', like: hostile });
    expect(compiled.where).not.toContain('OR 1=1');
    expect(compiled.where).not.toContain("'");
    expect(compiled.parameters.map((parameter) => parameter.value).join('')).toContain('1=1');
  });

  it('compiles a prefix, a floating run and a suffix to LENGTH, SUBSTRING and CONTAINS', () => {
    const compiled = sut({ column: 'note', glob: 'a?*bc*d' });
    expect(compiled.where).toBe(
      'LENGTH(c.values["note"]) >= 5 AND SUBSTRING(c.values["note"], 0, 1) = @p0 AND SUBSTRING(c.values["note"], LENGTH(c.values["note"]) - 1, 1) = @p1 ' +
        'AND CONTAINS(SUBSTRING(c.values["note"], 2, LENGTH(c.values["note"]) - 3), @p2)',
    );
    expect(compiled.parameters.map((parameter) => parameter.value)).toEqual(['a', 'd', 'bc']);
  });

  it('refuses two runs of text floating between wildcards and an unclosed class, naming the field', () => {
    expect(problemOf(() => sut({ column: 'note', like: '%a%b%' })).errors).toEqual([{ pointer: '/filter/like', message: expect.stringContaining('at most one run') }]);
    expect(problemOf(() => sut({ column: 'note', glob: '[ab' })).errors).toEqual([{ pointer: '/filter/glob', message: expect.stringContaining('no closing ]') }]);
  });

  it('evaluates in memory as SQLite does: LIKE without case, GLOB with case and classes', () => {
    const matches = (filter: Filter, note: string) => evaluateFilter(filter, columns, { note });
    expect(matches({ column: 'note', like: 'S_T%a' }, 'setosa')).toBe(true);
    expect(matches({ column: 'note', like: 'S_T%b' }, 'setosa')).toBe(false);
    expect(matches({ column: 'note', glob: 'S*' }, 'setosa')).toBe(false);
    expect(matches({ column: 'note', glob: '[^a-r]*[!-z]' }, 'setosa')).toBe(true);
    expect(matches({ column: 'note', glob: 'se?o*' }, 'se.osa')).toBe(true);
  });
});

describe('filterFromUrl', () => {
  it('maps Datasette’s names: contains without case, notlike keeps out missing values, isblank', () => {
    const url = filterFromUrl({ note__contains: 'OSA', note__notlike: 'x%', note__isblank: '0' }, columns);
    expect(url.filter).toEqual({
      and: [
        { column: 'note', contains: 'OSA', ignoreCase: true },
        { and: [{ column: 'note', exists: true }, { not: { column: 'note', like: 'x%' } }] },
        { column: 'note', blank: false },
      ],
    });
  });

  it('names an unknown operator', () => {
    expect(problemOf(() => filterFromUrl({ note__regex: 'a.*' }, columns)).errors).toEqual([
      { pointer: '/note__regex', message: expect.stringContaining("unknown operator '__regex' on column 'note'") },
    ]);
  });
});

describe('preferredWait', () => {
  it('reads wait and wait=n from Prefer, capped at 60 s, and ignores other preferences', () => {
    expect(preferredWait(null)).toBeUndefined();
    expect(preferredWait('respond-async')).toBeUndefined();
    expect(preferredWait('wait')).toBe(60);
    expect(preferredWait('respond-async, wait=5')).toBe(5);
    expect(preferredWait('wait=600')).toBe(60);
    expect(problemOf(() => preferredWait('wait=0')).errors).toEqual([{ pointer: '/headers/prefer', message: expect.any(String) }]);
  });
});
