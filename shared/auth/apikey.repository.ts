import { container, queryPage } from '../azure/cosmos';
import { store, type Versioned } from '../azure/store';
import { ApiKeyRecord } from './auth.schema';

// API keys live in `principals` (partition `/id`): authentication is one point read by key id.

// The key id comes from the caller: whatever else `principals` holds under it is not a key (401, not a parse error).
type PrincipalDocument = { id: string; docType?: unknown };
const principals = store<PrincipalDocument>('principals', (raw) => raw as PrincipalDocument, (doc) => doc.id);

function apiKeyOf(found: Versioned<PrincipalDocument> | undefined): ApiKeyRecord | undefined {
  return found?.doc.docType === 'apiKey' ? ApiKeyRecord.parse(found.doc) : undefined;
}

export async function findApiKey(keyId: string): Promise<ApiKeyRecord | undefined> {
  return apiKeyOf(await principals.read(keyId, keyId));
}

/** Stores a new key; false when its id exists. */
export async function insertApiKey(record: ApiKeyRecord): Promise<boolean> {
  return (await principals.create(record)) !== undefined;
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
  return apiKeyOf(await principals.patch(keyId, keyId, [{ op: 'set', path: '/revokedAt', value: revokedAt }]));
}
