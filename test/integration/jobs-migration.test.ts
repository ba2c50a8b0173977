import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateJobs } from '../../local/jobs-migration';
import { cosmosClient, database } from '../../shared/azure/cosmos';
import { readPart, readParts } from '../../shared/jobs/job.repository';
import { findJob, listJobsFor } from '../../shared/jobs/job.service';
import { useStackSettings } from '../support/stack-env';

/** A data folder from before jobs were partitioned by `/jobId` still opens, its jobs and their parts readable. */
const databaseName = `migrate-jobs-${randomUUID().slice(0, 8)}`;
const owner = `apikey:${randomUUID().slice(0, 8)}`;
const now = new Date().toISOString();
const job = (id: string, status: string) => ({
  id,
  docType: 'job',
  kind: 'inference.run',
  owner,
  status,
  input: {},
  attempts: 1,
  createdAt: now,
  startedAt: now,
  heartbeatAt: now,
  finishedAt: status === 'succeeded' ? now : null,
  cancelAfter: null,
  cancelRequested: false,
  labels: {},
  ...(status === 'succeeded' ? { result: { species: 'setosa' } } : {}),
});

beforeAll(async () => {
  useStackSettings({ COSMOS_DATABASE: databaseName });
  const { database: db } = await cosmosClient().databases.createIfNotExists({ id: databaseName });
  // The layout before: partitioned by /id, job documents without `jobId`.
  const { container } = await db.containers.create({ id: 'jobs', partitionKey: { paths: ['/id'] } });
  await container.items.create(job('old-done', 'succeeded'));
  await container.items.create(job('old-running', 'running'));
  await container.items.create({ id: 'old-running:part:batch-0', jobId: 'old-running', docType: 'jobPart', partId: 'batch-0', result: { predictions: 3 } });
});

afterAll(async () => {
  await database().delete();
});

describe('migrateJobs (local data folders)', () => {
  it('moves the jobs container to /jobId with every job and part, once', async () => {
    const lines: string[] = [];
    await migrateJobs((line) => lines.push(line));
    expect(lines.at(-1)).toBe('jobs migrated to partition key /jobId: 3 documents copied');
    const { resource } = await database().container('jobs').read();
    expect(resource?.partitionKey?.paths).toEqual(['/jobId']);

    expect(await findJob('old-done')).toMatchObject({ status: 'succeeded', result: { species: 'setosa' } });
    expect(await findJob('old-running')).toMatchObject({ status: 'running' });
    expect(await readPart('old-running', 'batch-0')).toEqual({ predictions: 3 });
    expect(await readParts('old-running')).toEqual({ 'batch-0': { predictions: 3 } });
    const listed = await listJobsFor({ id: owner, kind: 'apiKey', roles: ['reader'] }, {}, 10, undefined);
    expect(listed.items.map((item) => item.id).sort()).toEqual(['old-done', 'old-running']);

    await migrateJobs((line) => lines.push(line));
    expect(lines).toHaveLength(1);
  });
});
