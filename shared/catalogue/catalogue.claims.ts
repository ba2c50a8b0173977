import { cosmosStatus } from '../azure/cosmos';
import { type AppError, errors } from '../errors';
import { sha256 } from '../hash';
import type { Fields } from './catalogue.access';
import { singularOf } from './catalogue.access';
import {
  type ClaimDocument,
  deleteDocument,
  insertClaim,
  insertEntry,
  readClaim,
  readEntry,
  replaceClaim,
  replaceEntry,
  type StoredEntry,
  type Versioned,
} from './catalogue.repository';

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
 * Takes a unique key for an entry. The claim is written before the entry, so a crash in between
 * leaves at worst a claim whose entry does not exist or no longer holds the key: that claim is stale
 * and the next writer takes it over (guarded by its ETag). True when this call took the claim, false
 * when the entry held it already.
 */
async function acquire(type: string, key: string, entryId: string): Promise<boolean> {
  const claim: ClaimDocument = { id: claimId(type, key), type, docType: 'claim', entryId, key };
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      await insertClaim(claim);
      return true;
    } catch (error) {
      if (cosmosStatus(error) !== 409) throw error;
    }
    const existing = await readClaim(type, claim.id);
    if (!existing) continue;
    if (existing.doc.entryId === entryId) return false;
    const holder = await readEntry(type, existing.doc.entryId);
    if (holder && !holder.doc.deletedAt && uniqueKeys(holder.doc).includes(key)) throw conflictFor(key, holder.doc.id);
    try {
      await replaceClaim(claim, existing.etag);
      return true;
    } catch (error) {
      const status = cosmosStatus(error);
      if (status !== 412 && status !== 404) throw error;
    }
  }
  throw errors.unavailable('The unique key is contended; try again.', 1);
}

async function release(type: string, key: string, entryId: string): Promise<void> {
  const existing = await readClaim(type, claimId(type, key));
  if (existing?.doc.entryId === entryId) await deleteDocument(existing.doc.id);
}

export async function releaseQuietly(type: string, keys: string[], entryId: string): Promise<void> {
  // A claim left behind is stale and re-claimable, so a failure here loses nothing.
  await Promise.all(keys.map((key) => release(type, key, entryId).catch(() => undefined)));
}

export async function findByKey(type: string, key: string): Promise<Versioned<StoredEntry> | undefined> {
  const claim = await readClaim(type, claimId(type, key));
  if (!claim) return undefined;
  const entry = await readEntry(type, claim.doc.entryId);
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
    throw errors.invalidField('/body/platform', `is not a platform of the registry (GET /api/v1/catalogue/platforms)`);
  }
}

/** Store answers that are the caller's doing: a changed ETag, a document over Cosmos DB's 2 MB. */
export function storeError(error: unknown): unknown {
  const status = cosmosStatus(error);
  if (status === 412) return errors.preconditionFailed();
  if (status === 413) return errors.payloadTooLarge(2 * 1024 * 1024);
  return error;
}

/** Writes a new entry: claims first, then the entry; on failure the claims are released. */
export async function insertWithClaims(doc: StoredEntry, replaceDeleted: Versioned<StoredEntry> | undefined): Promise<Versioned<StoredEntry>> {
  // Only claims taken here are released on failure: one this entry id already held (a concurrent
  // writer of the same id) is not ours to drop.
  const taken: string[] = [];
  for (const key of uniqueKeys(doc)) if (await acquire(doc.type, key, doc.id)) taken.push(key);
  try {
    return replaceDeleted ? await replaceEntry(doc, replaceDeleted.etag) : await insertEntry(doc);
  } catch (error) {
    await releaseQuietly(doc.type, taken, doc.id);
    throw storeError(error);
  }
}

/** Replaces an entry: new keys are claimed before, keys it no longer holds released after. */
export async function replaceWithClaims(next: StoredEntry, current: Versioned<StoredEntry>): Promise<Versioned<StoredEntry>> {
  const before = uniqueKeys(current.doc);
  const after = uniqueKeys(next);
  const added = after.filter((key) => !before.includes(key));
  const removed = current.doc.deletedAt ? [] : before.filter((key) => !after.includes(key));
  const taken: string[] = [];
  for (const key of added) if (await acquire(next.type, key, next.id)) taken.push(key);
  let written: Versioned<StoredEntry>;
  try {
    // The version read (and checked against If-Match) is the one replaced: a change in between is a 412.
    written = await replaceEntry(next, current.etag);
  } catch (error) {
    await releaseQuietly(next.type, taken, next.id);
    if (cosmosStatus(error) === 404) throw errors.notFound(singularOf(next.type), next.id);
    throw storeError(error);
  }
  await releaseQuietly(next.type, removed, next.id);
  return written;
}

