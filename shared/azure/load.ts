/**
 * Loads an SDK on first use instead of at import time: the Functions host imports every function
 * file on a cold start, and `@azure/cosmos` + `@azure/storage-blob` + `@azure/service-bus` cost
 * more to import than the whole app. The type parameter keeps the result fully typed.
 *
 * @example const { CosmosClient } = lazyRequire<typeof import('@azure/cosmos')>('@azure/cosmos');
 */
export function lazyRequire<T>(moduleName: string): T {
  return require(moduleName) as T;
}
