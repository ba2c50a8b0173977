import { container, cosmosStatus, patchIfExists, queryPage } from '../azure/cosmos';
import { ApiKeyRecord } from './auth.schema';

// API keys live in `principals` (partition `/id`): authentication is one point read by key id.

export async function findApiKey(keyId: string): Promise<ApiKeyRecord | undefined> {
  try {
    const { resource } = await container('principals').item(keyId, keyId).read<ApiKeyRecord>();
    return resource?.docType === 'apiKey' ? ApiKeyRecord.parse(resource) : undefined;
  } catch (error) {
    if (cosmosStatus(error) === 404) return undefined;
    throw error;
  }
}

export async function insertApiKey(record: ApiKeyRecord): Promise<void> {
  await container('principals').items.create(record);
}


export async function listApiKeyRecords(
  limit: number,
  continuation: string | undefined,
): Promise<{ items: ApiKeyRecord[]; continuation: string | undefined }> {
  const page = await queryPage<ApiKeyRecord>(
    container('principals'),
    {
      query: 'SELECT * FROM c WHERE c.docType = @docType ORDER BY c.createdAt DESC',
      parameters: [{ name: '@docType', value: 'apiKey' }],
    },
    { limit, continuation, crossPartition: true },
  );
  return { items: page.items.map((r) => ApiKeyRecord.parse(r)), continuation: page.continuation };
}

export async function markRevoked(keyId: string, revokedAt: string): Promise<ApiKeyRecord | undefined> {
  const written = await patchIfExists(container('principals'), keyId, keyId, [{ op: 'set', path: '/revokedAt', value: revokedAt }]);
  return written && ApiKeyRecord.parse(written.resource);
}
