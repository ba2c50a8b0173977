import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { CATALOGUE_SEED } from '../../local/seed/catalogue.seed';
import { adminKey, call, expectProblem, keyWithRoles } from '../support/api';

/**
 * The catalogue over HTTP: CRUD, permissions, filters, uniqueness of platform identifiers,
 * preconditions, caching, counts, content redirects and the deprecated export alias.
 * Each test works on its own platform or keyword, so data of other tests never interferes.
 */
interface Entry {
  id: string;
  type: string;
  name: string;
  status: string;
  owner: string;
  dateCreated: string;
  dateModified: string;
  [field: string]: unknown;
}
interface Page {
  items: Entry[];
  nextCursor: string | null;
}

const unique = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

let alice: string; // contributor
let bob: string; // another contributor
let reader: string;

/** Registers a platform (admin only) and returns its name. */
async function newPlatform(): Promise<string> {
  const name = unique('plat');
  const response = await call('POST', '/v1/catalogue/platforms', { key: adminKey(), body: { name, status: 'published' } });
  expect(response.status, response.text).toBe(201);
  return name;
}

function dataset(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'Coastal water temperature 2019–2023',
    description: { plain: 'Hourly sea surface temperature at twelve buoys.' },
    keywords: ['ocean', 'temperature'],
    license: 'CC-BY-4.0',
    contacts: [{ type: 'persons', name: 'Ines Duarte', email: 'ines.duarte@example.org' }],
    distributions: [
      { contentUrl: 'https://data.example.org/sst/2019-2023.csv', encodingFormat: 'text/csv', contentSizeBytes: 1024, checksum: 'a'.repeat(64), checksumAlgorithm: 'sha256' },
      { contentUrl: 'https://data.example.org/sst/2019-2023.parquet', encodingFormat: 'application/vnd.apache.parquet' },
    ],
    ...overrides,
  };
}

async function create(key: string, body: Record<string, unknown>, type = 'datasets'): Promise<{ entry: Entry; etag: string }> {
  const response = await call<Entry>('POST', `/v1/catalogue/${type}`, { key, body });
  expect(response.status, response.text).toBe(201);
  return { entry: response.body, etag: response.headers.get('etag') ?? '' };
}

const patch = (path: string, key: string, body: unknown, headers: Record<string, string> = {}) =>
  call<Entry>('PATCH', path, { key, rawBody: JSON.stringify(body), headers: { 'Content-Type': 'application/merge-patch+json', ...headers } });

beforeAll(async () => {
  [alice, bob, reader] = await Promise.all([
    keyWithRoles(['contributor'], { subject: unique('alice') }),
    keyWithRoles(['contributor'], { subject: unique('bob') }),
    keyWithRoles(['reader']),
  ]);
});

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
