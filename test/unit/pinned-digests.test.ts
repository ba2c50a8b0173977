import { describe, expect, it } from 'vitest';
import { sameValue } from '../../shared/catalogue/catalogue.rules';
import { contentHash, entryIdFor } from '../../shared/catalogue/connectors/connector.run';
import { encodeCursor } from '../../shared/query/cursor';
import { sha256 } from '../../shared/hash';
import { cacheKeyOf } from '../../shared/inference/cache.service';
import { canonicalJson } from '../../shared/json/canonical';
import { imageIdFor, shortHash } from '../../shared/labels/ids';

// Outputs of the code as it was before the canonical-JSON and sha256 copies were folded into one
// helper each (computed by that code, pinned here): these values are persisted or compared across
// versions — cache keys, cursor scopes, entry and image ids, content hashes — so they must not move.

const sample = { b: [1, 'two', null, { z: undefined, y: true }], a: 'é/~x', c: undefined, n: -0.5, d: new Date(0), e: [undefined] };
const sampleText = '{"a":"é/~x","b":[1,"two",null,{"y":true}],"d":{},"e":[null],"n":-0.5}';

describe('digests and canonical JSON (pinned)', () => {
  it('writes canonical JSON as it always has: keys sorted, undefined members left out, a Date as {}', () => {
    expect(canonicalJson(sample)).toBe(sampleText);
    expect([undefined, 'x', [], {}].map((value) => canonicalJson(value))).toEqual(['null', '"x"', '[]', '{}']);
    expect(sameValue({ a: 1, b: [2] }, { b: [2], a: 1 })).toBe(true);
  });

  it('keeps the inference cache key', () => {
    expect(sha256('héllo')).toBe('3c48591d8d098a4538f5e013dfcf406e948eac4d3277b10bf614e295d6068179');
    const model = { id: 'm1', version: '3', runtime: { kind: 'builtin' as const, name: 'iris' } };
    expect(cacheKeyOf(model, { sepal_length: 5.1, petal_width: 0.2 })).toBe('32d555e3087fcc41fc11791f1eb43150bec48dde7ddace8b5f59d453f932f330');
  });

  it('keeps the cursor scope of a list', () => {
    expect(encodeCursor('token+1', { status: 'published', q: undefined, tags: ['b', 'a'] })).toBe('eyJjIjoidG9rZW4rMSIsImYiOiJPVDFmeU5PT0RSVnJNaE1JIn0');
  });

  it('keeps connector content hashes and hashed entry ids', () => {
    expect(contentHash({ title: 'T', keywords: ['x'], extra: undefined })).toBe('373XOI2emx4XDAT-Zzp2KGmLakTMLTcP');
    expect(entryIdFor('hf', 'org/model name')).toBe('hf-he08fc72e2af4da69bd1ce0870a8ae8b4f1ea8477');
  });

  it('keeps image ids and short hashes', () => {
    expect(imageIdFor('abc123', 'folder/cat 1.png')).toBe('abc123~034c0fee3d9ff5bef2bc');
    expect(shortHash('some text')).toBe('b94f6f125c79e3a5');
    expect(shortHash('some text', 8)).toBe('b94f6f12');
  });
});
