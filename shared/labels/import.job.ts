import { blobServiceClient } from '../azure/blob';
import { AppError } from '../errors';
import { type JobHandler, PermanentJobError } from '../jobs/job.handler';
import { findCampaign } from './campaign.service';
import { IMPORTS_CONTAINER, runImport } from './import.service';

/**
 * A caller's mistake (a 4xx) will not change on redelivery: the job fails at once, with the reason.
 * Its pointers stay where the service put them, in the file (`/images/3/file_name`, the whole file
 * for a reason alone) or the job's input (`/addCategories`): a job has no request to place them in.
 */
function permanentIfClientError(error: unknown): unknown {
  if (error instanceof AppError && error.status < 500) return new PermanentJobError(error.detail, error.code);
  return error;
}

/**
 * The `labels.import` job: imports the file kept in the `imports` container. Writing an image's
 * labels is idempotent (the same labels replace themselves), so a redelivery simply runs again; the
 * file is deleted once the report is in the job's result.
 */
export const importLabelsJob: JobHandler<'labels.import'> = async (context) => {
  const { campaignId, format, blobName, addCategories, author } = context.input;
  try {
    const { doc: campaign } = await findCampaign(campaignId);
    const blob = blobServiceClient().getContainerClient(IMPORTS_CONTAINER).getBlockBlobClient(blobName);
    const report = await runImport(campaign, format, await blob.downloadToBuffer(), addCategories, author);
    await blob.deleteIfExists();
    return { kind: 'done', result: report };
  } catch (error) {
    throw permanentIfClientError(error);
  }
};
