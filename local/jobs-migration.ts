import { container, database } from '../shared/azure/cosmos';
import { CONTAINERS } from '../shared/azure/containers';

/**
 * A data folder (`npm start -- --data`) written before jobs moved from `/id` to `/jobId` holds a
 * jobs container with the old partition key, job documents without `jobId` and part documents
 * (`jobPart`, which carried `jobId` already) each in a partition of its own. Cosmos DB cannot change
 * a container's partition key, so this copies, as the catalogue's migration does: every document is
 * read, the container is dropped and created with the current key, and each document is written
 * again with `jobId` (its own id for a job, its job's for a part). Runs once: afterwards the key
 * matches.
 */
export async function migrateJobs(log: (line: string) => void): Promise<void> {
  const definition = CONTAINERS.jobs;
  const { resource } = await container('jobs').read();
  if (!resource || resource.partitionKey?.paths?.[0] === definition.partitionKey) return;
  // A feed read in pages, not a query: nothing for the embedded server to plan over the whole container.
  const { resources } = await container('jobs').items.readAll<Record<string, unknown>>({ maxItemCount: 1_000 }).fetchAll();
  await container('jobs').delete();
  await database().containers.create({ id: definition.id, partitionKey: { paths: [definition.partitionKey] } });
  for (const stored of resources) {
    const { _rid, _self, _etag, _ts, _attachments, ...doc } = stored;
    await container('jobs').items.create({ ...doc, jobId: typeof doc.jobId === 'string' ? doc.jobId : doc.id });
  }
  log(`jobs migrated to partition key ${definition.partitionKey}: ${resources.length} documents copied`);
}
