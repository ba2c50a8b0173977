import { z } from 'zod';
import { errors } from '../errors';
import { sha256 } from '../hash';
import { canonicalJson } from '../json/canonical';

/** `?limit=&cursor=`: spread into a list's input schema. */
export const pageQuery = {
  limit: z.coerce.number().int().min(1).max(100).default(20).describe('Items per page (1–100).'),
  cursor: z.string().min(1).max(8192).optional().describe('The `nextCursor` of the previous page.'),
};

function filtersHash(filters: unknown): string {
  return sha256(canonicalJson(filters), 'base64url').slice(0, 16);
}

const cursorShape = z.object({ c: z.string(), f: z.string() });

/**
 * Wraps a Cosmos continuation token into an opaque cursor bound to the filters that produced it.
 *
 * @example const cursor = encodeCursor(page.continuation, { status: 'published' });
 */
export function encodeCursor(continuation: string, filters: unknown): string {
  return Buffer.from(JSON.stringify({ c: continuation, f: filtersHash(filters) })).toString('base64url');
}

/** The continuation inside a cursor; 400 if the cursor is malformed or was made for other filters. */
export function decodeCursor(cursor: string | undefined, filters: unknown): string | undefined {
  if (cursor === undefined) return undefined;
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw errors.invalidInput('/cursor', 'is not a cursor this API issued');
  }
  const parsed = cursorShape.safeParse(decoded);
  if (!parsed.success) throw errors.invalidInput('/cursor', 'is not a cursor this API issued');
  if (parsed.data.f !== filtersHash(filters)) {
    throw errors.invalidInput('/cursor', 'was issued for different filters; start again without a cursor');
  }
  return parsed.data.c;
}

/**
 * One page of a list as a service returns it: the store's continuation for the next page and the
 * filters the cursor is bound to (the same value the service decoded the caller's cursor with).
 */
export interface Page<T> {
  items: T[];
  continuation: string | undefined;
  cursorScope: unknown;
}
