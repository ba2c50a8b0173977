import { z } from 'zod';
import { pageQuery } from '../http/pagination';
import { ImageId, ImagesetId } from './ids';

/** The stored image (container `images`, partition `/imagesetId`). */
export const ImageRecord = z.object({
  id: ImageId,
  docType: z.literal('image'),
  imagesetId: ImagesetId,
  blobName: z.string(),
  size: z.number().int().min(0),
  contentType: z.string(),
  md5: z.string().describe('Base64 MD5 of the blob’s content.'),
  format: z.enum(['png', 'jpeg', 'gif', 'webp', 'bmp']),
  width: z.number().int().min(1),
  height: z.number().int().min(1),
  channels: z.number().int().min(1).max(4).optional(),
  registeredAt: z.iso.datetime(),
});
export type ImageRecord = z.infer<typeof ImageRecord>;

export const Image = ImageRecord.omit({ docType: true })
  .extend({
    url: z.string().describe('Read-only SAS URL of the image, valid until `urlExpiresAt`.'),
    urlExpiresAt: z.iso.datetime(),
  })
  .meta({ id: 'Image' });
export type Image = z.infer<typeof Image>;

export const ImageParams = z.strictObject({ imagesetId: ImagesetId, imageId: ImageId });
export const ImageListQuery = z.strictObject({ ...pageQuery });
