import { z } from 'zod';
import { AppError } from '../errors';
import { type JobContext, type JobHandler, PermanentJobError } from '../jobs/job.handler';
import { ExportFormat, ExportRecord } from './campaign.schema';
import { findCampaign } from './campaign.service';
import { buildDataset, writeExport } from './export.service';
import { CampaignId } from './ids';

/**
 * The `labels.export` job: writes a campaign's labels in the requested formats to the `exports`
 * container. The checkpoint lists the formats already written, so a redelivery writes only the rest.
 */
export const ExportInput = z.object({ campaignId: CampaignId, formats: z.array(ExportFormat).min(1), imageUrls: z.boolean().default(false) });
const ExportState = z.object({ done: z.array(ExportRecord) });

export const exportLabelsJob: JobHandler = async (context: JobContext) => {
  const input = ExportInput.safeParse(context.job.input);
  if (!input.success) throw new PermanentJobError('The job input is not `{ campaignId, formats }`.');
  const campaign = await findCampaign(input.data.campaignId).catch((error: unknown) => {
    if (error instanceof AppError && error.status === 404) throw new PermanentJobError(`No campaign '${input.data.campaignId}'.`, 'not-found');
    throw error;
  });
  const saved = ExportState.safeParse(context.state);
  const done = saved.success ? saved.data.done : [];
  const formats = [...new Set(input.data.formats)];
  const remaining = formats.filter((format) => !done.some((record) => record.format === format));
  if (remaining.length > 0) {
    const dataset = await buildDataset(campaign.record, { imageUrls: input.data.imageUrls });
    for (const format of remaining) {
      done.push(await writeExport(campaign.record, format, dataset));
      await context.saveState({ done });
      await context.progress(done.length, formats.length);
    }
  }
  return { kind: 'done', result: { campaignId: campaign.record.id, exports: done } };
};
