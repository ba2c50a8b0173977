import { randomUUID } from 'node:crypto';
import type { Principal } from '../auth/auth.schema';
import { conditionHolds, type VersionCondition } from '../azure/condition';
import { config } from '../config';
import { errors } from '../errors';
import { type DatasetSchema, DatasetSchemaBody, type DatasetSchemaInput, type IngestResult } from './dataset.schema';
import { type BodyFormat, ingestRows, rollbackIngest } from './ingest';
import { readableSchema, schemaOf, writable } from './records.access';
import { bucketCount, emptyLayout, partitionKeyOf } from './records.layout';
import { reserveRows, resetProfile, updateProfile } from './records.profile';
import {
  cosmosRecordWriter,
  countRecords,
  createSchemaDoc,
  deleteRecordIds,
  emptyProfile,
  type RecordWriter,
  readSchemaDoc,
  recordKeys,
  replaceSchemaDoc,
  type SchemaDoc,
} from './records.repository';

const ALL = { where: 'true', parameters: [] };

// ---- schema ------------------------------------------------------------------------------------

function schemaView(doc: SchemaDoc, recordCount: number): DatasetSchema {
  return {
    datasetId: doc.datasetId,
    columns: doc.columns,
    ...(doc.label === undefined ? {} : { label: doc.label }),
    recordCount,
    updatedAt: doc.updatedAt,
    updatedBy: doc.updatedBy,
  };
}

/** The schema's version: its document's (Cosmos' `_etag`, unquoted) and the record count it reports (which ingest changes). */
const schemaVersion = (documentEtag: string, recordCount: number) => `${documentEtag.replace(/"/g, '')}:${recordCount}`;

export async function getSchema(principal: Principal | undefined, datasetId: string): Promise<{ schema: DatasetSchema; version: string }> {
  const { doc, etag } = await readableSchema(principal, datasetId);
  const count = await countRecords(doc, ALL);
  return { schema: schemaView(doc, count), version: schemaVersion(etag, count) };
}

function sameSchema(doc: SchemaDoc, body: DatasetSchemaBody): boolean {
  return JSON.stringify({ columns: doc.columns, label: doc.label }) === JSON.stringify({ columns: body.columns, label: body.label });
}

/** Declares or replaces the columns; 409 while records exist, 412 when `ifMatch` does not hold. */
async function declareSchema(
  datasetId: string,
  body: DatasetSchemaBody,
  updatedBy: string,
  ifMatch: VersionCondition | undefined,
): Promise<{ schema: DatasetSchema; version: string; created: boolean }> {
  const existing = await readSchemaDoc(datasetId);
  const count = existing ? await countRecords(existing.doc, ALL) : 0;
  // The schema's version is its document's and the record count: a condition names that pair.
  if (ifMatch !== undefined && !conditionHolds(ifMatch, existing && schemaVersion(existing.etag, count))) throw errors.preconditionFailed();
  if (existing && sameSchema(existing.doc, body)) return { schema: schemaView(existing.doc, count), version: schemaVersion(existing.etag, count), created: false };
  if (count > 0) {
    throw errors.conflict(`Dataset '${datasetId}' holds ${count} records validated against its current columns; delete them before changing the schema.`);
  }
  const doc: SchemaDoc = {
    id: '__schema__',
    pk: partitionKeyOf(datasetId, 0),
    datasetId,
    docType: 'schema',
    columns: body.columns,
    ...(body.label === undefined ? {} : { label: body.label }),
    updatedAt: new Date().toISOString(),
    updatedBy,
    revision: randomUUID(),
    profile: emptyProfile(),
    layout: emptyLayout(config().ingest.bucketBytes),
  };
  const written = existing ? await replaceSchemaDoc(doc, existing.etag) : await createSchemaDoc(doc);
  if (!written) throw errors.conflict('The schema was changed at the same time; read it again and retry.');
  return { schema: schemaView(doc, 0), version: schemaVersion(written.etag, 0), created: !existing };
}

