/**
 * A caller's precondition on the stored version it writes over (`If-Match`, parsed at the HTTP
 * edge): `'*'` for any current version, or the opaque tags (without their quotes) of the strong
 * entity tags it would accept. An empty list names no version, and never holds.
 */
export type VersionCondition = '*' | readonly string[];

/** Whether `condition` holds for the stored version `etag` (undefined: nothing stored). Cosmos DB's ETags come quoted. */
export function conditionHolds(condition: VersionCondition, etag: string | undefined): boolean {
  if (etag === undefined) return false;
  return condition === '*' || condition.includes(etag.replace(/^"|"$/g, ''));
}

/**
 * Whether the caller named versions: then a write that loses a race to another answers 412, where
 * an unconditional write (or `*`, which the next version still satisfies) reads again and retries.
 */
export function pinsVersion(condition: VersionCondition | undefined): boolean {
  return condition !== undefined && condition !== '*';
}
