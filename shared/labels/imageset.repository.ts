import type { PatchOperation } from '@azure/cosmos';
import { container, cosmosStatus, patchIfExists, queryPage, replaceIfUnchanged } from '../azure/cosmos';
import { shortHash } from './ids';
import { ImagesetRecord } from './imageset.schema';

// Imagesets live in `imagesets` (partition `/id`): every image and label call checks its imageset
// with a 1 RU point read. A title is unique: a small guard document whose id is derived from the
// normalised title (`title~<hash>`) is created first, so two racing creates cannot both win.

export interface StoredImageset {
  record: ImagesetRecord;
  etag: string;
}

function titleGuardId(title: string): string {
  return `title~${shortHash(title.trim().toLowerCase(), 32)}`;
}

function stored(resource: unknown, etag: string | undefined): StoredImageset {
  return { record: ImagesetRecord.parse(resource), etag: etag ?? '' };
}

export async function readImageset(id: string): Promise<StoredImageset | undefined> {
  try {
    const { resource, etag } = await container('imagesets').item(id, id).read<ImagesetRecord>();
    return resource?.docType === 'imageset' ? stored(resource, etag) : undefined;
  } catch (error) {
    if (cosmosStatus(error) === 404) return undefined;
    throw error;
  }
}

/** Claims a title; false when another imageset holds it. */
export async function claimTitle(title: string, imagesetId: string): Promise<boolean> {
  const id = titleGuardId(title);
  try {
    await container('imagesets').items.create({ id, docType: 'imagesetTitle', imagesetId, title });
    return true;
  } catch (error) {
    if (cosmosStatus(error) === 409) return false;
    throw error;
  }
}

export async function releaseTitle(title: string): Promise<void> {
  const id = titleGuardId(title);
  try {
    await container('imagesets').item(id, id).delete();
  } catch (error) {
    if (cosmosStatus(error) !== 404) throw error;
  }
}

/** The imageset holding this title, if any. */
export async function imagesetIdByTitle(title: string): Promise<string | undefined> {
  const id = titleGuardId(title);
  try {
    const { resource } = await container('imagesets').item(id, id).read<{ imagesetId: string }>();
    return resource?.imagesetId;
  } catch (error) {
    if (cosmosStatus(error) === 404) return undefined;
    throw error;
  }
}

export async function insertImageset(record: ImagesetRecord): Promise<StoredImageset> {
  const { resource, etag } = await container('imagesets').items.create(record);
  return stored(resource, etag);
}

export async function deleteImageset(id: string): Promise<void> {
  try {
    await container('imagesets').item(id, id).delete();
  } catch (error) {
    if (cosmosStatus(error) !== 404) throw error;
  }
}

/** Replaces the imageset if its ETag still matches; undefined when it changed (or vanished) meanwhile. */
export async function replaceImagesetIfUnchanged(record: ImagesetRecord, etag: string): Promise<StoredImageset | undefined> {
  const written = await replaceIfUnchanged(container('imagesets'), record.id, record.id, record, etag);
  return written && stored(written.resource, written.etag);
}

export async function patchImageset(id: string, operations: PatchOperation[]): Promise<StoredImageset | undefined> {
  const written = await patchIfExists(container('imagesets'), id, id, operations);
  return written && stored(written.resource, written.etag);
}

export async function listImagesetRecords(
  filters: { status?: string; owner?: string },
  limit: number,
  continuation: string | undefined,
): Promise<{ items: ImagesetRecord[]; continuation: string | undefined }> {
  const conditions = ['c.docType = @docType'];
  const parameters: { name: string; value: string }[] = [{ name: '@docType', value: 'imageset' }];
  if (filters.status) {
    conditions.push('c.status = @status');
    parameters.push({ name: '@status', value: filters.status });
  }
  if (filters.owner) {
    conditions.push('c.owner = @owner');
    parameters.push({ name: '@owner', value: filters.owner });
  }
  const page = await queryPage<ImagesetRecord>(
    container('imagesets'),
    { query: `SELECT * FROM c WHERE ${conditions.join(' AND ')} ORDER BY c.createdAt DESC`, parameters },
    { limit, continuation, crossPartition: true },
  );
  return { items: page.items.map((resource) => ImagesetRecord.parse(resource)), continuation: page.continuation };
}
