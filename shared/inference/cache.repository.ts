import { container, cosmosStatus } from '../azure/cosmos';

// Results by hash of (model, version, input) in the `cache` container (partition `/id`, TTL on):
// a hit is one point read; entries expire on their own after the container's default TTL.

export interface CachedResult {
  id: string;
  modelId: string;
  modelVersion: string;
  result: unknown;
  createdAt: string;
}

export async function readCachedResult(key: string): Promise<CachedResult | undefined> {
  try {
    const { resource } = await container('cache').item(key, key).read<CachedResult>();
    return resource;
  } catch (error) {
    if (cosmosStatus(error) === 404) return undefined;
    throw error;
  }
}

export async function writeCachedResult(entry: CachedResult): Promise<void> {
  await container('cache').items.upsert(entry);
}
