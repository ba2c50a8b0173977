/**
 * The Cosmos DB containers and their partition keys. In Azure, Bicep creates them
 * (`infra/modules/cosmos.bicep`); only the local stack creates them from this list.
 */
export interface ContainerDefinition {
  id: string;
  partitionKey: string;
  /** Seconds; -1 = TTL enabled with no default (items opt in with `ttl`). */
  defaultTtl?: number;
}

export const CONTAINERS = {
  // One logical partition per entry (and per claim): a type can grow past 20 GB and past one
  // partition's throughput; point reads stay id → id. Lists and searches are cross-partition
  // queries served by the index (shared/catalogue/catalogue.repository.ts).
  catalogue: { id: 'catalogue', partitionKey: '/id' },
  // Point reads dominate (every image and label call checks its imageset): `/id` costs 1 RU each.
  imagesets: { id: 'imagesets', partitionKey: '/id' },
  // Images are listed and registered per imageset; one imageset's metadata is KBs per image,
  // so even a million images stay below 20 GB.
  images: { id: 'images', partitionKey: '/imagesetId' },
  // Labels are read per image and exported per imageset: both single-partition.
  labels: { id: 'labels', partitionKey: '/imagesetId' },
  campaigns: { id: 'campaigns', partitionKey: '/id' },
  // A dataset's rows in buckets of bounded size, each its own logical partition (`pk` =
  // `<datasetId>:<bucket>`, shared/datasets/records.layout.ts): no dataset is capped at 20 GB, a
  // small one has one bucket, and every query and aggregate runs within a bucket.
  records: { id: 'records', partitionKey: '/pk' },
  // Jobs are polled by id (point read, 1 RU) far more often than listed. A job document carries
  // `jobId` = its id; a fan-out job's part documents share its partition, so a part is recorded
  // together with the job's counters in one transactional batch and the parts are read in one
  // single-partition query (issue 17: parts inside the job document reach 2 MB).
  jobs: { id: 'jobs', partitionKey: '/jobId' },
  // Every authenticated request reads its API key by id: a 1 RU point read. Access grants and quota
  // counters are read by id too (`<principal>:<model>`), so they share the container.
  principals: { id: 'principals', partitionKey: '/id' },
  // Inference results by hash of (model, version, input): point reads; items expire by TTL.
  cache: { id: 'cache', partitionKey: '/id', defaultTtl: 86_400 },
  // Idempotency-Key records (caller + key → what the first request created): point reads; kept a day,
  // as the IETF draft suggests, or less where a record says (an API key's sealed secret: an hour).
  idempotency: { id: 'idempotency', partitionKey: '/id', defaultTtl: 86_400 },
  // One small document per connector (cursor, counts, errors): point reads.
  connectorState: { id: 'connectorState', partitionKey: '/id' },
} as const satisfies Record<string, ContainerDefinition>;

export type ContainerName = keyof typeof CONTAINERS;
