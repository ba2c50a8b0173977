import { store } from '../azure/store';

// Results by hash of (model, version, input) in the `cache` container (partition `/id`, TTL on):
// a hit is one point read; entries expire on their own after the container's default TTL.

export interface CachedResult {
  id: string;
  modelId: string;
  modelVersion: string;
  result: unknown;
  createdAt: string;
}

// Written only by writeCachedResult below, so the stored shape is this one.
const results = store<CachedResult>('cache', (raw) => raw as CachedResult, (doc) => doc.id);

export async function readCachedResult(key: string): Promise<CachedResult | undefined> {
  return (await results.read(key, key))?.doc;
}

export async function writeCachedResult(entry: CachedResult): Promise<void> {
  await results.upsert(entry);
}
