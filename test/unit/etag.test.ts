import { describe, expect, it } from 'vitest';
import { conditionHolds } from '../../shared/azure/condition';
import { ifMatch, matchesIfNoneMatch, quoteEtag } from '../../shared/http/etag';

const sut = (header?: string) => ifMatch(new Headers(header === undefined ? {} : { 'If-Match': header }));

describe('ifMatch', () => {
  it('is undefined without the header and * for any version', () => {
    expect(sut()).toBeUndefined();
    expect(sut('*')).toBe('*');
  });

  it('unquotes the one strong ETag, the inverse of quoteEtag', () => {
    expect(sut(quoteEtag('0a1b-2c:3'))).toEqual(['0a1b-2c:3']);
  });

  it('lists every strong tag of a list, empty members and spaces allowed (RFC 9110 5.6.1)', () => {
    expect(sut('"0a1b:3", "0a1b:4"')).toEqual(['0a1b:3', '0a1b:4']);
    expect(sut(' ,"a",,"b" , ')).toEqual(['a', 'b']);
    expect(sut('"with,comma", "b"')).toEqual(['with,comma', 'b']);
  });

  it('leaves weak tags out: a strong comparison never matches them', () => {
    expect(sut('W/"0a1b:3"')).toEqual([]);
    expect(sut('W/"0a1b:3", "0a1b:4"')).toEqual(['0a1b:4']);
  });

  it('names no version for text that is no list of entity tags, or an empty header', () => {
    for (const header of ['0a1b:3', '"a" junk', '"a", b', '"unterminated', '']) expect(sut(header), header).toEqual([]);
  });
});

describe('conditionHolds', () => {
  it('holds for * while something is stored, and for a list naming the stored version, quoted or not', () => {
    expect(conditionHolds('*', '"v1"')).toBe(true);
    expect(conditionHolds('*', undefined)).toBe(false);
    expect(conditionHolds(['v0', 'v1'], '"v1"')).toBe(true);
    expect(conditionHolds(['v1'], 'v1')).toBe(true);
    expect(conditionHolds(['v0'], '"v1"')).toBe(false);
    expect(conditionHolds([], '"v1"')).toBe(false);
    expect(conditionHolds(['v1'], undefined)).toBe(false);
  });
});

describe('matchesIfNoneMatch', () => {
  it('compares weakly, over the whole list, a comma inside a tag included', () => {
    expect(matchesIfNoneMatch('W/"v1"', '"v1"')).toBe(true);
    expect(matchesIfNoneMatch('"v0", "v1"', '"v1"')).toBe(true);
    expect(matchesIfNoneMatch('"a,b"', '"a,b"')).toBe(true);
    expect(matchesIfNoneMatch('"a,b"', '"b"')).toBe(false);
    expect(matchesIfNoneMatch('*', '"v1"')).toBe(true);
    expect(matchesIfNoneMatch('v1', '"v1"')).toBe(false);
    expect(matchesIfNoneMatch(null, '"v1"')).toBe(false);
  });
});
