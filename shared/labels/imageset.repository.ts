import type { PatchOperation } from '@azure/cosmos';
import { newestFirst, whereEqual } from '../azure/cosmos';
import { store, type Versioned } from '../azure/store';
import { type Claim, claimedNow, claimedRecently, claimUniqueKey, releaseUniqueKey, type UniqueKeyGuard, uniqueKeyOwner } from '../azure/unique-key';
import { shortHash } from './ids';
import { ImagesetRecord } from './imageset.schema';

// Imagesets live in `imagesets` (partition `/id`): every image and label call checks its imageset
// with a 1 RU point read. A title is unique: a small guard document whose id is derived from the
// normalised title (`title~<hash>`) is created first (claimUniqueKey), so two racing creates cannot
// both win, and a guard a crash left behind is taken over by the next imageset with the title.

function titleGuard(title: string): UniqueKeyGuard {
  const id = `title~${shortHash(title.trim().toLowerCase(), 32)}`;
  const fields = { docType: 'imagesetTitle', title, ...claimedNow() };
  return { container: 'imagesets', id, partitionKey: id, ownerField: 'imagesetId', fields };
}

// Title guards share the container; their ids (`title~…`) are never an imageset id (16 hex).
const imagesets = store<ImagesetRecord>('imagesets', (raw) => ImagesetRecord.parse(raw), (doc) => doc.id);

export async function readImageset(id: string): Promise<Versioned<ImagesetRecord> | undefined> {
  return imagesets.read(id, id);
}

/** Whether the imageset exists and has this title: a guard naming anything else is stale. */
async function holdsTitle(imagesetId: string, title: string): Promise<boolean> {
  const found = await readImageset(imagesetId);
  return found !== undefined && titleGuard(found.doc.title).id === titleGuard(title).id;
}

/**
 * Claims a title for the imageset (case-insensitive); `held` when another imageset has it or is taking
 * it: a young guard holds although its imageset does not have the title yet (a create makes two blob
 * containers first).
 */
export async function claimTitle(title: string, imagesetId: string): Promise<Claim> {
  return claimUniqueKey(titleGuard(title), imagesetId, async (holder, guard) => claimedRecently(guard) || holdsTitle(holder, title));
}

/** Gives the title up, if this imageset still holds it. */
export async function releaseTitle(title: string, imagesetId: string): Promise<void> {
  await releaseUniqueKey(titleGuard(title), imagesetId);
}

/** The imageset holding this title, if any. */
export async function imagesetIdByTitle(title: string): Promise<string | undefined> {
  const holder = await uniqueKeyOwner(titleGuard(title));
  return holder !== undefined && (await holdsTitle(holder, title)) ? holder : undefined;
}

/** Creates the imageset; undefined when its id exists. */
export async function insertImageset(record: ImagesetRecord): Promise<Versioned<ImagesetRecord> | undefined> {
  return imagesets.create(record);
}

export async function deleteImageset(id: string): Promise<void> {
  await imagesets.remove(id, id);
}

/** Replaces the imageset if its ETag still matches; undefined when it changed (or vanished) meanwhile. */
export async function replaceImagesetIfUnchanged(record: ImagesetRecord, etag: string): Promise<Versioned<ImagesetRecord> | undefined> {
  return imagesets.replaceIfUnchanged(record, etag);
}

/** Patches the imageset; undefined when it does not exist. */
export async function patchImageset(id: string, operations: PatchOperation[]): Promise<Versioned<ImagesetRecord> | undefined> {
  return imagesets.patch(id, id, operations);
}

export async function listImagesetRecords(
  filters: { status?: string; owner?: string },
  limit: number,
  continuation: string | undefined,
): Promise<{ items: ImagesetRecord[]; continuation: string | undefined }> {
  const where = whereEqual({ docType: 'imageset', status: filters.status, owner: filters.owner });
  return newestFirst('imagesets', where, { limit, continuation }, (raw) => ImagesetRecord.parse(raw));
}
