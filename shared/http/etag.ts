/** `If-Match` as Cosmos wants it: one ETag, or undefined when the caller sent none or `*`. */
export function ifMatch(headers: { get(name: string): string | null }): string | undefined {
  const value = headers.get('if-match')?.trim();
  if (!value || value === '*') return undefined;
  return value;
}

/**
 * `If-Match` for a resource whose ETag quotes a version the service makes (`quoteEtag(version)`):
 * undefined without the header, `'*'` for any current version, else the version of the one strong
 * ETag it is, unquoted. A weak tag, a list or text that is no ETag names no version (`[]`): the
 * condition fails, as a strong comparison of the whole header with the ETag did.
 *
 * @example ifMatchVersions(new Headers({ 'If-Match': '"abc:0"' })) // ['abc:0']
 */
export function ifMatchVersions(headers: { get(name: string): string | null }): '*' | string[] | undefined {
  const value = headers.get('if-match');
  if (value === null) return undefined;
  if (value === '*') return '*';
  const strong = /^"([^"]*)"$/.exec(value);
  return strong?.[1] === undefined ? [] : [strong[1]];
}

/** Whether `If-None-Match` already names this ETag (weak comparison, RFC 9110 13.1.2). */
export function matchesIfNoneMatch(headerValue: string | null, etag: string): boolean {
  if (!headerValue) return false;
  if (headerValue.trim() === '*') return true;
  const strip = (tag: string) => tag.trim().replace(/^W\//, '');
  return headerValue.split(',').some((tag) => strip(tag) === strip(etag));
}

/** Cosmos `_etag` values are already quoted; make sure any ETag we send is. */
export function quoteEtag(etag: string): string {
  return etag.startsWith('"') || etag.startsWith('W/"') ? etag : `"${etag}"`;
}
