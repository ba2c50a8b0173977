import { store, type Versioned } from '../azure/store';
import { IdempotencyRecord } from './idempotency.schema';

// Idempotency-Key records in the `idempotency` container (partition `/id`, TTL on): the id is a
// digest of (caller, key), so claiming a key is one create that fails with 409 when it is taken.

const records = store<IdempotencyRecord>('idempotency', (raw) => IdempotencyRecord.parse(raw), (doc) => doc.id);

/** Claims the key; false when it is taken. */
export async function insertIdempotencyRecord(record: IdempotencyRecord): Promise<boolean> {
  return (await records.create(record)) !== undefined;
}

export async function readIdempotencyRecord(id: string): Promise<Versioned<IdempotencyRecord> | undefined> {
  return records.read(id, id);
}

/** Takes over an abandoned claim; false when someone else changed it first. */
export async function replaceIdempotencyRecord(record: IdempotencyRecord, etag: string): Promise<boolean> {
  return (await records.replaceIfUnchanged(record, etag)) !== undefined;
}

export async function deleteIdempotencyRecord(id: string): Promise<void> {
  await records.remove(id, id);
}
