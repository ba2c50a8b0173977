import { container, cosmosStatus } from '../azure/cosmos';
import { IdempotencyRecord } from './idempotency.schema';

// Idempotency-Key records in the `idempotency` container (partition `/id`, TTL on): the id is a
// digest of (caller, key), so claiming a key is one create that fails with 409 when it is taken.

export async function insertIdempotencyRecord(record: IdempotencyRecord): Promise<boolean> {
  try {
    await container('idempotency').items.create(record);
    return true;
  } catch (error) {
    if (cosmosStatus(error) === 409) return false;
    throw error;
  }
}

export async function readIdempotencyRecord(id: string): Promise<{ record: IdempotencyRecord; etag: string } | undefined> {
  try {
    const { resource } = await container('idempotency').item(id, id).read<{ _etag?: string }>();
    return resource ? { record: IdempotencyRecord.parse(resource), etag: resource._etag ?? '' } : undefined;
  } catch (error) {
    if (cosmosStatus(error) === 404) return undefined;
    throw error;
  }
}

/** Takes over an abandoned claim; false when someone else changed it first. */
export async function replaceIdempotencyRecord(record: IdempotencyRecord, etag: string): Promise<boolean> {
  try {
    await container('idempotency').item(record.id, record.id).replace(record, { accessCondition: { type: 'IfMatch', condition: etag } });
    return true;
  } catch (error) {
    if (cosmosStatus(error) === 412 || cosmosStatus(error) === 404) return false;
    throw error;
  }
}

export async function deleteIdempotencyRecord(id: string): Promise<void> {
  try {
    await container('idempotency').item(id, id).delete();
  } catch (error) {
    if (cosmosStatus(error) !== 404) throw error;
  }
}
