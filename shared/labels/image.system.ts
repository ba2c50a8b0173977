import { allImages } from './image.repository';
import { getImagesetRecord } from './imageset.service';

// Reads on behalf of the platform's own jobs (a model run over an imageset): no caller, so no role
// checks and no HTTP cursors; the job was authorised when it was submitted.

/**
 * Every registered image id of an imageset, in blob-name order, read a page of 1,000 at a time.
 * 404 (an AppError) when the imageset is gone.
 *
 * @example const ids = await imageIdsOf('0123456789abcdef');
 */
export async function imageIdsOf(imagesetId: string): Promise<string[]> {
  await getImagesetRecord(imagesetId);
  const ids: string[] = [];
  for await (const page of allImages(imagesetId)) ids.push(...page.map((image) => image.id));
  return ids;
}
