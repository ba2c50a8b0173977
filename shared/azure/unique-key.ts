import type { ContainerName } from './containers';
import { RETRY, retryOnConflict, store } from './store';

// Cosmos DB enforces unique ids only (unique-key policies are per partition and fixed at creation),
// so a value that must be unique across documents — a platform identifier, an imageset title — is
// held by a small guard document whose id is derived from the value: a second holder gets 409. The
// guard is written before the document that holds the value, so a crash in between leaves a guard
// whose owner does not exist or no longer holds the value. Such a guard is stale: the next claimant
// takes it over, guarded by its ETag, so no value is ever locked out by a crash. A guard younger than
// a grace period may be a write still under way, so callers count it as held (`claimedRecently`).

/** A guard document: its id is derived from the unique value, `owner` names the holder. */
export interface UniqueKeyGuard {
  container: ContainerName;
  /** Derived from the value (hash it when the value may hold characters Cosmos ids refuse). */
  id: string;
  partitionKey: string;
  /** The field of the guard document that names its holder (kept per container for stored data). */
  ownerField: string;
  /** Other fields the guard document carries (its partition key field, the value for humans …). */
  fields: Record<string, unknown>;
}

/** `taken`: this call took the value; `ours`: the owner held it already; `held`: someone else does. */
export type Claim = { status: 'taken' } | { status: 'ours' } | { status: 'held'; owner: string };

type GuardDoc = Record<string, unknown> & { id: string };

const guards = (name: ContainerName, partitionKey: string) =>
  store<GuardDoc>(
    name,
    (raw) => raw as GuardDoc,
    () => partitionKey,
  );

/**
 * Takes the unique value for `owner`. `stillHolds(existingOwner, guard)` says whether the current
 * holder is live and still has the value (`guard` is the stored guard document, for fields such as
 * when it was claimed); when it is not, the stale guard is taken over.
 *
 * @example const claim = await claimUniqueKey(titleGuard(title), imagesetId, (other) => holdsTitle(other, title));
 */
export async function claimUniqueKey(
  guard: UniqueKeyGuard,
  owner: string,
  stillHolds: (existingOwner: string, guard: Readonly<Record<string, unknown>>) => Promise<boolean>,
): Promise<Claim> {
  const documents = guards(guard.container, guard.partitionKey);
  const doc: GuardDoc = { ...guard.fields, id: guard.id, [guard.ownerField]: owner };
  return retryOnConflict<Claim>(async () => {
    if (await documents.create(doc)) return { status: 'taken' };
    const existing = await documents.read(guard.id, guard.partitionKey);
    if (!existing) return RETRY;
    const holder = String(existing.doc[guard.ownerField]);
    if (holder === owner) return { status: 'ours' };
    if (await stillHolds(holder, existing.doc)) return { status: 'held', owner: holder };
    return (await documents.replaceIfUnchanged(doc, existing.etag)) ? { status: 'taken' } : RETRY;
  }, 'This unique value');
}

/**
 * How long a guard counts as a write under way: the guard is written before its owner holds the value
 * (that write may take a while), so a young guard holds even when its owner does not have the value
 * yet. Older guards whose owner lacks the value were left by a crash and are taken over.
 */
const CLAIM_GRACE_MS = 5 * 60_000;

/** The field a guard carries for `claimedRecently`: put it in `UniqueKeyGuard.fields`. */
export function claimedNow(): { claimedAt: string } {
  return { claimedAt: new Date().toISOString() };
}

/** Whether the stored guard was claimed within the grace period; guards without `claimedAt` (older data) count as old. */
export function claimedRecently(guard: Readonly<Record<string, unknown>>): boolean {
  const claimedAt = typeof guard.claimedAt === 'string' ? Date.parse(guard.claimedAt) : Number.NaN;
  return Date.now() - claimedAt < CLAIM_GRACE_MS;
}

/** The owner named by the guard, if there is a guard (it may be stale: check the owner). */
export async function uniqueKeyOwner(guard: UniqueKeyGuard): Promise<string | undefined> {
  const existing = await guards(guard.container, guard.partitionKey).read(guard.id, guard.partitionKey);
  return existing ? String(existing.doc[guard.ownerField]) : undefined;
}

/** Gives the value up, only if `owner` still holds it (a newer holder keeps it). */
export async function releaseUniqueKey(guard: UniqueKeyGuard, owner: string): Promise<void> {
  const documents = guards(guard.container, guard.partitionKey);
  const existing = await documents.read(guard.id, guard.partitionKey);
  if (existing && existing.doc[guard.ownerField] === owner) await documents.remove(guard.id, guard.partitionKey, existing.etag);
}
