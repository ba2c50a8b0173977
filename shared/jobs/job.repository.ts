import type { JSONValue, PatchOperation } from '@azure/cosmos';
import { z } from 'zod';
import { container, cosmosStatus, newestFirst, whereEqual, writeMayHaveHappened } from '../azure/cosmos';
import { type Versioned, type WriteCondition, store } from '../azure/store';
import { errors } from '../errors';
import { JobRecord, type JobStatus } from './job.schema';

// Jobs are partitioned by `/jobId`, which a job document sets to its id: polling a job (the hottest
// path) is a 1 RU point read, and a fan-out job's part documents share its partition.
const JobDocument = JobRecord.extend({ jobId: z.string() });
type JobDocument = z.infer<typeof JobDocument>;
const jobs = store<JobDocument>('jobs', (raw) => JobDocument.parse(raw), (doc) => doc.jobId);

export type StoredJob = Versioned<JobRecord>;

function stored(written: Versioned<JobDocument> | undefined): StoredJob | undefined {
  if (!written) return undefined;
  const { jobId: _partitionKey, ...doc } = written.doc;
  return { doc, etag: written.etag };
}

/** Creates the job; undefined when a job with its id exists already. */
export async function insertJob(record: JobRecord): Promise<StoredJob | undefined> {
  try {
    return stored(await jobs.create({ ...record, jobId: record.id }));
  } catch (error) {
    // Look before failing when the create may have happened: a job stored without its message would
    // be an orphan, and the caller's retry a duplicate.
    if (!writeMayHaveHappened(error)) throw error;
    const existing = await readJob(record.id).catch(() => undefined);
    if (existing && existing.doc.owner === record.owner && existing.doc.createdAt === record.createdAt) return existing;
    throw error;
  }
}

export async function readJob(id: string): Promise<StoredJob | undefined> {
  return stored(await jobs.read(id, id));
}

/** Replaces the job only if it still has `etag`; undefined when someone else changed it first. */
export async function replaceJobIfUnchanged(record: JobRecord, etag: string): Promise<StoredJob | undefined> {
  return stored(await jobs.replaceIfUnchanged({ ...record, jobId: record.id }, etag));
}

/**
 * Applies `operations` to the job and answers it as it is now; undefined when it is missing or
 * `condition` (an ETag or a `FROM c WHERE …` filter) does not hold — one round trip either way.
 */
export async function patchJob(id: string, operations: PatchOperation[], condition?: WriteCondition): Promise<JobRecord | undefined> {
  return stored(await jobs.patch(id, id, operations, condition))?.doc;
}

/**
 * A fan-out job's finished part: its own document in the job's partition, never part of the job
 * document (which Cosmos caps at 2 MB, and which every part would otherwise rewrite whole).
 */
type PartDocument = {
  id: string;
  jobId: string;
  docType: 'jobPart';
  partId: string;
  result: unknown;
};

const partDocumentId = (jobId: string, partId: string) => `${jobId}:part:${partId}`;

/**
 * Records a part once: its document and the job's counters (`progress.done` + `units`, the
 * heartbeat) in one transactional batch, so a part is counted exactly when its document exists,
 * however often its message is delivered. Answers the job as it is afterwards.
 */
export async function recordPart(jobId: string, partId: string, result: unknown, units: number, at: string): Promise<JobRecord> {
  // A part's result is the handler's JSON (it travels in messages and job results too).
  const part = { id: partDocumentId(jobId, partId), jobId, docType: 'jobPart', partId, result: result as JSONValue } satisfies PartDocument;
  const counters: PatchOperation[] = [
    { op: 'incr', path: '/progress/done', value: units },
    { op: 'set', path: '/heartbeatAt', value: at },
  ];
  try {
    const { result: outcomes = [] } = await container('jobs').items.batch(
      [
        { operationType: 'Create', resourceBody: part },
        { operationType: 'Patch', id: jobId, resourceBody: { operations: counters } },
      ],
      jobId,
    );
    const updated = outcomes[1];
    if (updated && updated.statusCode < 400 && updated.resourceBody) return JobRecord.parse(updated.resourceBody);
    if (outcomes[0]?.statusCode !== 409) throw new Error(`recording part ${partId} of job ${jobId} failed: ${outcomes.map((o) => o.statusCode).join(', ')}`);
  } catch (error) {
    // The SDK reports a failed batch without its status: the part's document says whether it was recorded.
    if ((await readPart(jobId, partId)) === undefined) throw error;
  }
  const current = await readJob(jobId);
  if (!current) throw new Error(`job ${jobId} vanished`);
  return current.doc;
}

