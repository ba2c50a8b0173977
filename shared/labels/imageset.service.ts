import { blobServiceClient } from '../azure/blob';
import type { VersionCondition } from '../azure/condition';
import { sasSigner } from '../azure/sas';
import type { Principal } from '../auth/auth.schema';
import { config } from '../config';
import { AppError, errors } from '../errors';
import type { Versioned } from '../azure/store';
import { decodeCursor, type Page } from '../query/cursor';
import { findJob, getJobFor, isTerminal, submitJob } from '../jobs/job.service';
import { assertCanManage, assertCanReadAll, assertIfMatch } from './access';
import { imagesetContainer, newId, registeredImagesContainer } from './ids';
import {
  claimTitle,
  deleteImageset,
  imagesetIdByTitle,
  insertImageset,
  listImagesetRecords,
  patchImageset,
  readImageset,
  releaseTitle,
  replaceImagesetIfUnchanged,
} from './imageset.repository';
import {
  type CreateImagesetBody,
  Imageset,
  type ImagesetRecord,
  type ListImagesetsQuery,
  type PatchImagesetBody,
  type UploadToken,
} from './imageset.schema';

export const FINALIZE_JOB_KIND = 'imageset.finalize';

export function toImagesetView(record: ImagesetRecord): Imageset {
  return Imageset.parse({ ...record, container: imagesetContainer(record.id) });
}

export async function findImageset(id: string): Promise<Versioned<ImagesetRecord>> {
  const found = await readImageset(id);
  if (!found) throw errors.notFound('imageset', id);
  return found;
}

/**
 * A finalize that ends without `ready` — canceled, failed for good, or failing on its last delivery —
 * gives the imageset back to its owner: `open` again with the reason, so uploads can go on and a new
 * finalize can start; the images it registered stay registered and the next finalize does the rest.
 * Only if the imageset is still finalizing under this job (a newer finalize owns it otherwise).
 */
export async function reopenAfterFailedFinalize(imagesetId: string, jobId: string, failure: { code: string; message: string }): Promise<boolean> {
  const stored = await readImageset(imagesetId);
  if (!stored || stored.doc.status !== 'finalizing' || stored.doc.finalizeJobId !== jobId) return false;
  const now = new Date().toISOString();
  const finalizeFailure = { jobId, code: failure.code, message: failure.message.slice(0, 500), failedAt: now };
  return (await replaceImagesetIfUnchanged({ ...stored.doc, status: 'open', updatedAt: now, finalizeFailure }, stored.etag)) !== undefined;
}

/**
 * An imageset still `finalizing` under a job that ended without success — dead-lettered, reaped as
 * stuck, canceled before it started, or a job whose own reopen failed — is reopened here, on the next
 * read or request, with the job's reason: no imageset stays `finalizing` with no way out.
 */
async function settleEndedFinalize(current: Versioned<ImagesetRecord>): Promise<Versioned<ImagesetRecord>> {
  const { doc: record } = current;
  if (record.status !== 'finalizing' || !record.finalizeJobId) return current;
  const job = await findJob(record.finalizeJobId);
  if (job && (!isTerminal(job.status) || job.status === 'succeeded')) return current;
  const failure = job?.error ?? { code: 'gone', message: 'The finalize job no longer exists.' };
  if (!(await reopenAfterFailedFinalize(record.id, record.finalizeJobId, failure))) return current;
  return findImageset(record.id);
}

/** The imageset record or 404 (other areas of the label store use this, never the repository). */
export async function getImagesetRecord(id: string): Promise<ImagesetRecord> {
  return (await findImageset(id)).doc;
}

/** The imageset holding this title (case-insensitive), if any. */
export async function findImagesetByTitle(title: string): Promise<ImagesetRecord | undefined> {
  const id = await imagesetIdByTitle(title);
  return id ? (await readImageset(id))?.doc : undefined;
}

async function issueUploadToken(imagesetId: string): Promise<UploadToken> {
  const containerName = imagesetContainer(imagesetId);
  const { url, expiresOn } = await sasSigner().uploadUrl(containerName, config().sas.uploadTokenTtlSeconds);
  return { url, container: containerName, permissions: 'cw', expiresAt: expiresOn.toISOString() };
}

/**
 * Creates the imageset, its blob container and its first upload token. The steps run in an order
 * that can be undone: title claim → container → document → token; a failure undoes the earlier
 * steps, so a failed create leaves neither a stray title nor an orphan container.
 */
export async function createImageset(
  principal: Principal,
  body: CreateImagesetBody,
): Promise<{ imageset: Imageset; uploadToken: UploadToken; etag: string }> {
  return createImagesetOwnedBy(principal.id, body);
}

/**
 * Opens an imageset on behalf of no caller (the local stack's sample data): `owner` is the
 * principal id it is recorded under.
 */
export async function createImagesetOwnedBy(
  owner: string,
  body: CreateImagesetBody,
): Promise<{ imageset: Imageset; uploadToken: UploadToken; etag: string }> {
  const id = newId();
  if ((await claimTitle(body.title, id)).status === 'held') {
    throw errors.conflict(`An imageset titled '${body.title}' already exists.`);
  }
  // Uploads go to one container; finalize copies the registered images into the other, out of the
  // upload token's reach.
  const containers = [imagesetContainer(id), registeredImagesContainer(id)].map((name) => blobServiceClient().getContainerClient(name));
  let containersCreated = 0;
  try {
    for (const containerClient of containers) {
      await containerClient.create();
      containersCreated++;
    }
    const now = new Date().toISOString();
    const stored = await insertImageset({
      id,
      docType: 'imageset',
      title: body.title,
      metadata: body.metadata,
      status: 'open',
      owner,
      createdAt: now,
      updatedAt: now,
      finalizedAt: null,
      finalizeJobId: null,
      imageCount: null,
      totalBytes: null,
      finalizeReport: null,
      finalizeFailure: null,
    });
    // A fresh random id: nobody else can have created it.
    if (!stored) throw new Error('a new imageset id exists already');
    try {
      return { imageset: toImagesetView(stored.doc), uploadToken: await issueUploadToken(id), etag: stored.etag };
    } catch (error) {
      await deleteImageset(id);
      throw error;
    }
  } catch (error) {
    for (const containerClient of containers.slice(0, containersCreated)) await containerClient.deleteIfExists().catch(() => undefined);
    await releaseTitle(body.title, id).catch(() => undefined);
    throw error;
  }
}

