import type { OperationInput } from '@azure/cosmos';
import { aggregateTotal, container, readByIds } from '../azure/cosmos';
import { store, type Versioned } from '../azure/store';
import { shortHash } from './ids';
import { AnnotationRecord, AnnotationVersionRecord, type ModelRef, PredictionRecord } from './label.schema';

// Labels live in `labels` (partition `/imagesetId`): an image's labels, and a campaign's labels of
// one imageset (export), are single-partition reads. Annotation ids are `a~<campaign>~<image>`:
// one document per (campaign, image), so replacing an image's labels is a single atomic write.
// Prediction ids are `p~<hash of model id@version>~<image>`: a model's rerun replaces its output.
// Replaced annotation versions are `v~<campaign>~<image>~<version, 7 digits>`, next to the annotation.

export function annotationId(campaignId: string, imageId: string): string {
  return `a~${campaignId}~${imageId}`;
}

export function predictionId(model: ModelRef, imageId: string): string {
  return `p~${shortHash(`${model.id}@${model.version}`)}~${imageId}`;
}

const annotations = store<AnnotationRecord>('labels', (raw) => AnnotationRecord.parse(raw), (doc) => doc.imagesetId);
const versions = store<AnnotationVersionRecord>('labels', (raw) => AnnotationVersionRecord.parse(raw), (doc) => doc.imagesetId);

export async function readAnnotation(imagesetId: string, campaignId: string, imageId: string): Promise<Versioned<AnnotationRecord> | undefined> {
  return annotations.read(annotationId(campaignId, imageId), imagesetId);
}

/**
 * Writes an image's annotation document: create when `etag` is null, replace when the ETag still
 * matches; undefined when someone else created or changed it first.
 */
export async function writeAnnotation(record: AnnotationRecord, etag: string | null): Promise<Versioned<AnnotationRecord> | undefined> {
  return etag === null ? annotations.create(record) : annotations.replaceIfUnchanged(record, etag);
}

/** Which of these images already have an annotation document in this campaign (one partition). */
export async function annotatedImageIds(imagesetId: string, campaignId: string, imageIds: string[]): Promise<Map<string, number>> {
  const found = new Map<string, number>();
  for (let start = 0; start < imageIds.length; start += 200) {
    const ids = imageIds.slice(start, start + 200).map((imageId) => annotationId(campaignId, imageId));
    const { resources } = await container('labels')
      .items.query<{ imageId: string; labelCount: number }>(
        {
          query: 'SELECT c.imageId, c.labelCount FROM c WHERE c.imagesetId = @imagesetId AND ARRAY_CONTAINS(@ids, c.id)',
          parameters: [
            { name: '@imagesetId', value: imagesetId },
            { name: '@ids', value: ids },
          ],
        },
        { partitionKey: imagesetId },
      )
      .fetchAll();
    for (const row of resources) found.set(row.imageId, row.labelCount);
  }
  return found;
}

/**
 * Upserts many annotation documents with Cosmos bulk operations (the SDK splits them into calls of at
 * most 100 per partition and retries throttled ones). Each document is one image: it is written whole
 * or not at all. Returns the ids of documents that failed, with the reason.
 */
export async function upsertAnnotations(records: AnnotationRecord[]): Promise<Map<string, string>> {
  const failed = new Map<string, string>();
  const operations: OperationInput[] = records.map((record) => ({
    operationType: 'Upsert',
    partitionKey: record.imagesetId,
    resourceBody: record,
  }));
  for (let start = 0; start < operations.length; start += 1000) {
    const results = await container('labels').items.executeBulkOperations(operations.slice(start, start + 1000));
    results.forEach((result, i) => {
      const status = result.response?.statusCode ?? result.error?.code;
      if (typeof status !== 'number' || status >= 300) {
        const record = records[start + i];
        if (record) failed.set(record.id, `write failed (${String(status ?? 'no response')})`);
      }
    });
  }
  return failed;
}

export async function countAnnotations(imagesetId: string, campaignId: string): Promise<number> {
  return aggregateTotal(
    container('labels'),
    {
      query: 'SELECT VALUE COUNT(1) FROM c WHERE c.imagesetId = @imagesetId AND c.docType = @docType AND c.campaignId = @campaignId',
      parameters: [
        { name: '@imagesetId', value: imagesetId },
        { name: '@docType', value: 'annotation' },
        { name: '@campaignId', value: campaignId },
      ],
    },
    imagesetId,
  );
}

/** Every campaign's annotation of one image. */
export async function annotationsOfImage(imagesetId: string, imageId: string): Promise<AnnotationRecord[]> {
  const { resources } = await container('labels')
    .items.query<AnnotationRecord>(
      {
        query: 'SELECT * FROM c WHERE c.imagesetId = @imagesetId AND c.docType = @docType AND c.imageId = @imageId',
        parameters: [
          { name: '@imagesetId', value: imagesetId },
          { name: '@docType', value: 'annotation' },
          { name: '@imageId', value: imageId },
        ],
      },
      { partitionKey: imagesetId },
    )
    .fetchAll();
  return resources.map((resource) => AnnotationRecord.parse(resource));
}

