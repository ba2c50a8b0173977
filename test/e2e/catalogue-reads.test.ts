import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { CATALOGUE_SEED } from '../../local/seed/catalogue.seed';
import { adminKey, call, expectProblem } from '../support/api';
import { type Entry, catalogueCallers, create, dataset, newPlatform, patch } from '../support/catalogue';

/**
 * Reading single catalogue entries over HTTP: by id and by platform identifier, who sees drafts and
 * email addresses, caching, counts, content redirects, the deprecated export alias and the sample data.
 */
// Two contributors and a reader.
let [alice, bob, reader] = ['', '', ''];
beforeAll(async () => ({ alice, bob, reader } = await catalogueCallers()));

describe('GET /api/v1/catalogue/{type}/{id}', () => {
  it('shows a published entry to anyone, with no email addresses for anonymous callers', async () => {
    const { entry } = await create(alice, dataset({ status: 'published' }));
    const anonymous = await call<Entry>('GET', `/v1/catalogue/datasets/${entry.id}`);
    expect(anonymous.status).toBe(200);
    expect(anonymous.body.contacts).toEqual([{ type: 'persons', name: 'Ines Duarte' }]);
    expect(anonymous.text).not.toContain('ines.duarte@');
    const asReader = await call<Entry>('GET', `/v1/catalogue/datasets/${entry.id}`, { key: reader });
    expect(asReader.body.contacts).toEqual([{ type: 'persons', name: 'Ines Duarte', email: 'ines.duarte@example.org' }]);
  });

  it('leaves a person’s own email out for anonymous callers', async () => {
    const { entry } = await create(alice, { name: 'Ada Example', email: 'ada@example.org', status: 'published' }, 'persons');
    expect((await call<Entry>('GET', `/v1/catalogue/persons/${entry.id}`)).body).not.toHaveProperty('email');
  });

  it('shows a draft only to its owner and admins (404 for everyone else)', async () => {
    const { entry } = await create(alice, dataset());
    expect((await call('GET', `/v1/catalogue/datasets/${entry.id}`, { key: alice })).status).toBe(200);
    expect((await call('GET', `/v1/catalogue/datasets/${entry.id}`, { key: adminKey() })).status).toBe(200);
    expectProblem(await call('GET', `/v1/catalogue/datasets/${entry.id}`), 404);
    expectProblem(await call('GET', `/v1/catalogue/datasets/${entry.id}`, { key: reader }), 404);
    expectProblem(await call('GET', `/v1/catalogue/datasets/${entry.id}`, { key: bob }), 404);
  });

  it('answers 404 for an unknown id, an id of another type, and an unknown type', async () => {
    const { entry } = await create(alice, dataset({ status: 'published' }));
    expectProblem(await call('GET', `/v1/catalogue/datasets/${randomUUID()}`), 404);
    expectProblem(await call('GET', `/v1/catalogue/models/${entry.id}`), 404);
    expectProblem(await call('GET', `/v1/catalogue/spaceships/${entry.id}`), 404);
  });

  it('carries ETag and Cache-Control, and answers If-None-Match with 304 until the entry changes', async () => {
    const { entry } = await create(alice, dataset({ status: 'published' }));
    const first = await call('GET', `/v1/catalogue/datasets/${entry.id}`);
    const etag = first.headers.get('etag') ?? '';
    expect(etag).toMatch(/^".+"$/);
    expect(first.headers.get('cache-control')).toBe('public, max-age=60');
    expect(first.headers.get('vary')).toContain('Accept');
    const again = await call('GET', `/v1/catalogue/datasets/${entry.id}`, { headers: { 'If-None-Match': etag } });
    expect(again.status).toBe(304);
    expect(again.text).toBe('');

    const owner = await call('GET', `/v1/catalogue/datasets/${entry.id}`, { key: alice });
    expect(owner.headers.get('cache-control')).toBe('private, no-cache');
    expect((await patch(`/v1/catalogue/datasets/${entry.id}`, alice, { version: '2' })).status).toBe(200);
    const changed = await call('GET', `/v1/catalogue/datasets/${entry.id}`, { headers: { 'If-None-Match': etag } });
    expect(changed.status).toBe(200);
  });
});

