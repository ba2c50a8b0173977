import { sha256 } from '../hash';
import { canonicalJson } from '../json/canonical';
import { INLINE_RESULT_LIMIT_BYTES } from '../jobs/job.worker';
import type { ModelSnapshot } from './model.schema';
import { readCachedResult, writeCachedResult } from './cache.repository';

/**
 * The result cache: identical inputs to the same model version are answered from Cosmos DB instead
 * of being recomputed. The key covers the model id, its version and where it runs (a builtin's
 * artefact version, an endpoint's URL), and the input in canonical JSON (keys sorted), so
 * `{"a":1,"b":2}` and `{"b":2,"a":1}` share an entry.
 */
/** Where a model runs, as part of its identity: a retrained builtin or a moved endpoint never hits old entries. */
function runtimeIdentity(model: ModelSnapshot): string {
  return model.runtime.kind === 'builtin' ? `builtin:${model.runtime.name}` : `http:${model.runtime.url}`;
}

export function cacheKeyOf(model: ModelSnapshot, input: unknown): string {
  return sha256(canonicalJson(['inference-cache/1', model.id, model.version, runtimeIdentity(model), input]));
}

/** The cached result, or undefined on a miss (a failed read is a miss: the cache never fails a job). */
export async function cachedResult(key: string): Promise<{ result: unknown } | undefined> {
  try {
    const hit = await readCachedResult(key);
    return hit ? { result: hit.result } : undefined;
  } catch {
    return undefined;
  }
}

/** Remembers a result small enough to keep inline; best effort. */
export async function rememberResult(key: string, model: ModelSnapshot, result: unknown): Promise<void> {
  const json = JSON.stringify(result ?? null);
  if (Buffer.byteLength(json) > INLINE_RESULT_LIMIT_BYTES) return;
  try {
    await writeCachedResult({ id: key, modelId: model.id, modelVersion: model.version, result: result ?? null, createdAt: new Date().toISOString() });
  } catch {
    // A cache that cannot be written only costs a recomputation next time.
  }
}