/** A campaign's annotations in one imageset, page by page (exports). */
export async function* campaignAnnotations(imagesetId: string, campaignId: string): AsyncGenerator<AnnotationRecord[]> {
  const iterator = container('labels').items.query<AnnotationRecord>(
    {
      query: 'SELECT * FROM c WHERE c.imagesetId = @imagesetId AND c.docType = @docType AND c.campaignId = @campaignId',
      parameters: [
        { name: '@imagesetId', value: imagesetId },
        { name: '@docType', value: 'annotation' },
        { name: '@campaignId', value: campaignId },
      ],
    },
    { partitionKey: imagesetId, maxItemCount: 500 },
  );
  while (iterator.hasMoreResults()) {
    const page = await iterator.fetchNext();
    if (page.resources.length > 0) yield page.resources.map((resource) => AnnotationRecord.parse(resource));
  }
}

export async function upsertPrediction(record: PredictionRecord): Promise<void> {
  await container('labels').items.upsert(record);
}

export async function predictionsOfImage(imagesetId: string, imageId: string): Promise<PredictionRecord[]> {
  const { resources } = await container('labels')
    .items.query<PredictionRecord>(
      {
        query: 'SELECT * FROM c WHERE c.imagesetId = @imagesetId AND c.docType = @docType AND c.imageId = @imageId',
        parameters: [
          { name: '@imagesetId', value: imagesetId },
          { name: '@docType', value: 'prediction' },
          { name: '@imageId', value: imageId },
        ],
      },
      { partitionKey: imagesetId },
    )
    .fetchAll();
  return resources.map((resource) => PredictionRecord.parse(resource));
}

/** The least confident predictions of an imageset: the images a reviewer should look at first. */
export async function leastConfidentPredictions(
  imagesetId: string,
  limit: number,
): Promise<{ imageId: string; minConfidence: number; count: number }[]> {
  const { resources } = await container('labels')
    .items.query<{ imageId: string; minConfidence: number; count: number }>(
      {
        query:
          'SELECT TOP @limit c.imageId, c.minConfidence, c.predictionCount AS count FROM c ' +
          'WHERE c.imagesetId = @imagesetId AND c.docType = @docType ORDER BY c.minConfidence ASC',
        parameters: [
          { name: '@limit', value: limit },
          { name: '@imagesetId', value: imagesetId },
          { name: '@docType', value: 'prediction' },
        ],
      },
      { partitionKey: imagesetId },
    )
    .fetchAll();
  return resources;
}

export function versionId(campaignId: string, imageId: string, version: number): string {
  return `v~${campaignId}~${imageId}~${String(version).padStart(7, '0')}`;
}

/** The annotation documents of these images in one campaign and imageset (absent ones are simply missing). */
export async function readAnnotations(imagesetId: string, campaignId: string, imageIds: string[]): Promise<AnnotationRecord[]> {
  const ids = imageIds.map((imageId) => annotationId(campaignId, imageId));
  return readByIds('labels', imagesetId, ids, (raw) => AnnotationRecord.parse(raw));
}

/** Stores replaced versions; the id is the version, so writing one twice (a retried write) keeps one copy. */
export async function upsertVersions(records: AnnotationVersionRecord[]): Promise<void> {
  for (let start = 0; start < records.length; start += 1000) {
    const operations: OperationInput[] = records
      .slice(start, start + 1000)
      .map((record) => ({ operationType: 'Upsert', partitionKey: record.imagesetId, resourceBody: record }));
    const results = await container('labels').items.executeBulkOperations(operations);
    const failed = results.find((result) => (result.response?.statusCode ?? 500) >= 300);
    if (failed) throw new Error(`keeping a label version failed (${String(failed.response?.statusCode ?? failed.error?.code)})`);
  }
}

/** The replaced versions of an image's annotation in one campaign, newest first. */
export async function versionsOf(imagesetId: string, campaignId: string, imageId: string): Promise<AnnotationVersionRecord[]> {
  const { resources } = await container('labels')
    .items.query<AnnotationVersionRecord>(
      {
        query:
          'SELECT * FROM c WHERE c.imagesetId = @imagesetId AND c.docType = @docType AND c.campaignId = @campaignId AND c.imageId = @imageId ' +
          'ORDER BY c.version DESC',
        parameters: [
          { name: '@imagesetId', value: imagesetId },
          { name: '@docType', value: 'annotationVersion' },
          { name: '@campaignId', value: campaignId },
          { name: '@imageId', value: imageId },
        ],
      },
      { partitionKey: imagesetId },
    )
    .fetchAll();
  return resources.map((resource) => AnnotationVersionRecord.parse(resource));
}

export async function readVersion(imagesetId: string, campaignId: string, imageId: string, version: number): Promise<AnnotationVersionRecord | undefined> {
  return (await versions.read(versionId(campaignId, imageId, version), imagesetId))?.doc;
}
