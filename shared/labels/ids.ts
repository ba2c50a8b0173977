import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { sha256 } from '../hash';

/**
 * Identifiers of the label store.
 *
 * Images live in the `images` container partitioned by `/imagesetId`, so a route that only has an
 * image id must still find the partition: image ids are self-describing, `<imagesetId>~<hash>`, where
 * the hash is derived from the blob name. That also makes registration idempotent (the same blob
 * always gets the same id), which the resumable finalize job relies on.
 */
export const ImagesetId = z
  .string()
  .regex(/^[a-f0-9]{16}$/, 'an imageset id is 16 lowercase hex characters')
  .meta({ id: 'ImagesetId' });

export const CampaignId = z
  .string()
  .regex(/^[a-f0-9]{16}$/, 'a campaign id is 16 lowercase hex characters')
  .meta({ id: 'CampaignId' });

const IMAGE_ID = /^([a-f0-9]{16})~([a-f0-9]{20})$/;

export const ImageId = z
  .string()
  .regex(IMAGE_ID, 'an image id is `<imagesetId>~<20 hex characters>`')
  .meta({ id: 'ImageId', description: '`<imagesetId>~<hash of the blob name>`: the imageset is part of the id.' });

export function newId(): string {
  return randomBytes(8).toString('hex');
}

/** Each imageset has its own blob container, so an upload SAS can be scoped to exactly one imageset. */
export function imagesetContainer(imagesetId: string): string {
  return `imageset-${imagesetId}`;
}

/**
 * Where finalize copies each registered image: a container the imageset's upload token does not
 * reach. A container SAS cannot be revoked one by one (a user delegation SAS only with every key of
 * its delegation, an account-key SAS only with the key), so what is served after finalize must live
 * outside its scope: a token still in its lifetime can write the upload container, never this one.
 */
export function registeredImagesContainer(imagesetId: string): string {
  return `imageset-${imagesetId}-registered`;
}

export function imageIdFor(imagesetId: string, blobName: string): string {
  return `${imagesetId}~${sha256(blobName).slice(0, 20)}`;
}

/** The imageset an image id belongs to; undefined for a malformed id. */
export function imagesetOfImage(imageId: string): string | undefined {
  return IMAGE_ID.exec(imageId)?.[1];
}

export function shortHash(text: string, length = 16): string {
  return sha256(text).slice(0, length);
}
