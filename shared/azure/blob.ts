import type { BlobServiceClient } from '@azure/storage-blob';
import { config } from '../config';
import { azureCredential } from './credential';
import { lazyRequire } from './load';

let client: BlobServiceClient | undefined;

/** The one BlobServiceClient of the process, created on first use. */
export function blobServiceClient(): BlobServiceClient {
  if (client) return client;
  const sdk = lazyRequire<typeof import('@azure/storage-blob')>('@azure/storage-blob');
  const settings = config().storage;
  client =
    settings.kind === 'connectionString'
      ? sdk.BlobServiceClient.fromConnectionString(settings.connectionString)
      : new sdk.BlobServiceClient(settings.endpoint, azureCredential());
  return client;
}

export function disposeBlobServiceClient(): void {
  client = undefined;
}
