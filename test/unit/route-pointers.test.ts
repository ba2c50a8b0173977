import { HttpRequest, InvocationContext } from '@azure/functions';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { AppError, errors } from '../../shared/errors';
import type { ProblemDocument } from '../../shared/http/problem';
import { ImportQuery } from '../../shared/labels/import.schema';
import { type RouteDefinition, wrap } from '../../shared/http/route';

/** A registration whose handler fails the way a service does; `wrap` is the wrapper every route runs in. */
function failingRoute(fail: () => never, takesBody = false): RouteDefinition {
  return {
    name: 'failing',
    method: takesBody ? 'POST' : 'GET',
    path: 'v1/things',
    summary: 'Fails',
    tags: ['things'],
    access: 'public',
    query: z.object({ cursor: z.string().optional() }),
    // A raw body with its own limit: the wrapper then reads no settings, which unit tests do not have.
    ...(takesBody ? { rawBody: true, consumes: ['application/json'], bodyLimitBytes: 1024 } : {}),
    responses: { 200: { description: 'Never.' } },
    handle: async () => fail(),
  };
}

async function problemOf(definition: RouteDefinition, search = '?cursor=x'): Promise<ProblemDocument> {
  const post = definition.method === 'POST';
  const request = new HttpRequest({
    method: definition.method,
    url: `http://localhost/api/v1/things${search}`,
    headers: post ? { 'content-type': 'application/json' } : {},
    ...(post ? { body: { string: '{"labels":[]}' } } : {}),
  });
  const response = await wrap(definition)(request, new InvocationContext());
  expect(response.status).toBe(400);
  return JSON.parse(String(response.body)) as ProblemDocument;
}

describe('field errors a service reports by their path in its input', () => {
  it('point into the query of a route without a body, detail included', async () => {
    const sut = await problemOf(failingRoute(() => { throw errors.invalidInput('/cursor', 'is not a cursor this API issued'); }));
    expect(sut.errors).toEqual([{ pointer: '/query/cursor', message: 'is not a cursor this API issued' }]);
    expect(sut.detail).toBe('/query/cursor: is not a cursor this API issued');
  });

  it('point into the body of a route that takes one', async () => {
    const sut = await problemOf(failingRoute(() => { throw errors.invalidInput('/labels/3/box', 'is outside the image'); }, true));
    expect(sut.errors).toEqual([{ pointer: '/body/labels/3/box', message: 'is outside the image' }]);
    expect(sut.detail).toBe('/body/labels/3/box: is outside the image');
  });

  it('point into the query for a field the route reads from its query, beside a body', async () => {
    const sut = await problemOf(failingRoute(() => { throw errors.invalidInputs([{ pointer: '/cursor', message: 'is stale' }, { pointer: '', message: 'is empty' }]); }, true));
    expect(sut.errors).toEqual([{ pointer: '/query/cursor', message: 'is stale' }, { pointer: '/body', message: 'is empty' }]);
    expect(sut.detail).toBe('/query/cursor: is stale; /body: is empty');
  });

  it('point into the query of an import, whose file is the body', async () => {
    const importing = { ...failingRoute(() => { throw errors.invalidInput('/addCategories', 'would grow the vocabulary past 1000 labels'); }, true), query: ImportQuery };
    const sut = await problemOf(importing, '?format=coco&addCategories=true');
    expect(sut.errors).toEqual([{ pointer: '/query/addCategories', message: 'would grow the vocabulary past 1000 labels' }]);
  });

  it('keep a detail of their own, written from the placed pointers', async () => {
    const sut = await problemOf(failingRoute(() => { throw errors.invalidInputs([{ pointer: '/labels/0', message: 'is empty' }], (placed) => `1 problem: ${placed[0]?.pointer ?? ''}`); }, true));
    expect(sut.detail).toBe('1 problem: /body/labels/0');
  });

  it('keep the extension members and headers a service set', async () => {
    const sut = errors.invalidInput('/cursor', 'is stale');
    const withMore = new AppError({ ...sut, detail: 'stale', headers: { 'X-Reason': 'stale' }, extensions: { hint: 'start again' }, inputRelative: true });
    const request = new HttpRequest({ method: 'GET', url: 'http://localhost/api/v1/things' });
    const response = await wrap(failingRoute(() => { throw withMore; }))(request, new InvocationContext());
    expect(response.headers).toMatchObject({ 'X-Reason': 'stale' });
    expect(JSON.parse(String(response.body))).toMatchObject({ detail: 'stale', hint: 'start again', errors: [{ pointer: '/query/cursor', message: 'is stale' }] });
  });

  it('leave pointers that already name their place in the request alone', async () => {
    const sut = await problemOf(failingRoute(() => { throw errors.invalidField('/headers/prefer', 'is not a wait'); }));
    expect(sut.errors).toEqual([{ pointer: '/headers/prefer', message: 'is not a wait' }]);
  });
});
