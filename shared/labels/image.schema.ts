import { z } from 'zod';
import { pageQuery } from '../query/cursor';
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
  width: z.number().int().min(1).describe('The width viewers show (EXIF orientation applied); labels are in this frame.'),
  height: z.number().int().min(1).describe('The height viewers show (EXIF orientation applied).'),
  channels: z.number().int().min(1).max(4).optional(),
  orientation: z.number().int().min(1).max(8).optional().describe('A JPEG’s EXIF Orientation, when it has one.'),
  rawWidth: z.number().int().min(1).optional().describe('The stored pixel width, when orientation 5–8 turns the image (then width = rawHeight).'),
  rawHeight: z.number().int().min(1).optional().describe('The stored pixel height, when orientation 5–8 turns the image.'),
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
