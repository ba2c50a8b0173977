import { cosmosStatus } from '../azure/cosmos';
import type { Versioned } from '../azure/store';
import { claimedNow, claimedRecently, claimUniqueKey, releaseUniqueKey, type UniqueKeyGuard, uniqueKeyOwner } from '../azure/unique-key';
import { type AppError, errors } from '../errors';
import { sha256 } from '../hash';
import type { Fields } from './catalogue.access';
import { type ClaimDocument, insertEntry, readEntry, replaceEntry, type StoredEntry } from './catalogue.repository';

// Unique keys (a platform identifier, a platform's name) are claim documents written before the entry.

/** The unique keys an entry holds: its platform identifier, and a platform's name in the registry. */
export function uniqueKeys(doc: Fields & { type: string }): string[] {
  const keys: string[] = [];
  if (typeof doc.platform === 'string' && typeof doc.platformResourceIdentifier === 'string') {
    keys.push(platformKey(doc.platform, doc.platformResourceIdentifier));
  }
  if (doc.type === 'platforms' && typeof doc.name === 'string') keys.push(platformNameKey(doc.name));
  return keys;
}

export const platformKey = (platform: string, identifier: string) => `platform:${platform}:${identifier}`;
export const platformNameKey = (name: string) => `platformName:${name}`;

/**
 * Claim ids are derived from the type and the key (hashed: identifiers may hold `/`, which Cosmos ids
 * may not). The type is part of it because ids are unique across the container (partitioned by id):
 * a model and a dataset may have the same identifier on one platform.
 */
function claimId(type: string, key: string): string {
  return `claim-${sha256(`${type}\n${key}`, 'base64url')}`;
}

export function conflictFor(key: string, existingId: string): AppError {
  if (key.startsWith('platformName:')) {
    return errors.conflict(`A platform named '${key.slice('platformName:'.length)}' exists: ${existingId}.`, { existingId });
  }
  return errors.conflict(`An entry with this platform and platformResourceIdentifier exists: ${existingId}.`, { existingId });
}

/**
 * The claim document of a key, as stored since before the shared helper (existing data folders keep
 * working), plus when it was claimed: claims stored without it count as old.
 */
function claimGuard(type: string, key: string): UniqueKeyGuard {
  const id = claimId(type, key);
  const fields: Omit<ClaimDocument, 'id' | 'entryId'> & { claimedAt: string } = { type, docType: 'claim', key, ...claimedNow() };
  return { container: 'catalogue', id, partitionKey: id, ownerField: 'entryId', fields };
}

/** Whether the entry is live and still holds the key: a claim naming anything else is stale. */
async function holdsKey(type: string, key: string, entryId: string): Promise<boolean> {
  const holder = await readEntry(type, entryId);
  return holder !== undefined && !holder.doc.deletedAt && uniqueKeys(holder.doc).includes(key);
}

/**
 * Takes a unique key for an entry: true when this call took it, false when the entry held it already.
 * A young claim holds although its entry is not there yet (its writer is writing it); the 409 then
 * names the entry that writer is about to write.
 */
async function acquire(type: string, key: string, entryId: string): Promise<boolean> {
  const holds = async (holder: string, claim: Readonly<Record<string, unknown>>) => claimedRecently(claim) || holdsKey(type, key, holder);
  const claim = await claimUniqueKey(claimGuard(type, key), entryId, holds);
  if (claim.status === 'held') throw conflictFor(key, claim.owner);
  return claim.status === 'taken';
}

export async function releaseQuietly(type: string, keys: string[], entryId: string): Promise<void> {
  // A claim left behind is stale and re-claimable, so a failure here loses nothing.
  await Promise.all(keys.map((key) => releaseUniqueKey(claimGuard(type, key), entryId).catch(() => undefined)));
}

export async function findByKey(type: string, key: string): Promise<Versioned<StoredEntry> | undefined> {
  const entryId = await uniqueKeyOwner(claimGuard(type, key));
  if (!entryId) return undefined;
  const entry = await readEntry(type, entryId);
  if (!entry || entry.doc.deletedAt || !uniqueKeys(entry.doc).includes(key)) return undefined;
  return entry;
}

/** The live registry entry of a platform, if there is one. */
export async function registeredPlatform(name: string): Promise<Versioned<StoredEntry> | undefined> {
  return findByKey('platforms', platformNameKey(name));
}

export async function assertPlatformRegistered(platform: unknown, before: unknown): Promise<void> {
  if (typeof platform !== 'string' || platform === before) return;
  if (!(await registeredPlatform(platform))) {
    throw errors.invalidInput('/platform', `is not a platform of the registry (GET /api/v1/catalogue/platforms)`);
  }
}

/** A store answer that is the caller's doing: a document over Cosmos DB's 2 MB. */
export function storeError(error: unknown): unknown {
  return cosmosStatus(error) === 413 ? errors.payloadTooLarge(2 * 1024 * 1024) : error;
}

/**
 * Writes a new entry: claims first, then the entry; undefined when the id was created (or the deleted
 * entry replaced) by someone else in between. Claims taken here are released when the write fails.
 */
export async function insertWithClaims(doc: StoredEntry, replaceDeleted: Versioned<StoredEntry> | undefined): Promise<Versioned<StoredEntry> | undefined> {
  // Only claims taken here are released on failure: one this entry id already held (a concurrent
  // writer of the same id) is not ours to drop.
  const taken: string[] = [];
  for (const key of uniqueKeys(doc)) if (await acquire(doc.type, key, doc.id)) taken.push(key);
  let written: Versioned<StoredEntry> | undefined;
  try {
    written = replaceDeleted ? await replaceEntry(doc, replaceDeleted.etag) : await insertEntry(doc);
  } catch (error) {
    await releaseQuietly(doc.type, taken, doc.id);
    throw storeError(error);
  }
  if (!written) await releaseQuietly(doc.type, taken, doc.id);
  return written;
}

/**
 * Replaces an entry: new keys are claimed before, keys it no longer holds released after. Undefined
 * when the entry changed (or went) since `current` was read.
 */
export async function replaceWithClaims(next: StoredEntry, current: Versioned<StoredEntry>): Promise<Versioned<StoredEntry> | undefined> {
  const before = uniqueKeys(current.doc);
  const after = uniqueKeys(next);
  const added = after.filter((key) => !before.includes(key));
  const removed = current.doc.deletedAt ? [] : before.filter((key) => !after.includes(key));
  const taken: string[] = [];
  for (const key of added) if (await acquire(next.type, key, next.id)) taken.push(key);
  let written: Versioned<StoredEntry> | undefined;
  try {
    // The version read (and checked against If-Match) is the one replaced.
    written = await replaceEntry(next, current.etag);
  } catch (error) {
    await releaseQuietly(next.type, taken, next.id);
    throw storeError(error);
  }
  await releaseQuietly(next.type, written ? removed : taken, next.id);
  return written;
}
