import { z } from 'zod';
import { pageQuery } from '../query/cursor';
import { ImagesetId } from './ids';

export const ImagesetStatus = z
  .enum(['open', 'finalizing', 'ready'])
  .meta({ id: 'ImagesetStatus', description: 'open (uploads allowed) → finalizing (images being registered) → ready.' });
export type ImagesetStatus = z.infer<typeof ImagesetStatus>;

const MAX_METADATA_BYTES = 16 * 1024;

/** Free-form JSON about the set (camera, location, licence…); at most 16 KB. */
export const ImagesetMetadata = z
  .record(z.string().min(1).max(100), z.json())
  .refine((value) => Buffer.byteLength(JSON.stringify(value)) <= MAX_METADATA_BYTES, {
    message: `metadata must be at most ${MAX_METADATA_BYTES} bytes of JSON`,
  })
  .meta({ id: 'ImagesetMetadata' });

const Title = z.string().trim().min(1).max(200);

export const SkippedBlob = z.object({ blobName: z.string(), reason: z.string() });
export type SkippedBlob = z.infer<typeof SkippedBlob>;

export const FinalizeReport = z
  .object({
    registered: z.number().int().min(0),
    skippedCount: z.number().int().min(0),
    skipped: z.array(SkippedBlob).describe('Blobs that are not images (the first 100), with the reason.'),
  })
  .meta({ id: 'FinalizeReport' });
export type FinalizeReport = z.infer<typeof FinalizeReport>;

export const FinalizeFailure = z
  .object({
    jobId: z.string(),
    code: z.string().describe('`failed`, `dead-lettered`, `stuck`, `canceled`, `not-found`…'),
    message: z.string(),
    failedAt: z.iso.datetime(),
  })
  .meta({
    id: 'FinalizeFailure',
    description: 'Why the last finalize did not finish. The imageset went back to `open`: upload, then finalize again.',
  });
export type FinalizeFailure = z.infer<typeof FinalizeFailure>;

/** The stored imageset (container `imagesets`, partition `/id`). */
export const ImagesetRecord = z.object({
  id: ImagesetId,
  docType: z.literal('imageset'),
  title: Title,
  metadata: z.record(z.string(), z.json()),
  status: ImagesetStatus,
  owner: z.string(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  finalizedAt: z.iso.datetime().nullable(),
  finalizeJobId: z.string().nullable(),
  imageCount: z.number().int().min(0).nullable(),
  totalBytes: z.number().int().min(0).nullable(),
  finalizeReport: FinalizeReport.nullable(),
  // Documents written before this field have none: null.
  finalizeFailure: FinalizeFailure.nullable().default(null),
});
export type ImagesetRecord = z.infer<typeof ImagesetRecord>;

export const Imageset = ImagesetRecord.omit({ docType: true })
  .extend({ container: z.string().describe('The blob container holding this imageset’s uploads.') })
  .meta({ id: 'Imageset' });
export type Imageset = z.infer<typeof Imageset>;

export const UploadToken = z
  .object({
    url: z.string().describe('Container SAS URL: put a blob at `<url path>/<blob name>?<query>`. Create and write only.'),
    container: z.string(),
    permissions: z.literal('cw'),
    expiresAt: z.iso.datetime(),
  })
  .meta({ id: 'UploadToken' });
export type UploadToken = z.infer<typeof UploadToken>;

export const CreatedImageset = Imageset.extend({ uploadToken: UploadToken }).meta({ id: 'CreatedImageset' });

export const CreateImagesetBody = z
  .strictObject({
    title: Title.describe('Unique (case-insensitive) among imagesets.'),
    metadata: ImagesetMetadata.default({}),
  })
  .meta({ id: 'CreateImagesetBody' });
export type CreateImagesetBody = z.infer<typeof CreateImagesetBody>;

export const PatchImagesetBody = z
  .strictObject({
    title: Title.optional(),
    metadata: ImagesetMetadata.optional().describe('Replaces the metadata object as a whole.'),
  })
  .refine((body) => body.title !== undefined || body.metadata !== undefined, { message: 'send title or metadata' })
  .meta({ id: 'PatchImagesetBody' });
export type PatchImagesetBody = z.infer<typeof PatchImagesetBody>;

export const ImagesetParams = z.strictObject({ imagesetId: ImagesetId });

export const ListImagesetsQuery = z.strictObject({
  ...pageQuery,
  status: ImagesetStatus.optional(),
  owner: z.string().min(1).max(200).optional(),
});
export type ListImagesetsQuery = z.infer<typeof ListImagesetsQuery>;

export const FinalizeAccepted = z
  .object({ jobId: z.string(), imageset: Imageset })
  .meta({ id: 'FinalizeAccepted', description: 'Poll `Location` (`/api/v1/jobs/{jobId}`) until the job ends.' });
