/**
 * JSON Pointers (RFC 6901) for field errors: `~` is written `~0` and `/` is written `~1`, so a key
 * holding a slash stays one segment.
 *
 * @example jsonPointer(['body', 'labels', 0, 'a/b']) // '/body/labels/0/a~1b'
 */
export function jsonPointer(path: readonly PropertyKey[]): string {
  return path.map((part) => `/${escapePointerPart(String(part))}`).join('');
}

/** @example escapePointerPart('a/b~c') // 'a~1b~0c' */
export function escapePointerPart(part: string): string {
  return part.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** The inverse of `escapePointerPart` (`~1` first, so `~01` reads as `~1`). */
export function unescapePointerPart(part: string): string {
  return part.replace(/~1/g, '/').replace(/~0/g, '~');
}
