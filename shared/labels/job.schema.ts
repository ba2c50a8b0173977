import { z } from 'zod';
import { ExportFormat } from './campaign.schema';
import { CampaignId, ImagesetId } from './ids';
import { ImportFormat } from './import.schema';

/** The payloads of the labels area's jobs, registered by kind in shared/jobs/job.kinds.ts. */

/** `imageset.finalize`. */
export const FinalizeInput = z.object({
  imagesetId: ImagesetId,
  /** Blobs listed per page (and per checkpointed continuation marker). */
  pageSize: z.number().int().min(1).max(5000).default(100),
});
export type FinalizeInput = z.infer<typeof FinalizeInput>;

/** `labels.export`. */
export const ExportInput = z.object({ campaignId: CampaignId, formats: z.array(ExportFormat).min(1), imageUrls: z.boolean().default(false) });
export type ExportInput = z.infer<typeof ExportInput>;

/** `labels.import`: the file waits in the `imports` container under `blobName`. */
export const ImportInput = z.object({
  campaignId: CampaignId,
  format: ImportFormat,
  blobName: z.string().min(1),
  addCategories: z.boolean(),
  author: z.string().min(1),
});
export type ImportInput = z.infer<typeof ImportInput>;
