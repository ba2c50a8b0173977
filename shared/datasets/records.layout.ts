/**
 * Where a hosted dataset's documents live. Cosmos DB caps a logical partition at 20 GB, so a
 * dataset's rows are spread over buckets, each its own logical partition `<datasetId>:<bucket>`
 * (the container's key is `/pk`). Rows are placed by ingest order: each ingest reserves a range of
 * the dataset's byte offsets, and a row whose range starts at offset `o` goes to bucket
 * `⌊o / bucketBytes⌋`. So a bucket holds at most `bucketBytes` plus one row (≤ 2 MB), a dataset
 * smaller than one bucket has exactly one (bucket 0, where its dataset document lives too), and
 * every query and aggregate runs within one bucket, the partition key always given.
 */

export interface Layout {
  /** Fixed when the first row is reserved (RECORDS_BUCKET_BYTES then), so a setting change never moves rows. */
  bucketBytes: number;
  /** Bytes reserved by ingests so far: the end of the used offsets. Only a delete of every record resets it. */
  allocatedBytes: number;
}

export interface RecordScope {
  datasetId: string;
  layout: Layout;
}

/** What a record document adds to its values, as Cosmos stores it: id, ingest id, keys, system properties. */
export const DOC_OVERHEAD_BYTES = 256;

export const partitionKeyOf = (datasetId: string, bucket: number): string => `${datasetId}:${bucket}`;

/** The empty layout of a new dataset, with the bucket size the settings give now. */
export const emptyLayout = (bucketBytes: number): Layout => ({ bucketBytes, allocatedBytes: 0 });

/** How many buckets a dataset's rows may be in (at least one: bucket 0 always exists). */
export function bucketCount(layout: Layout): number {
  return layout.allocatedBytes === 0 ? 1 : Math.floor((layout.allocatedBytes - 1) / layout.bucketBytes) + 1;
}

/** The partition keys of every bucket of a dataset, bucket 0 first. */
export function partitionKeys(scope: RecordScope): string[] {
  return Array.from({ length: bucketCount(scope.layout) }, (_, bucket) => partitionKeyOf(scope.datasetId, bucket));
}

/** The bytes a row counts for: its values as JSON, its dataset id (twice: `datasetId`, `pk`) and the rest. */
export function rowBytes(datasetId: string, values: Record<string, unknown>): number {
  return Buffer.byteLength(JSON.stringify(values)) + 2 * Buffer.byteLength(datasetId) + DOC_OVERHEAD_BYTES;
}

/** Offsets an ingest reserved: rows are placed from `start` on, in the order they are written. */
export interface Allocation {
  start: number;
  bucketBytes: number;
}

/**
 * Places rows one after another from an allocation.
 *
 * @example const place = placer({ start: 0, bucketBytes: 1000 }); place(600); place(600) // 0, then 0 (starts at 600)
 */
export function placer(allocation: Allocation): (bytes: number) => number {
  let offset = allocation.start;
  return (bytes) => {
    const bucket = Math.floor(offset / allocation.bucketBytes);
    offset += bytes;
    return bucket;
  };
}

/** The scope of a dataset known to have one bucket (tests and tools that write their own rows). */
export const oneBucket = (datasetId: string): RecordScope => ({ datasetId, layout: emptyLayout(Number.MAX_SAFE_INTEGER) });

/**
 * One aggregate row from the rows of each bucket: counts and sums add up, `lo*` is the least and
 * `hi*` the greatest (absent where no bucket had a value). Exact: the shifted sums of the
 * statistics use one shift for the whole dataset, so they add like any other sum.
 */
export function combineAggregates(rows: readonly Record<string, unknown>[]): Record<string, number | undefined> {
  const combined: Record<string, number | undefined> = {};
  for (const row of rows) {
    for (const [key, value] of Object.entries(row)) {
      if (typeof value !== 'number' || key === 'g') continue;
      const held = combined[key];
      if (held === undefined) combined[key] = value;
      else if (/^lo\d/.test(key)) combined[key] = Math.min(held, value);
      else if (/^hi\d/.test(key)) combined[key] = Math.max(held, value);
      else combined[key] = held + value;
    }
  }
  return combined;
}
