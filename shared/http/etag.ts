import type { VersionCondition } from '../azure/condition';

/** One member of an entity-tag list, up to the comma that ends it (RFC 9110 8.8.3: `[ W/ ] "opaque"`). */
const ENTITY_TAG = /[\s,]*(W\/)?"([^"]*)"\s*(?=,|$)/y;

/** The entity tags of a list header, or undefined when it is not one. */
function entityTags(value: string): { weak: boolean; opaque: string }[] | undefined {
  const tags: { weak: boolean; opaque: string }[] = [];
  ENTITY_TAG.lastIndex = 0;
  while (ENTITY_TAG.lastIndex < value.length) {
    const from = ENTITY_TAG.lastIndex;
    const tag = ENTITY_TAG.exec(value);
    // Empty list members are allowed (RFC 9110 5.6.1); anything else that is no entity tag is not.
    if (!tag) return /^[\s,]*$/.test(value.slice(from)) ? tags : undefined;
    tags.push({ weak: tag[1] !== undefined, opaque: tag[2] ?? '' });
  }
  return tags;
}

/**
 * `If-Match` (RFC 9110 13.1.1): undefined without the header, `'*'` for any current version, else the
 * opaque tags of the strong entity tags it lists, unquoted: the condition holds when one of them is
 * the current version. Weak tags never match a strong comparison, so they are left out; a header that
 * is no list of entity tags names no version (`[]`), and the condition fails.
 *
 * @example ifMatch(new Headers({ 'If-Match': '"abc:0", W/"abc:1", "abc:2"' })) // ['abc:0', 'abc:2']
 */
export function ifMatch(headers: { get(name: string): string | null }): VersionCondition | undefined {
  const value = headers.get('if-match');
  if (value === null) return undefined;
  if (value.trim() === '*') return '*';
  return (entityTags(value) ?? []).filter((tag) => !tag.weak).map((tag) => tag.opaque);
}

/** Whether `If-None-Match` already names this ETag (weak comparison, RFC 9110 13.1.2). */
export function matchesIfNoneMatch(headerValue: string | null, etag: string): boolean {
  if (!headerValue) return false;
  if (headerValue.trim() === '*') return true;
  const current = etag.replace(/^W\//, '').replace(/^"|"$/g, '');
  return (entityTags(headerValue) ?? []).some((tag) => tag.opaque === current);
}

/** Cosmos `_etag` values are already quoted; make sure any ETag we send is. */
export function quoteEtag(etag: string): string {
  return etag.startsWith('"') || etag.startsWith('W/"') ? etag : `"${etag}"`;
}
