import { z } from 'zod';
import { encodeCursor, type Page } from '../query/cursor';
import type { Reply } from './reply';

/** The list response schema: `{ items, nextCursor }` (plus `extra` members), named `id` in OpenAPI. */
export function pageOf<T extends z.ZodType, E extends z.ZodRawShape = Record<never, never>>(item: T, id: string, extra?: E) {
  return z
    .object({
      items: z.array(item),
      nextCursor: z.string().nullable().describe('Pass as `cursor` for the next page; null on the last page.'),
      ...(extra as E),
    })
    .meta({ id });
}

/**
 * The list reply: `{ items, nextCursor }` plus `Link: <…>; rel="next"` when there is a next page.
 *
 * @example return pageReply(await listThings(principal, query), request.url);
 */
export function pageReply(page: Page<unknown>, requestUrl: string): Reply {
  const nextCursor = page.continuation ? encodeCursor(page.continuation, page.cursorScope) : null;
  const headers: Record<string, string> = {};
  if (nextCursor) {
    const next = new URL(requestUrl);
    next.searchParams.set('cursor', nextCursor);
    headers.Link = `<${next.pathname}${next.search}>; rel="next"`;
  }
  return { status: 200, body: { items: page.items, nextCursor }, headers };
}
