import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { adminKey, call, expectProblem } from '../support/api';
import { type Entry, type Page, catalogueCallers, create, dataset, newPlatform, patch, unique } from '../support/catalogue';

/**
 * Writing to the catalogue over HTTP: create, replace, merge-patch and delete, who may do each,
 * uniqueness of platform identifiers, preconditions, and hostile bodies on every type.
 */
// Two contributors and a reader.
let [alice, bob, reader] = ['', '', ''];
beforeAll(async () => ({ alice, bob, reader } = await catalogueCallers()));

describe('POST /api/v1/catalogue/{type}', () => {
  it('creates a draft owned by the caller, with Location and ETag', async () => {
    const sut = await call<Entry>('POST', '/v1/catalogue/datasets', { key: alice, body: dataset({ size: { value: 8760, unit: 'rows' } }) });
    expect(sut.status, sut.text).toBe(201);
    expect(sut.body).toMatchObject({ type: 'datasets', status: 'draft', name: 'Coastal water temperature 2019–2023', size: { value: 8760, unit: 'rows' } });
    expect(sut.body.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(sut.body.owner).toMatch(/^alice-/);
    expect(sut.body.dateCreated).toBe(sut.body.dateModified);
    expect(sut.headers.get('location')).toBe(`/api/v1/catalogue/datasets/${sut.body.id}`);
    expect(sut.headers.get('etag')).toMatch(/^".+"$/);
    expect(sut.text).not.toMatch(/_rid|_self|_ts|docType/);
  });

  it('creates every resource type with its own fields', async () => {
    const bodies: Record<string, Record<string, unknown>> = {
      models: { name: 'Buoy gap filler', modelType: 'regression', runtime: { kind: 'builtin', name: 'iris-classifier' }, inputSchema: { type: 'object' }, outputSchema: { type: 'object' }, version: '1.0.0' },
      publications: { name: 'Filling sensor gaps', publicationType: 'journal-article', permanentIdentifier: 'https://doi.org/10.9999/x.1' },
      services: { name: 'Buoy API', endpointUrl: 'https://api.example.org/buoys', slogan: 'Every buoy, every hour.' },
      experiments: { name: 'Gap filler ablation', experimentalWorkflow: 'three seeds', badges: ['artifacts-available'] },
      organisations: { name: 'Coastal Lab', legalName: 'Coastal Lab B.V.', dateFounded: '2010-04-01' },
      persons: { name: 'Ines Duarte', givenName: 'Ines', surname: 'Duarte', languages: ['pt', 'en'] },
    };
    for (const [type, body] of Object.entries(bodies)) {
      const { entry } = await create(alice, body, type);
      expect(entry, type).toMatchObject({ type, ...body });
    }
  });

  it('refuses unknown fields, naming them', async () => {
    const problem = expectProblem(await call('POST', '/v1/catalogue/datasets', { key: alice, body: dataset({ colour: 'blue' }) }), 400);
    expect(String(problem.detail)).toContain('colour');
  });

  it('refuses a platform without a platformResourceIdentifier, and an unregistered platform', async () => {
    const half = expectProblem(await call('POST', '/v1/catalogue/datasets', { key: alice, body: dataset({ platform: 'zenodo' }) }), 400);
    expect(half.errors).toEqual([expect.objectContaining({ pointer: '/body/platformResourceIdentifier' })]);
    const unknown = expectProblem(
      await call('POST', '/v1/catalogue/datasets', { key: alice, body: dataset({ platform: unique('nowhere'), platformResourceIdentifier: '1' }) }),
      400,
    );
    expect(unknown.errors).toEqual([expect.objectContaining({ pointer: '/body/platform' })]);
  });

  it('refuses a checksum without its algorithm, or of the wrong length', async () => {
    const body = dataset({ distributions: [{ contentUrl: 'https://data.example.org/a.csv', checksum: 'ab'.repeat(16) }] });
    expectProblem(await call('POST', '/v1/catalogue/datasets', { key: alice, body }), 400);
    const wrong = dataset({ distributions: [{ contentUrl: 'https://data.example.org/a.csv', checksum: 'ab'.repeat(16), checksumAlgorithm: 'sha256' }] });
    expect(expectProblem(await call('POST', '/v1/catalogue/datasets', { key: alice, body: wrong }), 400).errors).toEqual([
      expect.objectContaining({ pointer: '/body/distributions/0/checksum' }),
    ]);
  });

  it('refuses server-set fields in a create body', async () => {
    const problem = expectProblem(await call('POST', '/v1/catalogue/datasets', { key: alice, body: dataset({ owner: 'someone-else' }) }), 400);
    expect(problem.errors).toEqual([expect.objectContaining({ pointer: '/body/owner' })]);
  });

  it('refuses anonymous callers (401) and readers (403)', async () => {
    expectProblem(await call('POST', '/v1/catalogue/datasets', { body: dataset() }), 401);
    expectProblem(await call('POST', '/v1/catalogue/datasets', { key: reader, body: dataset() }), 403);
  });

  it('keeps the platform registry for admins', async () => {
    expectProblem(await call('POST', '/v1/catalogue/platforms', { key: alice, body: { name: unique('mine') } }), 403);
    const bad = expectProblem(await call('POST', '/v1/catalogue/platforms', { key: adminKey(), body: { name: 'Not A Slug' } }), 400);
    expect(bad.errors).toEqual([expect.objectContaining({ pointer: '/body/name' })]);
  });

  it('refuses a second live platform of the same name, naming the first', async () => {
    const name = await newPlatform();
    const problem = expectProblem(await call('POST', '/v1/catalogue/platforms', { key: adminKey(), body: { name } }), 409);
    expect(problem.existingId).toEqual(expect.any(String));
  });

  it('lets only admins point a model at an http runtime (the platform sends credentials there)', async () => {
    const runtime = { kind: 'http', url: 'https://ml.example.org/score', auth: { kind: 'key', header: 'api-key', secretSetting: 'MODEL_SECRET_SCORING' } };
    expectProblem(await call('POST', '/v1/catalogue/models', { key: alice, body: { name: 'Remote model', runtime } }), 403);
    const { entry } = await create(adminKey(), { name: 'Remote model', runtime, inputSchema: { type: 'object' } }, 'models');
    expect(entry.runtime).toEqual(runtime);
  });
});

describe('platform + platformResourceIdentifier', () => {
  it('is unique among live entries: 409 names the existing id, and deleting frees it', async () => {
    const platform = await newPlatform();
    const { entry: first } = await create(alice, dataset({ platform, platformResourceIdentifier: 'org/dataset-1' }));
    const duplicate = await call('POST', '/v1/catalogue/datasets', { key: bob, body: dataset({ platform, platformResourceIdentifier: 'org/dataset-1' }) });
    const problem = expectProblem(duplicate, 409);
    expect(problem.existingId).toBe(first.id);
    expect(String(problem.detail)).toContain(first.id);

    expect((await call('DELETE', `/v1/catalogue/datasets/${first.id}`, { key: alice })).status).toBe(204);
    await create(bob, dataset({ platform, platformResourceIdentifier: 'org/dataset-1' }));
  });

  it('is unique per type: the same identifier may name a dataset and a model', async () => {
    const platform = await newPlatform();
    await create(alice, dataset({ platform, platformResourceIdentifier: 'shared-1' }));
    await create(alice, { name: 'Model with the same id', platform, platformResourceIdentifier: 'shared-1' }, 'models');
  });

  it('refuses a PUT that would take another entry’s identifier, and frees the old one after a change', async () => {
    const platform = await newPlatform();
    const { entry: a } = await create(alice, dataset({ platform, platformResourceIdentifier: 'a' }));
    const { entry: b } = await create(alice, dataset({ platform, platformResourceIdentifier: 'b' }));
    const taken = await call('PUT', `/v1/catalogue/datasets/${b.id}`, { key: alice, body: dataset({ platform, platformResourceIdentifier: 'a' }) });
    expect(expectProblem(taken, 409).existingId).toBe(a.id);

    const moved = await patch(`/v1/catalogue/datasets/${a.id}`, alice, { platformResourceIdentifier: 'a2' });
    expect(moved.status, moved.text).toBe(200);
    await create(alice, dataset({ platform, platformResourceIdentifier: 'a' }));
  });
});

describe('PUT /api/v1/catalogue/{type}/{id}', () => {
  it('replaces every field: what the body leaves out is gone', async () => {
    const { entry } = await create(alice, dataset({ version: '1.0', keywords: ['a'] }));
    const sut = await call<Entry>('PUT', `/v1/catalogue/datasets/${entry.id}`, { key: alice, body: { name: 'Renamed' } });
    expect(sut.status, sut.text).toBe(200);
    expect(sut.body).toMatchObject({ id: entry.id, name: 'Renamed', owner: entry.owner, dateCreated: entry.dateCreated, status: 'draft' });
    expect(sut.body).not.toHaveProperty('version');
    expect(sut.body).not.toHaveProperty('keywords');
    expect(sut.body.dateModified > entry.dateModified).toBe(true);
  });

  it('accepts a GET body sent back (echoed record fields), but not a changed one', async () => {
    const { entry } = await create(alice, dataset());
    const echoed = await call<Entry>('PUT', `/v1/catalogue/datasets/${entry.id}`, { key: alice, body: { ...entry, version: '3' } });
    expect(echoed.status, echoed.text).toBe(200);
    expect(echoed.body.version).toBe('3');
    const moved = await call('PUT', `/v1/catalogue/datasets/${entry.id}`, { key: alice, body: { ...echoed.body, owner: 'someone-else' } });
    expect(expectProblem(moved, 400).errors).toEqual([expect.objectContaining({ pointer: '/body/owner' })]);
  });

  it('answers 412 to a stale If-Match and applies a current one', async () => {
    const { entry, etag } = await create(alice, dataset());
    const fresh = await call<Entry>('PUT', `/v1/catalogue/datasets/${entry.id}`, { key: alice, body: dataset({ version: '2' }), headers: { 'If-Match': etag } });
    expect(fresh.status, fresh.text).toBe(200);
    expect(fresh.headers.get('etag')).not.toBe(etag);
    const stale = await call('PUT', `/v1/catalogue/datasets/${entry.id}`, { key: alice, body: dataset({ version: '3' }), headers: { 'If-Match': etag } });
    expectProblem(stale, 412);
    expect((await call<Entry>('GET', `/v1/catalogue/datasets/${entry.id}`, { key: alice })).body.version).toBe('2');
  });
});

describe('PATCH /api/v1/catalogue/{type}/{id}', () => {
  it('applies a JSON merge patch: members merge, null removes, arrays are replaced', async () => {
    const { entry } = await create(alice, dataset({ version: '1.0', description: { plain: 'plain text', html: '<p>html</p>' } }));
    const sut = await patch(`/v1/catalogue/datasets/${entry.id}`, alice, { version: null, description: { html: null }, keywords: ['new'] });
    expect(sut.status, sut.text).toBe(200);
    expect(sut.body).not.toHaveProperty('version');
    expect(sut.body.description).toEqual({ plain: 'plain text' });
    expect(sut.body.keywords).toEqual(['new']);
    expect(sut.body.distributions).toEqual(entry.distributions);
    expect(sut.headers.get('etag')).toMatch(/^".+"$/);
  });

  it('wants application/merge-patch+json (415 otherwise)', async () => {
    const { entry } = await create(alice, dataset());
    const sut = await call('PATCH', `/v1/catalogue/datasets/${entry.id}`, { key: alice, body: { version: '2' } });
    expect(expectProblem(sut, 415).detail).toContain('application/merge-patch+json');
  });

  it('validates the patched entry as a whole', async () => {
    const { entry } = await create(alice, dataset());
    expectProblem(await patch(`/v1/catalogue/datasets/${entry.id}`, alice, { name: null }), 400);
    expectProblem(await patch(`/v1/catalogue/datasets/${entry.id}`, alice, { shoeSize: 44 }), 400);
    expectProblem(await patch(`/v1/catalogue/datasets/${entry.id}`, alice, { status: 'archived' }), 400);
  });

  it('retries a write without If-Match on a concurrent change: ten writers, three rounds, never a 412', async () => {
    const { entry } = await create(alice, dataset());
    const statuses: number[] = [];
    for (let round = 0; round < 3; round++) {
      const answers = await Promise.all(
        Array.from({ length: 10 }, (_, writer) => patch(`/v1/catalogue/datasets/${entry.id}`, alice, { version: `${round}.${writer}` })),
      );
      statuses.push(...answers.map((answer) => answer.status));
    }
    expect(statuses.filter((status) => status !== 200)).toEqual([]);
    const final = await call<Entry>('GET', `/v1/catalogue/datasets/${entry.id}`, { key: alice });
    expect(final.body.version).toMatch(/^2\.\d$/);
  });

  it('answers 412 to a stale If-Match', async () => {
    const { entry, etag } = await create(alice, dataset());
    expect((await patch(`/v1/catalogue/datasets/${entry.id}`, alice, { version: '2' }, { 'If-Match': etag })).status).toBe(200);
    expectProblem(await patch(`/v1/catalogue/datasets/${entry.id}`, alice, { version: '3' }, { 'If-Match': etag }), 412);
  });

  it('lets the owner publish and unpublish, and only admins reject', async () => {
    const { entry } = await create(alice, dataset());
    expect((await patch(`/v1/catalogue/datasets/${entry.id}`, alice, { status: 'published' })).body.status).toBe('published');
    expect((await call('GET', `/v1/catalogue/datasets/${entry.id}`)).status).toBe(200);
    expectProblem(await patch(`/v1/catalogue/datasets/${entry.id}`, alice, { status: 'rejected' }), 403);
    expect((await patch(`/v1/catalogue/datasets/${entry.id}`, adminKey(), { status: 'rejected' })).body.status).toBe('rejected');
    expectProblem(await call('GET', `/v1/catalogue/datasets/${entry.id}`), 404);
    expectProblem(await patch(`/v1/catalogue/datasets/${entry.id}`, alice, { status: 'published' }), 403);
    expect((await patch(`/v1/catalogue/datasets/${entry.id}`, alice, { status: 'draft' })).body.status).toBe('draft');
  });
});

describe('caller A and caller B', () => {
  it('refuses a contributor reading, updating or deleting another contributor’s draft (404: it does not exist for them)', async () => {
    const { entry } = await create(alice, dataset());
    expectProblem(await call('GET', `/v1/catalogue/datasets/${entry.id}`, { key: bob }), 404);
    expectProblem(await call('PUT', `/v1/catalogue/datasets/${entry.id}`, { key: bob, body: dataset() }), 404);
    expectProblem(await patch(`/v1/catalogue/datasets/${entry.id}`, bob, { name: 'mine now' }), 404);
    expectProblem(await call('DELETE', `/v1/catalogue/datasets/${entry.id}`, { key: bob }), 404);
  });

  it('refuses a contributor editing or deleting another contributor’s published entry (403)', async () => {
    const { entry } = await create(alice, dataset({ status: 'published' }));
    expectProblem(await call('PUT', `/v1/catalogue/datasets/${entry.id}`, { key: bob, body: dataset() }), 403);
    expectProblem(await patch(`/v1/catalogue/datasets/${entry.id}`, bob, { name: 'mine now' }), 403);
    expectProblem(await call('DELETE', `/v1/catalogue/datasets/${entry.id}`, { key: bob }), 403);
    const unchanged = await call<Entry>('GET', `/v1/catalogue/datasets/${entry.id}`);
    expect(unchanged.body.name).toBe(entry.name);
  });

  it('lets an admin edit and delete anyone’s entry, keeping the owner', async () => {
    const { entry } = await create(alice, dataset());
    const edited = await patch(`/v1/catalogue/datasets/${entry.id}`, adminKey(), { version: 'fixed by admin' });
    expect(edited.body).toMatchObject({ version: 'fixed by admin', owner: entry.owner });
    expect((await call('DELETE', `/v1/catalogue/datasets/${entry.id}`, { key: adminKey() })).status).toBe(204);
  });
});

describe('DELETE /api/v1/catalogue/{type}/{id}', () => {
  it('soft-deletes: the entry is gone from reads, lists and counts at once', async () => {
    const keyword = unique('kw');
    const { entry } = await create(alice, dataset({ keywords: [keyword], status: 'published' }));
    expect((await call('DELETE', `/v1/catalogue/datasets/${entry.id}`, { key: alice })).status).toBe(204);
    expectProblem(await call('GET', `/v1/catalogue/datasets/${entry.id}`, { key: adminKey() }), 404);
    expect((await call<Page>('GET', `/v1/catalogue/datasets?keyword=${keyword}`, { key: adminKey() })).body.items).toEqual([]);
    expectProblem(await call('DELETE', `/v1/catalogue/datasets/${entry.id}`, { key: alice }), 404);
  });

  it('answers 412 to a stale If-Match', async () => {
    const { entry, etag } = await create(alice, dataset());
    expect((await patch(`/v1/catalogue/datasets/${entry.id}`, alice, { version: '2' })).status).toBe(200);
    expectProblem(await call('DELETE', `/v1/catalogue/datasets/${entry.id}`, { key: alice, headers: { 'If-Match': etag } }), 412);
    expect((await call('GET', `/v1/catalogue/datasets/${entry.id}`, { key: alice })).status).toBe(200);
  });

  it('refuses to delete a platform that still has entries', async () => {
    const platform = await newPlatform();
    await create(alice, dataset({ platform, platformResourceIdentifier: '1' }));
    const registry = await call<Page>('GET', `/v1/catalogue/platforms?q=${platform}`, { key: adminKey() });
    const id = registry.body.items.find((item) => item.name === platform)?.id;
    expectProblem(await call('DELETE', `/v1/catalogue/platforms/${id}`, { key: adminKey() }), 409);
  });
});

describe('hostile bodies on every type', () => {
  const TYPES = ['datasets', 'models', 'publications', 'services', 'experiments', 'organisations', 'persons', 'platforms'];
  const FIELDS = ['name', 'description', 'keywords', 'distributions', 'creators', 'platform', 'platformResourceIdentifier', 'status', 'runtime', 'inputSchema', 'hosting', 'size', 'temporalCoverage', 'spatialCoverage', 'isPartOf', 'owner', 'id'];
  const deep = (levels: number): unknown => Array.from({ length: levels }).reduce<unknown>((inner) => ({ a: inner }), 1);
  const value = fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.string({ maxLength: 30 }), fc.constant(deep(200)), fc.constant('x'.repeat(30_000)));
  const body = fc.dictionary(fc.oneof(fc.constantFrom(...FIELDS), fc.string({ maxLength: 6 })), value, { maxKeys: 5 }).map((fields) => ({ name: 'Fuzzed', ...fields }));

  it('never answers 5xx to POST or PATCH, and every refusal is problem+json', async () => {
    const { entry } = await create(adminKey(), { name: 'Patch target' });
    const samples = fc.sample(body, { numRuns: 60, seed: 7 });
    const failures: string[] = [];
    for (const [i, sample] of samples.entries()) {
      const type = TYPES[i % TYPES.length] ?? 'datasets';
      const responses = await Promise.all([
        call('POST', `/v1/catalogue/${type}`, { key: adminKey(), body: sample }),
        patch(`/v1/catalogue/datasets/${entry.id}`, adminKey(), sample),
      ]);
      for (const response of responses) {
        const bad = response.status >= 500 || (response.status >= 400 && !String(response.headers.get('content-type')).startsWith('application/problem+json'));
        if (bad) failures.push(`${response.status} ${response.text.slice(0, 200)} for ${type} ${JSON.stringify(sample).slice(0, 200)}`);
      }
    }
    expect(failures).toEqual([]);
  });
});
