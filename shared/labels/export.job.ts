import { z } from 'zod';
import { AppError } from '../errors';
import { type JobHandler, PermanentJobError } from '../jobs/job.handler';
import { ExportRecord } from './campaign.schema';
import { findCampaign } from './campaign.service';
import { buildDataset, writeExport } from './export.service';

/**
 * The `labels.export` job: writes a campaign's labels in the requested formats to the `exports`
 * container. The checkpoint lists the formats already written, so a redelivery writes only the rest.
 */
const ExportState = z.object({ done: z.array(ExportRecord) });

export const exportLabelsJob: JobHandler<'labels.export'> = async (context) => {
  const input = context.input;
  const campaign = await findCampaign(input.campaignId).catch((error: unknown) => {
    if (error instanceof AppError && error.status === 404) throw new PermanentJobError(`No campaign '${input.campaignId}'.`, 'not-found');
    throw error;
  });
  const saved = ExportState.safeParse(context.state);
  const done = saved.success ? saved.data.done : [];
  const formats = [...new Set(input.formats)];
  const remaining = formats.filter((format) => !done.some((record) => record.format === format));
  if (remaining.length > 0) {
    const dataset = await buildDataset(campaign.doc, { imageUrls: input.imageUrls });
    for (const format of remaining) {
      done.push(await writeExport(campaign.doc, format, dataset));
      await context.saveState({ done });
      await context.progress(done.length, formats.length);
    }
  }
  return { kind: 'done', result: { campaignId: campaign.doc.id, exports: done } };
};
