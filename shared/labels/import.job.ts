import { z } from 'zod';
import { blobServiceClient } from '../azure/blob';
import { AppError } from '../errors';
import { type JobContext, type JobHandler, PermanentJobError } from '../jobs/job.handler';
import { findCampaign } from './campaign.service';
import { CampaignId } from './ids';
import { ImportFormat } from './import.schema';
import { IMPORTS_CONTAINER, runImport } from './import.service';

const ImportInput = z.object({
  campaignId: CampaignId,
  format: ImportFormat,
  blobName: z.string().min(1),
  addCategories: z.boolean(),
  author: z.string().min(1),
});

/** A caller's mistake (a 4xx) will not change on redelivery: the job fails at once, with the reason. */
function permanentIfClientError(error: unknown): unknown {
  if (error instanceof AppError && error.status < 500) return new PermanentJobError(error.detail, error.code);
  return error;
}

/**
 * The `labels.import` job: imports the file kept in the `imports` container. Writing an image's
 * labels is idempotent (the same labels replace themselves), so a redelivery simply runs again; the
 * file is deleted once the report is in the job's result.
 */
export const importLabelsJob: JobHandler = async (context: JobContext) => {
  const input = ImportInput.safeParse(context.job.input);
  if (!input.success) throw new PermanentJobError('The job input is not `{ campaignId, format, blobName, addCategories, author }`.');
  const { campaignId, format, blobName, addCategories, author } = input.data;
  try {
    const { record: campaign } = await findCampaign(campaignId);
    const blob = blobServiceClient().getContainerClient(IMPORTS_CONTAINER).getBlockBlobClient(blobName);
    const report = await runImport(campaign, format, await blob.downloadToBuffer(), addCategories, author);
    await blob.deleteIfExists();
    return { kind: 'done', result: report };
  } catch (error) {
    throw permanentIfClientError(error);
  }
};