describe('GET /api/v1/catalogue/{type}/count', () => {
  it('counts what the caller may see, per platform of the registry on request', async () => {
    const platform = await newPlatform();
    await Promise.all([
      create(alice, dataset({ platform, platformResourceIdentifier: '1', status: 'published' })),
      create(alice, dataset({ platform, platformResourceIdentifier: '2', status: 'published' })),
      create(alice, dataset({ platform, platformResourceIdentifier: '3' })),
    ]);
    const anonymous = await call<{ count: number }>('GET', `/v1/catalogue/datasets/count?platform=${platform}`);
    expect(anonymous.body).toEqual({ type: 'datasets', count: 2 });
    const owner = await call<{ count: number }>('GET', `/v1/catalogue/datasets/count?platform=${platform}`, { key: alice });
    expect(owner.body.count).toBe(3);
    const perPlatform = await call<{ count: number; platforms: Record<string, number> }>('GET', '/v1/catalogue/datasets/count?perPlatform=true');
    expect(perPlatform.status).toBe(200);
    expect(perPlatform.body.platforms[platform]).toBe(2);
    expect(perPlatform.body.platforms.zenodo).toBeGreaterThanOrEqual(1);
    expectProblem(await call('GET', '/v1/catalogue/datasets/count?perPlatform=maybe'), 400);
  });
});

describe('GET /api/v1/platforms/{platform}/{type}/{platformResourceIdentifier}', () => {
  it('finds an entry by its identifier on its platform, slashes included', async () => {
    const platform = await newPlatform();
    const { entry } = await create(alice, dataset({ platform, platformResourceIdentifier: 'org/name/v1', status: 'published' }));
    const sut = await call<Entry>('GET', `/v1/platforms/${platform}/datasets/org/name/v1`);
    expect(sut.status, sut.text).toBe(200);
    expect(sut.body.id).toBe(entry.id);
    expect(sut.headers.get('etag')).toMatch(/^".+"$/);
    expectProblem(await call('GET', `/v1/platforms/${platform}/datasets/org/name/v2`), 404);
    expectProblem(await call('GET', `/v1/platforms/${platform}/models/org/name/v1`), 404);
  });

  it('answers an identifier with its slashes encoded (%2F, one segment, as the document describes it) identically', async () => {
    const platform = await newPlatform();
    const { entry } = await create(alice, dataset({ platform, platformResourceIdentifier: 'org/name/v1', status: 'published' }));
    const encoded = await call<Entry>('GET', `/v1/platforms/${platform}/datasets/${encodeURIComponent('org/name/v1')}`);
    const plain = await call<Entry>('GET', `/v1/platforms/${platform}/datasets/org/name/v1`);
    expect(encoded.status, encoded.text).toBe(200);
    expect(encoded.body).toEqual(plain.body);
    expect(encoded.body.id).toBe(entry.id);
    expect(encoded.headers.get('etag')).toBe(plain.headers.get('etag'));
  });

  it('hides drafts from everyone but their owner and admins', async () => {
    const platform = await newPlatform();
    await create(alice, dataset({ platform, platformResourceIdentifier: 'hidden' }));
    expectProblem(await call('GET', `/v1/platforms/${platform}/datasets/hidden`), 404);
    expectProblem(await call('GET', `/v1/platforms/${platform}/datasets/hidden`, { key: bob }), 404);
    expect((await call('GET', `/v1/platforms/${platform}/datasets/hidden`, { key: alice })).status).toBe(200);
  });

  it('serves the seeded sample data', async () => {
    const sut = await call<Entry>('GET', '/v1/platforms/zenodo/datasets/10.5281/zenodo.8812403');
    expect(sut.status).toBe(200);
    expect(sut.body).toMatchObject({ id: 'seed-dataset-floating-litter-2023', status: 'published' });
  });
});

