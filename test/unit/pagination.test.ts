import { describe, expect, it } from 'vitest';
import { AppError } from '../../shared/errors';
import { pageReply } from '../../shared/http/pagination';
import { decodeCursor, encodeCursor } from '../../shared/query/cursor';

describe('cursors', () => {
  it('round-trip a continuation token for the same filters, whatever their key order', () => {
    const cursor = encodeCursor('{"token":"+RID:abc"}', { status: 'published', q: 'iris' });
    expect(decodeCursor(cursor, { q: 'iris', status: 'published' })).toBe('{"token":"+RID:abc"}');
  });

  it('refuse a cursor replayed with other filters, naming the cursor', () => {
    const cursor = encodeCursor('t', { status: 'published' });
    try {
      decodeCursor(cursor, { status: 'draft' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(AppError);
      expect((error as AppError).status).toBe(400);
      expect((error as AppError).errors?.[0]?.pointer).toBe('/cursor');
    }
  });

  it('refuse garbage', () => {
    expect(() => decodeCursor('not-a-cursor', {})).toThrow(AppError);
    expect(() => decodeCursor(Buffer.from('{"x":1}').toString('base64url'), {})).toThrow(AppError);
  });
});

describe('pageReply', () => {
  it('links the next page and keeps the other query parameters', () => {
    const sut = pageReply({ items: [1, 2], continuation: 'tok', cursorScope: { a: 1 } }, 'http://h/api/v1/things?limit=2&a=1');
    const body = sut.body as { items: number[]; nextCursor: string };
    expect(body.items).toEqual([1, 2]);
    expect(sut.headers?.Link).toBe(`</api/v1/things?limit=2&a=1&cursor=${body.nextCursor}>; rel="next"`);
    expect(decodeCursor(body.nextCursor, { a: 1 })).toBe('tok');
  });

  it('ends with a null cursor and no Link', () => {
    const sut = pageReply({ items: [], continuation: undefined, cursorScope: {} }, 'http://h/api/v1/things');
    expect(sut.body).toEqual({ items: [], nextCursor: null });
    expect(sut.headers?.Link).toBeUndefined();
  });
});