/** A recorded part's result; undefined while the part is not done. */
export async function readPart(jobId: string, partId: string): Promise<unknown> {
  try {
    const { resource } = await container('jobs').item(partDocumentId(jobId, partId), jobId).read<PartDocument>();
    return resource?.result;
  } catch (error) {
    if (cosmosStatus(error) === 404) return undefined;
    throw error;
  }
}

/** Every recorded part's result by part id: one single-partition query, read page by page. */
export async function readParts(jobId: string): Promise<Record<string, unknown>> {
  const iterator = container('jobs').items.query<Pick<PartDocument, 'partId' | 'result'>>(
    {
      query: 'SELECT c.partId, c.result FROM c WHERE c.jobId = @jobId AND c.docType = @docType',
      parameters: [
        { name: '@jobId', value: jobId },
        { name: '@docType', value: 'jobPart' },
      ],
    },
    { partitionKey: jobId, maxItemCount: 500 },
  );
  const parts: Record<string, unknown> = {};
  while (iterator.hasMoreResults()) {
    for (const { partId, result } of (await iterator.fetchNext()).resources ?? []) parts[partId] = result;
  }
  return parts;
}

export interface JobFilters {
  owner?: string;
  status?: JobStatus;
  kind?: string;
  /** Kinds left out (when no `kind` is asked for). */
  exceptKinds?: readonly string[];
  label?: { name: string; value: string };
}

export async function listJobs(
  filters: JobFilters,
  limit: number,
  continuation: string | undefined,
): Promise<{ items: JobRecord[]; continuation: string | undefined }> {
  const { conditions, parameters } = whereEqual({ docType: 'job', owner: filters.owner, status: filters.status, kind: filters.kind });
  (filters.exceptKinds ?? []).forEach((kind, index) => {
    conditions.push(`c.kind != @except${index}`);
    parameters.push({ name: `@except${index}`, value: kind });
  });
  if (filters.label) {
    // Label names are checked against a fixed pattern by the schema; values are parameters.
    if (!/^[A-Za-z][A-Za-z0-9]{0,31}$/.test(filters.label.name)) throw errors.invalidInput('/label', 'bad label name');
    conditions.push(`c.labels["${filters.label.name}"] = @labelValue`);
    parameters.push({ name: '@labelValue', value: filters.label.value });
  }
  return newestFirst('jobs', { conditions, parameters }, { limit, continuation }, (raw) => JobRecord.parse(raw));
}

/** Jobs in `status` whose `field` is older than `before` (the reaper's query), at most `limit`. */
export async function findJobsOlderThan(
  status: JobStatus,
  field: 'heartbeatAt' | 'cancelAfter' | 'createdAt',
  before: string,
  limit: number,
): Promise<JobRecord[]> {
  const { resources } = await container('jobs')
    .items.query<JobRecord>(
      {
        query: `SELECT TOP @limit * FROM c WHERE c.docType = @docType AND c.status = @status AND IS_STRING(c.${field}) AND c.${field} < @before`,
        parameters: [
          { name: '@limit', value: limit },
          { name: '@docType', value: 'job' },
          { name: '@status', value: status },
          { name: '@before', value: before },
        ],
      },
      { maxItemCount: limit },
    )
    .fetchAll();
  return resources.map((item) => JobRecord.parse(item));
}

/**
 * Every job still `queued` or `running`: what a host whose queue did not survive a
 * restart (the local stack's in-memory queue) must send again. All of them, in pages, once at start.
 */
export async function findUnfinishedJobs(): Promise<JobRecord[]> {
  const iterator = container('jobs').items.query<JobRecord>(
    {
      query: 'SELECT * FROM c WHERE c.docType = @docType AND (c.status = @queued OR c.status = @running)',
      parameters: [
        { name: '@docType', value: 'job' },
        { name: '@queued', value: 'queued' },
        { name: '@running', value: 'running' },
      ],
    },
    { maxItemCount: 500 },
  );
  const found: JobRecord[] = [];
  while (iterator.hasMoreResults()) {
    const { resources } = await iterator.fetchNext();
    found.push(...(resources ?? []).map((resource) => JobRecord.parse(resource)));
  }
  return found;
}
