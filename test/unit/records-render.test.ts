import { describe, expect, it } from 'vitest';
import type { BrowseResult } from '../../shared/datasets/records.browse';
import { AppError } from '../../shared/errors';
import { renderBrowse, representation } from '../../shared/http/records.render';

/** The records URL form's representations: which one a request gets, and the facet toggles in it. */
const asked = { accept: null, format: undefined, shape: undefined, nl: undefined, stream: false } as const;
const sut: BrowseResult = {
  select: ['species', 'petal_width'],
  items: [{ _id: 'r1', species: 'setosa', petal_width: 0.2 }, { _id: 'r2', species: 'virginica' }],
  nextCursor: 'c1',
  facets: { species: [{ value: 'setosa', count: 1 }, { value: 'virginica', count: 1 }] },
};

describe('representation', () => {
  it('lets the extension, then _format, then _shape, then Accept decide', () => {
    expect(representation({ ...asked, accept: 'text/csv', extension: 'json' }).format).toBe('json');
    expect(representation({ ...asked, accept: 'text/csv', format: 'ndjson' }).format).toBe('ndjson');
    expect(representation({ ...asked, accept: 'text/csv', shape: 'array', nl: 'on' })).toEqual({ format: 'json', shape: 'array', lines: true });
    expect(representation({ ...asked, accept: 'text/csv' }).format).toBe('csv');
  });

  it('refuses what cannot be given together, naming the parameter', () => {
    const pointer = (run: () => unknown) => {
      try {
        run();
      } catch (error) {
        return error instanceof AppError ? error.errors?.[0]?.pointer : String(error);
      }
      return undefined;
    };
    expect(pointer(() => representation({ ...asked, format: 'json', extension: 'csv' }))).toBe('/query/_format');
    expect(pointer(() => representation({ ...asked, shape: 'arrays', format: 'csv' }))).toBe('/query/_shape');
    expect(pointer(() => representation({ ...asked, nl: 'on' }))).toBe('/query/_nl');
    expect(pointer(() => representation({ ...asked, stream: true }))).toBe('/query/_stream');
  });
});

describe('renderBrowse', () => {
  it('gives each facet value a toggle URL from the first page, and marks the selected one', () => {
    const reply = renderBrowse(sut, representation(asked), 'http://host/api/v1/datasets/d/records?species=setosa&_facet=species&_next=old');
    const body = reply.body as { next: string; facets: Record<string, { value: string; selected: boolean; toggleUrl: string }[]> };
    expect(body.next).toBe('/api/v1/datasets/d/records?species=setosa&_facet=species&_next=c1');
    expect(reply.headers?.Link).toBe(`<${body.next}>; rel="next"`);
    expect(body.facets.species).toEqual([
      { value: 'setosa', count: 1, selected: true, toggleUrl: '/api/v1/datasets/d/records?_facet=species' },
      { value: 'virginica', count: 1, selected: false, toggleUrl: '/api/v1/datasets/d/records?species=setosa&_facet=species&species=virginica' },
    ]);
  });

  it('writes arrays with null for a missing value, and the array shape as lines with _nl', () => {
    const arrays = renderBrowse(sut, representation({ ...asked, shape: 'arrays' }), 'http://host/api/r').body as { columns: string[]; rows: unknown[][] };
    expect(arrays.columns).toEqual(['_id', 'species', 'petal_width']);
    expect(arrays.rows).toEqual([['r1', 'setosa', 0.2], ['r2', 'virginica', null]]);
    const lines = renderBrowse(sut, representation({ ...asked, shape: 'array', nl: 'on' }), 'http://host/api/r');
    expect(lines.headers?.['Content-Type']).toBe('application/x-ndjson; charset=utf-8');
    expect(lines.body).toBe(`${JSON.stringify(sut.items[0])}\n${JSON.stringify(sut.items[1])}\n`);
  });
});
