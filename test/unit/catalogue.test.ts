import { describe, expect, expectTypeOf, it } from 'vitest';
import { ListQuery } from '../../shared/catalogue/catalogue.schema';
import { representationEtag } from '../../shared/catalogue/catalogue.access';
import { negotiate } from '../../shared/http/catalogue.representation';
import { applyMergePatch } from '../../shared/catalogue/catalogue.rules';
import type { CatalogueEntry, ModelEntry } from '../../shared/catalogue/catalogue.service';
import { catalogueType, catalogueTypes } from '../../shared/catalogue/catalogue.types';
import { datasetType } from '../../shared/catalogue/types/dataset.schema';
import { modelType } from '../../shared/catalogue/types/model.schema';

describe('applyMergePatch (RFC 7396)', () => {
  // The test vectors of RFC 7396, appendix A.
  const vectors: [unknown, unknown, unknown][] = [
    [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
    [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    [{ a: 'b' }, { a: null }, {}],
    [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
    [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
    [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
    [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
    [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
    [['a', 'b'], ['c', 'd'], ['c', 'd']],
    [{ a: 'b' }, ['c'], ['c']],
    [{ a: 'foo' }, null, null],
    [{ a: 'foo' }, 'bar', 'bar'],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [[1, 2], { a: 'b', c: null }, { a: 'b' }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ];
  it.each(vectors)('merges %j with %j', (target, patch, expected) => {
    expect(applyMergePatch(target, patch)).toEqual(expected);
  });

  it('leaves the target untouched', () => {
    const target = { a: { b: 1 } };
    applyMergePatch(target, { a: { b: 2 } });
    expect(target).toEqual({ a: { b: 1 } });
  });
});

describe('negotiate', () => {
  it('gives JSON without Accept, to */* and to browsers', () => {
    expect(negotiate('datasets', null, undefined)).toEqual({ kind: 'json' });
    expect(negotiate('datasets', '*/*', undefined)).toEqual({ kind: 'json' });
    expect(negotiate('datasets', 'text/html,application/xhtml+xml,*/*;q=0.8', undefined)).toEqual({ kind: 'json' });
  });

  it('gives JSON-LD when preferred, with the profile named in Accept or the query', () => {
    expect(negotiate('datasets', 'application/ld+json', undefined)).toEqual({ kind: 'jsonld', profile: 'schema.org' });
    expect(negotiate('datasets', 'application/json;q=0.5, application/ld+json', undefined)).toEqual({ kind: 'jsonld', profile: 'schema.org' });
    expect(negotiate('datasets', 'application/ld+json;profile="http://mlcommons.org/croissant/1.0"', undefined)).toEqual({ kind: 'jsonld', profile: 'croissant' });
    expect(negotiate('datasets', null, 'dcat-ap')).toEqual({ kind: 'jsonld', profile: 'dcat-ap' });
    expect(negotiate('datasets', 'application/json, application/ld+json;q=0.9', undefined)).toEqual({ kind: 'json' });
  });

  it('refuses with 406 what it cannot give', () => {
    expect(() => negotiate('datasets', 'text/csv', undefined)).toThrowError(expect.objectContaining({ status: 406 }));
    expect(() => negotiate('datasets', 'application/json', 'schema.org')).toThrowError(expect.objectContaining({ status: 406 }));
    expect(() => negotiate('datasets', 'application/ld+json;q=0', undefined)).toThrowError(expect.objectContaining({ status: 406 }));
  });
});

describe('representationEtag', () => {
  it('quotes the stored ETag and tells representations apart', () => {
    expect(representationEtag('abc', undefined)).toBe('"abc"');
    expect(representationEtag('"abc"', undefined)).toBe('"abc"');
    expect(representationEtag('W/"abc"', 'public')).toBe('"abc-public"');
  });
});

describe('catalogue types', () => {
  it('registers every type the issue asks for, each with distinct names', () => {
    const names = catalogueTypes.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['datasets', 'models', 'publications', 'services', 'experiments', 'organisations', 'persons', 'platforms']));
    expect(new Set(catalogueTypes.map((t) => t.singular)).size).toBe(names.length);
    expect(catalogueType('spaceships')).toBeUndefined();
  });

  it('refuses unknown fields and half a platform identifier', () => {
    expect(datasetType.input.safeParse({ name: 'x', colour: 'blue' }).success).toBe(false);
    expect(datasetType.input.safeParse({ name: 'x', platform: 'openml' }).success).toBe(false);
    expect(datasetType.input.safeParse({ name: 'x', platform: 'openml', platformResourceIdentifier: '61' }).success).toBe(true);
  });

  it('accepts a model runtime of either kind, and refuses a key in place of a setting name or a setting not named MODEL_SECRET_*', () => {
    const ok = [
      { kind: 'builtin', name: 'iris-classifier' },
      { kind: 'http', url: 'https://ml.example.org/score', auth: { kind: 'key', secretSetting: 'MODEL_SECRET_SCORING' } },
    ];
    for (const runtime of ok) expect(modelType.input.safeParse({ name: 'm', runtime }).success, JSON.stringify(runtime)).toBe(true);
    for (const secretSetting of ['sk-live 123', 'COSMOS', 'SCORING_KEY', 'MODEL_SECRET_']) {
      const runtime = { kind: 'http', url: 'https://ml.example.org/score', auth: { kind: 'key', secretSetting } };
      expect(modelType.input.safeParse({ name: 'm', runtime }).success, secretSetting).toBe(false);
    }
    // Entra ID scopes depend on a setting: test/e2e/outbound-policy.test.ts covers them over HTTP.
  });

  it('passes the dataset hosting object through without looking inside', () => {
    const hosting = { records: 150, schema: { columns: ['a'] }, anything: [1, { deep: true }] };
    expect(datasetType.entry.parse({ ...datasetType.input.parse({ name: 'x' }), id: 'a', type: 'datasets', status: 'draft', owner: 'o', dateCreated: '2024-01-01T00:00:00.000Z', dateModified: '2024-01-01T00:00:00.000Z', hosting }).hosting).toEqual(hosting);
  });

  it('types model entries with their runtime and schemas', () => {
    expectTypeOf<ModelEntry['runtime']>().toEqualTypeOf<
      | { kind: 'builtin'; name: string }
      | { kind: 'http'; url: string; auth: { kind: 'key'; header?: string | undefined; secretSetting: string } | { kind: 'entra'; scope: string } }
      | undefined
    >();
    expectTypeOf<Extract<CatalogueEntry, { type: 'models' }>>().toEqualTypeOf<ModelEntry>();
  });
});

describe('ListQuery', () => {
  it('normalises dates to instants and keywords to a list', () => {
    const parsed = ListQuery.parse({ modifiedAfter: '2024-01-01', keyword: 'a' });
    expect(parsed).toMatchObject({ modifiedAfter: '2024-01-01T00:00:00.000Z', keyword: ['a'], sort: '-dateModified', limit: 20 });
  });

  it('refuses an empty time window', () => {
    expect(ListQuery.safeParse({ modifiedAfter: '2024-02-01', modifiedBefore: '2024-01-01' }).success).toBe(false);
  });
});
