import { newestFirst, whereEqual } from '../azure/cosmos';
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
  return newestFirst('principals', whereEqual({ docType: 'apiKey' }), { limit, continuation }, (raw) => ApiKeyRecord.parse(raw));
}

export async function markRevoked(keyId: string, revokedAt: string): Promise<ApiKeyRecord | undefined> {
  return apiKeyOf(await principals.patch(keyId, keyId, [{ op: 'set', path: '/revokedAt', value: revokedAt }]));
}