export async function listImagesets(
  principal: Principal,
  query: ListImagesetsQuery,
): Promise<Page<Imageset>> {
  assertCanReadAll(principal);
  const { limit, cursor, ...filters } = query;
  const page = await listImagesetRecords(filters, limit, decodeCursor(cursor, filters));
  return { items: page.items.map(toImagesetView), continuation: page.continuation, cursorScope: filters };
}

export async function getImageset(principal: Principal, id: string): Promise<{ imageset: Imageset; etag: string }> {
  assertCanReadAll(principal);
  const { doc: record, etag } = await settleEndedFinalize(await findImageset(id));
  return { imageset: toImagesetView(record), etag };
}

/** Title and/or metadata; honours If-Match. A new title is claimed before the old one is released. */
export async function patchImagesetFields(
  principal: Principal,
  id: string,
  body: PatchImagesetBody,
  ifMatch: VersionCondition | undefined,
): Promise<{ imageset: Imageset; etag: string }> {
  const current = await findImageset(id);
  assertCanManage(principal, current.doc, 'imageset');
  assertIfMatch(ifMatch, current.etag);
  const titleChanges = body.title !== undefined && body.title.toLowerCase() !== current.doc.title.toLowerCase();
  const claim = titleChanges && body.title ? await claimTitle(body.title, id) : undefined;
  if (claim?.status === 'held') {
    throw errors.conflict(`An imageset titled '${body.title}' already exists.`);
  }
  const next: ImagesetRecord = {
    ...current.doc,
    title: body.title ?? current.doc.title,
    metadata: body.metadata ?? current.doc.metadata,
    updatedAt: new Date().toISOString(),
  };
  const replaced = await replaceImagesetIfUnchanged(next, current.etag);
  if (!replaced) {
    if (claim?.status === 'taken' && body.title) await releaseTitle(body.title, id);
    throw errors.preconditionFailed('The imageset changed while it was being updated; read it again and retry.');
  }
  if (titleChanges) await releaseTitle(current.doc.title, id);
  return { imageset: toImagesetView(replaced.doc), etag: replaced.etag };
}

/** A fresh upload token, only while the imageset is open: after finalising there are no more uploads. */
export async function newUploadToken(principal: Principal, id: string): Promise<UploadToken> {
  const found = await findImageset(id);
  assertCanManage(principal, found.doc, 'imageset');
  const { doc: record } = await settleEndedFinalize(found);
  if (record.status !== 'open') {
    throw errors.conflict(`The imageset is '${record.status}'; upload tokens are only issued while it is 'open'.`, {
      status: record.status,
    });
  }
  return issueUploadToken(id);
}

/** The job's status; undefined when this caller may not see it (then it is left alone). */
async function jobStatus(jobId: string, principal: Principal) {
  try {
    return (await getJobFor(principal, jobId)).doc.status;
  } catch (error) {
    if (error instanceof AppError && error.status === 404) return undefined;
    throw error;
  }
}

/**
 * open → finalizing, then a `imageset.finalize` job registers the blobs and moves it to ready.
 * Asking again while it finalizes returns the running job; if that job failed, a new one starts.
 */
export async function finalizeImageset(principal: Principal, id: string): Promise<{ jobId: string; imageset: Imageset }> {
  const found = await findImageset(id);
  assertCanManage(principal, found.doc, 'imageset');
  const current = await settleEndedFinalize(found);
  const { doc: record } = current;
  if (record.status === 'ready') {
    throw errors.conflict("The imageset is already 'ready'.", { status: record.status });
  }
  if (record.status === 'finalizing' && record.finalizeJobId) {
    const status = await jobStatus(record.finalizeJobId, principal);
    if (status === undefined || !isTerminal(status) || status === 'succeeded') {
      return { jobId: record.finalizeJobId, imageset: toImagesetView(record) };
    }
  }
  let moved: Versioned<ImagesetRecord> | undefined = current;
  if (record.status === 'open') {
    moved = await replaceImagesetIfUnchanged(
      { ...record, status: 'finalizing', updatedAt: new Date().toISOString() },
      current.etag,
    );
    if (!moved) throw errors.conflict('The imageset changed meanwhile (another finalize?); read it again.');
  }
  let jobId: string;
  try {
    jobId = (await submitJob({ kind: FINALIZE_JOB_KIND, owner: principal.id, input: { imagesetId: id }, labels: { imagesetId: id } })).id;
  } catch (error) {
    // No job: the imageset goes back to open, as if nothing had happened.
    if (record.status === 'open') {
      await patchImageset(id, [
        { op: 'set', path: '/status', value: 'open' },
        { op: 'set', path: '/updatedAt', value: new Date().toISOString() },
      ]);
    }
    throw error;
  }
  const updated = await patchImageset(id, [{ op: 'set', path: '/finalizeJobId', value: jobId }]);
  return { jobId, imageset: toImagesetView((updated ?? moved).doc) };
}
