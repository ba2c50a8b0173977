import { describe, expect, it } from 'vitest';
import { byPrecedence, compileRoute, resolveRoute } from '../../shared/http/route-template';

function table(...templates: [string, string[]][]) {
  return templates.map(([template, methods]) => compileRoute(template, methods, template)).sort(byPrecedence);
}

describe('route templates', () => {
  it('matches parameters and decodes them', () => {
    const sut = table(['v1/catalogue/{type}/{id}', ['GET']]);
    expect(resolveRoute(sut, 'GET', 'v1/catalogue/datasets/a%20b')).toMatchObject({ params: { type: 'datasets', id: 'a b' } });
  });

  it('prefers a literal segment over a parameter', () => {
    const sut = table(['v1/catalogue/{type}/{id}', ['GET']], ['v1/catalogue/{type}/count', ['GET']]);
    const match = resolveRoute(sut, 'GET', 'v1/catalogue/models/count');
    expect(match && 'route' in match ? match.route.target : undefined).toBe('v1/catalogue/{type}/count');
  });

  it('matches literals case-insensitively', () => {
    expect(resolveRoute(table(['v1/Jobs', ['GET']]), 'GET', 'V1/jobs')).toMatchObject({ params: {} });
  });

  it('supports optional parameters', () => {
    const sut = table(['v1/things/{id?}', ['GET']]);
    expect(resolveRoute(sut, 'GET', 'v1/things')).toMatchObject({ params: {} });
    expect(resolveRoute(sut, 'GET', 'v1/things/7')).toMatchObject({ params: { id: '7' } });
  });

  it('supports catch-all parameters, tried last', () => {
    const sut = table(['{*path}', ['GET']], ['docs/{file}', ['GET']]);
    const docs = resolveRoute(sut, 'GET', 'docs/a.css');
    expect(docs && 'route' in docs ? docs.route.target : undefined).toBe('docs/{file}');
    expect(resolveRoute(sut, 'GET', 'x/y/z')).toMatchObject({ params: { path: 'x/y/z' } });
  });

  it('applies constraints', () => {
    const sut = table(['v1/items/{id:int}', ['GET']], ['v1/items/{name:alpha}', ['GET']]);
    expect(resolveRoute(sut, 'GET', 'v1/items/42')).toMatchObject({ params: { id: '42' } });
    expect(resolveRoute(sut, 'GET', 'v1/items/abc')).toMatchObject({ params: { name: 'abc' } });
    expect(resolveRoute(sut, 'GET', 'v1/items/a1')).toBeUndefined();
  });

  it('tells a wrong method from a missing route', () => {
    const sut = table(['v1/jobs', ['GET']]);
    expect(resolveRoute(sut, 'DELETE', 'v1/jobs')).toEqual({ methodMismatch: true });
    expect(resolveRoute(sut, 'GET', 'v1/nothing')).toBeUndefined();
  });

  it('does not match malformed percent-encoding', () => {
    expect(resolveRoute(table(['v1/{id}', ['GET']]), 'GET', 'v1/%E0%A4%A')).toBeUndefined();
  });
});
