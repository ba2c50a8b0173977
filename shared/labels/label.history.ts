import type { Principal } from '../auth/auth.schema';
import { pinsVersion, type VersionCondition } from '../azure/condition';
import { errors } from '../errors';
import { assertCanReadCampaign, assertIfMatch } from './access';
import { findCampaign } from './campaign.service';
import { readAnnotation, readAnnotations, readVersion, upsertVersions, versionId, versionsOf, writeAnnotation } from './label.repository';
import { annotationRecord, annotationView, imageInCampaign, labellingContext, labelView } from './label.rules';
import type { AnnotationRecord, AnnotationVersionRecord, ImageLabels, LabelVersion } from './label.schema';

/**
 * Label history: every write that replaces an image's annotation first keeps the version it
 * replaces (who wrote it, when, its labels) as its own document next to the annotation. Keeping
 * it first means a write that then loses its ETag race leaves a true version behind, never a
 * missing one; the id is the version number, so the winner keeping the same version is harmless.
 * Bulk writes and imports upsert without an ETag, so a write racing them may go unrecorded.
 */
export async function keepReplaced(replaced: AnnotationRecord[], by: string, at = new Date().toISOString()): Promise<void> {
  if (replaced.length === 0) return;
  await upsertVersions(
    replaced.map(
      (record): AnnotationVersionRecord => ({
        ...record,
        id: versionId(record.campaignId, record.imageId, record.version),
        docType: 'annotationVersion',
        replacedAt: at,
        replacedBy: by,
      }),
    ),
  );
}

/** The current annotations of these images in a campaign (for bulk writes: their versions are kept). */
export async function currentAnnotations(campaignId: string, images: { imagesetId: string; imageId: string }[]): Promise<Map<string, AnnotationRecord>> {
  const byImageset = new Map<string, string[]>();
  for (const { imagesetId, imageId } of images) byImageset.set(imagesetId, [...(byImageset.get(imagesetId) ?? []), imageId]);
  const found = await Promise.all([...byImageset].map(([imagesetId, ids]) => readAnnotations(imagesetId, campaignId, ids)));
  return new Map(found.flat().map((record) => [record.imageId, record]));
}

function versionView(record: AnnotationRecord | AnnotationVersionRecord, current: boolean): LabelVersion {
  return {
    version: record.version,
    current,
    labels: record.labels.map((label) => labelView(label, record.imageId, record.imagesetId, record.campaignId)),
    labelCount: record.labelCount,
    updatedAt: record.updatedAt,
    updatedBy: record.updatedBy,
    replacedAt: 'replacedAt' in record ? record.replacedAt : null,
    replacedBy: 'replacedBy' in record ? record.replacedBy : null,
  };
}

/** An image's label versions in a campaign, newest (the current one) first. */
export async function labelHistory(principal: Principal, campaignId: string, imageId: string): Promise<LabelVersion[]> {
  const { doc: campaign } = await findCampaign(campaignId);
  assertCanReadCampaign(principal, campaign);
  const image = await imageInCampaign(campaign, imageId);
  const [current, replaced] = await Promise.all([readAnnotation(image.imagesetId, campaignId, imageId), versionsOf(image.imagesetId, campaignId, imageId)]);
  return [...(current ? [versionView(current.doc, true)] : []), ...replaced.map((record) => versionView(record, false))];
}

/**
 * Makes an earlier version the current labels again, as a new version (the one it replaces is
 * kept). If-Match is required: a restore must not overwrite a change its caller has not seen.
 */
export async function restoreLabelVersion(
  principal: Principal,
  campaignId: string,
  imageId: string,
  version: number,
  ifMatch: VersionCondition | undefined,
): Promise<{ labels: ImageLabels; etag: string }> {
  // `*` names no version the caller has seen, so it is no such condition.
  if (!pinsVersion(ifMatch)) throw errors.preconditionRequired();
  const { image } = await labellingContext(principal, campaignId, imageId);
  const current = await readAnnotation(image.imagesetId, campaignId, imageId);
  assertIfMatch(ifMatch, current?.etag);
  if (!current) throw errors.notFound('label version', String(version));
  const wanted = version === current.doc.version ? current.doc : await readVersion(image.imagesetId, campaignId, imageId, version);
  if (!wanted) throw errors.notFound('label version', String(version));
  const now = new Date().toISOString();
  await keepReplaced([current.doc], principal.id, now);
  const record = annotationRecord(image, campaignId, wanted.labels, principal.id, current.doc.version + 1, now);
  const written = await writeAnnotation(record, current.etag);
  if (!written) throw errors.preconditionFailed();
  return { labels: annotationView(written.doc), etag: written.etag };
}
