import type { PatchOperation } from '@azure/cosmos';
import { container, cosmosStatus, queryPage, replaceIfUnchanged, writeMayHaveHappened } from '../azure/cosmos';
import { errors } from '../errors';
import { JobRecord, type JobStatus } from './job.schema';

// Jobs are partitioned by `/id`: polling a job (the hottest path) is a 1 RU point read.

export interface StoredJob {
  record: JobRecord;
  etag: string;
}

function stored(resource: (JobRecord & { _etag?: string }) | undefined): StoredJob | undefined {
  if (!resource) return undefined;
  return { record: JobRecord.parse(resource), etag: resource._etag ?? '' };
}

export async function insertJob(record: JobRecord): Promise<StoredJob> {
  try {
    const { resource } = await container('jobs').items.create(record);
    const created = stored(resource);
    if (!created) throw new Error('Cosmos returned no job after create');
    return created;
  } catch (error) {
    // Look before failing when the create may have happened: a job stored without its message would
    // be an orphan, and the caller's retry a duplicate.
    if (!writeMayHaveHappened(error)) throw error;
    const existing = await readJob(record.id).catch(() => undefined);
    if (existing && existing.record.owner === record.owner && existing.record.createdAt === record.createdAt) return existing;
    throw error;
  }
}

export async function readJob(id: string): Promise<StoredJob | undefined> {
  try {
    const { resource } = await container('jobs').item(id, id).read<JobRecord & { _etag?: string }>();
    return stored(resource);
  } catch (error) {
    if (cosmosStatus(error) === 404) return undefined;
    throw error;
  }
}

/** Replaces the job only if it still has `etag`; undefined when someone else changed it first. */
export async function replaceJobIfUnchanged(record: JobRecord, etag: string): Promise<StoredJob | undefined> {
  const written = await replaceIfUnchanged(container('jobs'), record.id, record.id, record, etag);
  return written && stored(written.resource as JobRecord & { _etag?: string });
}

/** Applies `operations` to the job and answers it as it is now (undefined if Cosmos returned nothing). */
export async function patchJob(id: string, operations: PatchOperation[]): Promise<JobRecord | undefined> {
  const { resource } = await container('jobs').item(id, id).patch<JobRecord>(operations);
  return resource;
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
  const conditions = ['c.docType = @docType'];
  const parameters: { name: string; value: string }[] = [{ name: '@docType', value: 'job' }];
  if (filters.owner !== undefined) {
    conditions.push('c.owner = @owner');
    parameters.push({ name: '@owner', value: filters.owner });
  }
  if (filters.status) {
    conditions.push('c.status = @status');
    parameters.push({ name: '@status', value: filters.status });
  }
  if (filters.kind) {
    conditions.push('c.kind = @kind');
    parameters.push({ name: '@kind', value: filters.kind });
  }
  (filters.exceptKinds ?? []).forEach((kind, index) => {
    conditions.push(`c.kind != @except${index}`);
    parameters.push({ name: `@except${index}`, value: kind });
  });
  if (filters.label) {
    // Label names are checked against a fixed pattern by the schema; values are parameters.
    if (!/^[A-Za-z][A-Za-z0-9]{0,31}$/.test(filters.label.name)) throw errors.invalidField('/query/label', 'bad label name');
    conditions.push(`c.labels["${filters.label.name}"] = @labelValue`);
    parameters.push({ name: '@labelValue', value: filters.label.value });
  }
  const page = await queryPage<JobRecord>(
    container('jobs'),
    { query: `SELECT * FROM c WHERE ${conditions.join(' AND ')} ORDER BY c.createdAt DESC`, parameters },
    { limit, continuation, crossPartition: true },
  );
  return { items: page.items.map((item) => JobRecord.parse(item)), continuation: page.continuation };
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
 * Every job still `queued` or `running`, with its ETag: what a host whose queue did not survive a
 * restart (the local stack's in-memory queue) must send again. All of them, in pages, once at start.
 */
export async function findUnfinishedJobs(): Promise<StoredJob[]> {
  const iterator = container('jobs').items.query<JobRecord & { _etag?: string }>(
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
  const found: StoredJob[] = [];
  while (iterator.hasMoreResults()) {
    const { resources } = await iterator.fetchNext();
    for (const resource of resources ?? []) {
      const job = stored(resource);
      if (job) found.push(job);
    }
  }
  return found;
}
