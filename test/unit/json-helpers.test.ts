import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sha256 } from '../../shared/hash';
import { canonicalJson } from '../../shared/json/canonical';
import { escapePointerPart, jsonPointer, unescapePointerPart } from '../../shared/json/pointer';

/** The same value with every object's keys inserted in reverse order. */
function reversed(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reversed);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).reverse().map(([k, v]) => [k, reversed(v)]));
  return value;
}

describe('canonicalJson', () => {
  it('is JSON that parses back to the value, whatever order its keys were inserted in', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const sut = canonicalJson(value);
        expect(JSON.parse(sut)).toEqual(JSON.parse(JSON.stringify(value)));
        expect(canonicalJson(reversed(value))).toBe(sut);
      }),
      { numRuns: 300 },
    );
  });

  it('sorts keys and leaves out undefined members', () => {
    expect(canonicalJson({ b: 1, a: [true, undefined], c: undefined })).toBe('{"a":[true,null],"b":1}');
  });
});

describe('jsonPointer', () => {
  it('escapes ~ and / in each segment (RFC 6901)', () => {
    expect(jsonPointer(['body', 'labels', 0, 'a/b~c'])).toBe('/body/labels/0/a~1b~0c');
    expect(jsonPointer([])).toBe('');
  });

  it('unescapes what it escapes', () => {
    fc.assert(
      fc.property(fc.string(), (part) => {
        expect(unescapePointerPart(escapePointerPart(part))).toBe(part);
      }),
    );
    expect(unescapePointerPart('~01')).toBe('~1');
  });
});

describe('sha256', () => {
  it('gives the FIPS 180-2 digest of text as UTF-8 and of bytes, in hex or base64url', () => {
    expect(sha256('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(sha256(new TextEncoder().encode('abc'))).toBe(sha256('abc'));
    expect(sha256('abc', 'base64url')).toBe('ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0');
  });
});
