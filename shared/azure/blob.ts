import type { BlobServiceClient } from '@azure/storage-blob';
import { config } from '../config';
import { azureCredential } from './credential';
import { lazyRequire } from './load';

let client: BlobServiceClient | undefined;

/**
 * Bounded tries (the SDK's default per-try timeout is none at all): a hung storage call fails within
 * about 3 × 10 s and surfaces as 503 (shared/http/problem.ts).
 */
const BLOB_CLIENT_OPTIONS = { retryOptions: { maxTries: 3, tryTimeoutInMs: 10_000, retryDelayInMs: 500, maxRetryDelayInMs: 2_000 } };

/** The one BlobServiceClient of the process, created on first use. */
export function blobServiceClient(): BlobServiceClient {
  if (client) return client;
  const sdk = lazyRequire<typeof import('@azure/storage-blob')>('@azure/storage-blob');
  const settings = config().storage;
  client =
    settings.kind === 'connectionString'
      ? sdk.BlobServiceClient.fromConnectionString(settings.connectionString, BLOB_CLIENT_OPTIONS)
      : new sdk.BlobServiceClient(settings.endpoint, azureCredential(), BLOB_CLIENT_OPTIONS);
  return client;
}

export function disposeBlobServiceClient(): void {
  client = undefined;
}