/**
 * Declares (or replaces) the columns of a hosted dataset: its owner or an admin. Replacing them
 * while records exist is a 409: the stored rows were validated against the old columns.
 */
export async function putSchema(
  principal: Principal,
  datasetId: string,
  body: DatasetSchemaBody,
  ifMatch: VersionCondition | undefined,
): Promise<{ schema: DatasetSchema; version: string; created: boolean }> {
  await writable(principal, datasetId);
  return declareSchema(datasetId, body, principal.id, ifMatch);
}

/** Declares a schema with no caller (the local seed, benchmarks): the same checks, no ownership. */
export async function putSchemaAsSystem(datasetId: string, body: DatasetSchemaInput): Promise<void> {
  await declareSchema(datasetId, DatasetSchemaBody.parse(body), 'system', undefined);
}

// ---- ingest and delete ---------------------------------------------------------------------------

/**
 * Ingests rows (CSV with a header, a JSON array or NDJSON) for the dataset's owner or an admin: the
 * ingest of `ingestAsSystem`, after the write check. All or nothing unless `onError` is `skip`; see `ingestRows`.
 */
export async function ingestRecords(principal: Principal, ...ingest: Parameters<typeof ingestAsSystem>): Promise<IngestResult> {
  const [datasetId] = ingest;
  await writable(principal, datasetId);
  return ingestAsSystem(...ingest);
}

/** Ingest with no caller (the local seed and benchmarks): the same validation and writes. */
export async function ingestAsSystem(
  datasetId: string,
  body: Buffer,
  format: BodyFormat,
  onError: 'fail' | 'skip',
  writer: RecordWriter = cosmosRecordWriter,
): Promise<IngestResult> {
  const schema = await schemaOf(datasetId);
  const outcome = await ingestRows(datasetId, schema.doc.columns, body, format, onError, writer, (bytes) => reserveRows(schema, bytes));
  // Rows of a throttled batch may be stored although the batch did not finish: count what is there.
  const stored =
    outcome.throttledMs === undefined
      ? outcome.inserted
      : await countRecords((await schemaOf(datasetId)).doc, { where: 'c.ingestId = @ingestId', parameters: [{ name: '@ingestId', value: outcome.ingestId }] });
  if (stored > 0) {
    try {
      // 409 when the columns were declared again meanwhile: rows validated against others must not stay.
      await updateProfile(datasetId, schema.doc.revision, outcome.observed);
    } catch (error) {
      // Rows whose values the profile does not know would drop out of groups and facets.
      await rollbackIngest(datasetId, outcome.ingestId, outcome.buckets);
      throw error;
    }
  }
  if (outcome.throttledMs !== undefined) {
    throw errors.unavailable(
      `Cosmos DB throttled the writes for longer than INGEST_THROTTLE_BUDGET allows: ${stored} of ${outcome.writable} rows were stored (ingest ${outcome.ingestId}) and stay, ` +
        'the others were not. Retry after the time given with the rows that were not stored, or delete the records and send them all.',
      Math.max(1, outcome.throttledMs / 1000),
    );
  }
  return { inserted: outcome.inserted, rejected: outcome.rejected, errors: outcome.errors };
}

/** How many records a hosted dataset holds (no access check: for the seed and benchmarks). */
export async function hostedRecordCount(datasetId: string): Promise<number> {
  const found = await readSchemaDoc(datasetId);
  return found ? countRecords(found.doc, ALL) : 0;
}

export async function deleteRecords(principal: Principal, datasetId: string): Promise<{ deleted: number }> {
  await writable(principal, datasetId);
  const { doc } = await schemaOf(datasetId);
  const keys = await recordKeys(datasetId, Array.from({ length: bucketCount(doc.layout) }, (_, bucket) => bucket));
  await deleteRecordIds(datasetId, keys);
  await resetProfile(datasetId);
  return { deleted: keys.length };
}
