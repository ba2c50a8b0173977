import { sasSigner } from '../azure/sas';
import type { Principal } from '../auth/auth.schema';
import { config } from '../config';
import { errors } from '../errors';
import { decodeCursor, type Page } from '../query/cursor';
import { assertCanReadAll } from './access';
import { imagesetOfImage, registeredImagesContainer } from './ids';
import { listImageRecords, readImage } from './image.repository';
import { Image, type ImageRecord } from './image.schema';
import { getImagesetRecord } from './imageset.service';

/**
 * The public view of an image: its record plus a short-lived read-only SAS URL (IMAGE_READ_TOKEN_TTL)
 * of the copy finalize made, which no upload token reaches: the bytes served are the bytes registered.
 */
export async function toImageView(record: ImageRecord): Promise<Image> {
  const { url, expiresOn } = await sasSigner().readUrl(
    registeredImagesContainer(record.imagesetId),
    record.blobName,
    config().sas.readTokenTtlSeconds,
  );
  // Image is a non-strict object: parsing drops the storage-only docType.
  return Image.parse({ ...record, url, urlExpiresAt: expiresOn.toISOString() });
}

/** An image by id, or 404; the imageset is part of the id, so a mismatched pair is 404 too. */
export async function findImageOr404(imageId: string, imagesetId = imagesetOfImage(imageId)): Promise<ImageRecord> {
  if (!imagesetId || imagesetOfImage(imageId) !== imagesetId) throw errors.notFound('image', imageId);
  const record = await readImage(imagesetId, imageId);
  if (!record) throw errors.notFound('image', imageId);
  return record;
}

export async function listImages(
  principal: Principal,
  imagesetId: string,
  limit: number,
  cursor: string | undefined,
): Promise<Page<Image>> {
  assertCanReadAll(principal);
  await getImagesetRecord(imagesetId);
  const page = await listImageRecords(imagesetId, limit, decodeCursor(cursor, { imagesetId }));
  return { items: await Promise.all(page.items.map(toImageView)), continuation: page.continuation, cursorScope: { imagesetId } };
}

export async function getImage(principal: Principal, imagesetId: string, imageId: string): Promise<Image> {
  assertCanReadAll(principal);
  return toImageView(await findImageOr404(imageId, imagesetId));
}

/** Where the image's bytes are: a read SAS URL (the route answers 303 to it). */
export async function imageContentUrl(principal: Principal, imagesetId: string, imageId: string): Promise<string> {
  return (await getImage(principal, imagesetId, imageId)).url;
}
