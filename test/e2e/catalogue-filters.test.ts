import { beforeAll, describe, expect, it } from 'vitest';
import { adminKey, call, expectProblem } from '../support/api';
import { type Entry, type Page, catalogueCallers, create, dataset, newPlatform, unique } from '../support/catalogue';

/** Listing the catalogue over HTTP: visibility, search, facets, filters, sorting, caching and bad filters. */
// Two contributors and a reader.
let [alice, bob, reader] = ['', '', ''];
beforeAll(async () => ({ alice, bob, reader } = await catalogueCallers()));

describe('GET /api/v1/catalogue/{type} (filters)', () => {
  let keyword: string;
  let platform: string;
  let ids: Record<string, string>;

  beforeAll(async () => {
    keyword = unique('filter');
    platform = await newPlatform();
    const made = await Promise.all([
      create(alice, dataset({ name: 'Alpha SALINITY grid', keywords: [keyword, 'salinity'], status: 'published' })),
      create(alice, dataset({ name: 'beta currents', description: { plain: 'Surface Salinity and currents' }, keywords: [keyword], status: 'published', platform, platformResourceIdentifier: 'b' })),
      create(alice, dataset({ name: 'Gamma draft', keywords: [keyword, 'salinity'] })),
      create(bob, dataset({ name: 'Delta of bob', keywords: [keyword], status: 'published', platform, platformResourceIdentifier: 'd' })),
    ]);
    ids = Object.fromEntries(made.map(({ entry }) => [entry.name.split(' ')[0]?.toLowerCase() ?? '', entry.id]));
  });

  const names = async (query: string, key?: string) => {
    const response = await call<Page>('GET', `/v1/catalogue/datasets?keyword=${keyword}&${query}`, { key });
    expect(response.status, response.text).toBe(200);
    return response.body.items.map((item) => item.name);
  };

  it('lists published entries to anonymous callers and readers, plus their own drafts to contributors', async () => {
    expect((await names('sort=name')).sort()).toEqual(['Alpha SALINITY grid', 'Delta of bob', 'beta currents'].sort());
    expect(await names('sort=name', reader)).toEqual(await names('sort=name'));
    expect(await names('sort=name', alice)).toContain('Gamma draft');
    expect(await names('sort=name', bob)).not.toContain('Gamma draft');
    expect(await names('sort=name', adminKey())).toContain('Gamma draft');
  });

  it('searches name, keywords and plain description case-insensitively with q', async () => {
    expect((await names('q=salinity', alice)).sort()).toEqual(['Alpha SALINITY grid', 'Gamma draft', 'beta currents'].sort());
    expect((await names('q=salinity')).sort()).toEqual(['Alpha SALINITY grid', 'beta currents'].sort());
  });

  it('matches every word of q, each as a word or the start of one, ignoring accents', async () => {
    expect(await names('q=SALIN%20grid')).toEqual(['Alpha SALINITY grid']);
    expect(await names(`q=${encodeURIComponent('sälinity currents')}`)).toEqual(['beta currents']);
    expect(await names('q=alinity')).toEqual([]);
  });

  it('counts facets over every matching entry, not only the page', async () => {
    type Faceted = Page & { facets: Record<string, { value: string; count: number }[]> };
    const response = await call<Faceted>('GET', `/v1/catalogue/datasets?keyword=${keyword}&limit=1&facets=status,platform&facets=type`);
    expect(response.status, response.text).toBe(200);
    expect(response.body.items).toHaveLength(1);
    expect(response.body.facets).toEqual({
      status: [{ value: 'published', count: 3 }],
      platform: [{ value: platform, count: 2 }],
      type: [{ value: 'datasets', count: 3 }],
    });
    const withoutFacets = await call<Faceted>('GET', `/v1/catalogue/datasets?keyword=${keyword}&limit=1`);
    expect(withoutFacets.body.facets).toBeUndefined();
  });

  it('filters by keyword (repeat for all of several), platform and status', async () => {
    expect((await names('keyword=salinity', alice)).sort()).toEqual(['Alpha SALINITY grid', 'Gamma draft'].sort());
    expect((await names(`platform=${platform}`)).sort()).toEqual(['Delta of bob', 'beta currents'].sort());
    expect(await names('status=draft', alice)).toEqual(['Gamma draft']);
    expect(await names('status=draft')).toEqual([]);
  });

  it('filters by modification time', async () => {
    const gamma = await call<Entry>('GET', `/v1/catalogue/datasets/${ids.gamma}`, { key: alice });
    const at = gamma.body.dateModified;
    expect(await names(`modifiedBefore=${encodeURIComponent(at)}&modifiedAfter=2000-01-01`, alice)).not.toContain('Gamma draft');
    expect(await names(`modifiedAfter=${encodeURIComponent(new Date(Date.parse(at) - 1).toISOString())}`, alice)).toContain('Gamma draft');
    expect(await names('modifiedAfter=2999-01-01')).toEqual([]);
  });

  it('sorts by name or dateModified, either way', async () => {
    const byName = await names('sort=name');
    expect(byName).toEqual([...byName].sort());
    expect(await names('sort=-name')).toEqual([...byName].reverse());
    const response = await call<Page>('GET', `/v1/catalogue/datasets?keyword=${keyword}`);
    const times = response.body.items.map((item) => item.dateModified);
    expect(times).toEqual([...times].sort().reverse());
  });

  it('carries ETag and Cache-Control; If-None-Match gets 304', async () => {
    const first = await call('GET', `/v1/catalogue/datasets?keyword=${keyword}`);
    expect(first.headers.get('cache-control')).toBe('public, max-age=60');
    const again = await call('GET', `/v1/catalogue/datasets?keyword=${keyword}`, { headers: { 'If-None-Match': first.headers.get('etag') ?? '' } });
    expect(again.status).toBe(304);
    const asOwner = await call('GET', `/v1/catalogue/datasets?keyword=${keyword}`, { key: alice, headers: { 'If-None-Match': first.headers.get('etag') ?? '' } });
    expect(asOwner.status).toBe(200);
  });

  it('answers bad filters with 400 problem+json naming the parameter', async () => {
    const cases: [string, string][] = [
      ['status=archived', '/query/status'],
      ['modifiedAfter=yesterday', '/query/modifiedAfter'],
      ['sort=size', '/query/sort'],
      ['limit=0', '/query/limit'],
      ['limit=101', '/query/limit'],
      ['platform=Not%20A%20Platform', '/query/platform'],
      ['colour=blue', '/query'],
      ['modifiedAfter=2024-02-01&modifiedBefore=2024-01-01', '/query/modifiedBefore'],
      ['cursor=not-a-cursor', '/query/cursor'],
      ['q=--', '/query/q'],
      ['facets=colour', '/query/facets/0'],
      ['createdAfter=2024-02-01&createdBefore=2024-01-01', '/query/createdBefore'],
    ];
    for (const [query, pointer] of cases) {
      const problem = expectProblem(await call('GET', `/v1/catalogue/datasets?${query}`), 400);
      expect(problem.errors, query).toEqual([expect.objectContaining({ pointer })]);
    }
  });
});
