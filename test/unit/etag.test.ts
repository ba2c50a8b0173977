import { describe, expect, it } from 'vitest';
import { ifMatchVersions, quoteEtag } from '../../shared/http/etag';

const sut = (ifMatch?: string) => ifMatchVersions(new Headers(ifMatch === undefined ? {} : { 'If-Match': ifMatch }));

describe('ifMatchVersions', () => {
  it('is undefined without the header and * for any version', () => {
    expect(sut()).toBeUndefined();
    expect(sut('*')).toBe('*');
  });

  it('unquotes the one strong ETag, the inverse of quoteEtag', () => {
    expect(sut(quoteEtag('0a1b-2c:3'))).toEqual(['0a1b-2c:3']);
  });

  it('names no version for a weak tag, a list, an unquoted version or an empty header', () => {
    for (const header of ['W/"0a1b:3"', '"0a1b:3", "0a1b:4"', '0a1b:3', '']) expect(sut(header), header).toEqual([]);
  });
});
