/**
 * Canonical JSON: object keys sorted (by UTF-16 code units), members whose value is `undefined`
 * left out, no whitespace — so equal values always give the same text, whatever the key order.
 * Hashes of it are persisted (inference cache keys, connector content hashes) and compared (cursor
 * scopes, list ETags), so its output must never change: `test/unit/pinned-digests.test.ts` pins it.
 * Objects are walked by their own enumerable keys; `toJSON` is not called (a Date is `{}`).
 *
 * @example canonicalJson({ b: 1, a: [true, undefined] }) // '{"a":[true,null],"b":1}'
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, inner]) => inner !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, inner]) => `${JSON.stringify(key)}:${canonicalJson(inner)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