describe('GET /api/v1/catalogue/{type}/{id}/content', () => {
  it('redirects (303) to a distribution’s content URL, the first by default', async () => {
    const { entry } = await create(alice, dataset({ status: 'published' }));
    const first = await call('GET', `/v1/catalogue/datasets/${entry.id}/content`);
    expect(first.status).toBe(303);
    expect(first.headers.get('location')).toBe('https://data.example.org/sst/2019-2023.csv');
    const second = await call('GET', `/v1/catalogue/datasets/${entry.id}/content?distribution=1`);
    expect(second.headers.get('location')).toBe('https://data.example.org/sst/2019-2023.parquet');
    expectProblem(await call('GET', `/v1/catalogue/datasets/${entry.id}/content?distribution=5`), 404);
  });

  it('answers 404 for an entry without distributions, and for a draft the caller may not see', async () => {
    const { entry: bare } = await create(alice, { name: 'No files', description: { plain: 'No distributions.' }, status: 'published' });
    expectProblem(await call('GET', `/v1/catalogue/datasets/${bare.id}/content`), 404);
    const { entry: draft } = await create(alice, dataset());
    expectProblem(await call('GET', `/v1/catalogue/datasets/${draft.id}/content`), 404);
    expect((await call('GET', `/v1/catalogue/datasets/${draft.id}/content`, { key: alice })).status).toBe(303);
  });
});

describe('GET /api/v1/catalogue/{type}/{id}/export (deprecated alias)', () => {
  it('still answers, with Deprecation, Sunset and a successor link', async () => {
    const { entry } = await create(alice, dataset({ status: 'published' }));
    const sut = await call<Record<string, unknown>>('GET', `/v1/catalogue/datasets/${entry.id}/export?profile=dcat-ap`);
    expect(sut.status, sut.text).toBe(200);
    expect(sut.headers.get('content-type')).toMatch(/^application\/ld\+json/);
    expect(sut.body['@type']).toBe('dcat:Dataset');
    expect(sut.headers.get('deprecation')).toMatch(/^@\d+$/);
    expect(Date.parse(sut.headers.get('sunset') ?? '')).toBeGreaterThan(Date.now());
    expect(sut.headers.get('link')).toContain('rel="successor-version"');
    const current = await call('GET', `/v1/catalogue/datasets/${entry.id}`);
    expect(current.headers.get('deprecation')).toBeNull();
  });

  it('is flagged deprecated in the OpenAPI document', async () => {
    const doc = await call<{ paths: Record<string, Record<string, { deprecated?: boolean }>> }>('GET', '/openapi.json');
    expect(doc.body.paths['/api/v1/catalogue/{type}/{id}/export']?.get?.deprecated).toBe(true);
    expect(doc.body.paths['/api/v1/catalogue/{type}/{id}']?.get?.deprecated).toBeUndefined();
  });
});

describe('sample data (npm start)', () => {
  it('has published entries of every type, with distributions where the type has files', async () => {
    const types = new Map<string, number>();
    for (const { type, id } of CATALOGUE_SEED) {
      const sut = await call<Entry>('GET', `/v1/catalogue/${type}/${String(id)}`);
      expect(sut.status, `${type}/${String(id)}`).toBe(200);
      expect(sut.body.status).toBe('published');
      if (!['organisations', 'persons', 'platforms'].includes(type)) expect(sut.body.distributions, String(id)).not.toHaveLength(0);
      types.set(type, (types.get(type) ?? 0) + 1);
    }
    for (const type of ['datasets', 'models', 'publications', 'services', 'organisations', 'persons', 'platforms']) {
      expect(types.get(type), type).toBeGreaterThanOrEqual(2);
    }
    expect(types.get('experiments')).toBeGreaterThanOrEqual(1);
  });
});
