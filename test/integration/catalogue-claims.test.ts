import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { container } from '../../shared/azure/cosmos';
import { findByKey, platformKey } from '../../shared/catalogue/catalogue.claims';
import { upsertEntryAsSystem } from '../../shared/catalogue/catalogue.system';
import { sha256 } from '../../shared/hash';
import { useStackSettings } from '../support/stack-env';

/**
 * A claim is written before its entry. While the writer that took it is still writing the entry,
 * a second writer of the same key must get 409 naming it (not take the claim over as if a crash had
 * left it); a claim old enough to be a crash's leftover is taken over.
 */
beforeAll(() => useStackSettings());

/** A claim document as the writer of entry `entryId` leaves it between its two writes (the stored shape). */
async function claimWithoutEntry(key: string, entryId: string, extra: Record<string, unknown>): Promise<void> {
  const id = `claim-${sha256(`datasets\n${key}`, 'base64url')}`;
  await container('catalogue').items.create({ id, type: 'datasets', docType: 'claim', entryId, key, ...extra });
}

function harvested(platform: string, identifier: string) {
  return { id: randomUUID(), name: 'harvested', platform, platformResourceIdentifier: identifier, status: 'published' };
}

describe('claims of platform identifiers', () => {
  const platform = `claims-${randomUUID().slice(0, 8)}`;

  it('hold while their entry is being written: the second writer gets 409 naming it', async () => {
    const inFlight = randomUUID();
    await claimWithoutEntry(platformKey(platform, 'in-flight'), inFlight, { claimedAt: new Date().toISOString() });
    await expect(upsertEntryAsSystem('datasets', harvested(platform, 'in-flight'))).rejects.toMatchObject({ status: 409, extensions: { existingId: inFlight } });
  });

  it('are taken over when a crash left them long ago', async () => {
    await claimWithoutEntry(platformKey(platform, 'crashed'), randomUUID(), { claimedAt: new Date(Date.now() - 3_600_000).toISOString() });
    const sut = harvested(platform, 'crashed');
    await upsertEntryAsSystem('datasets', sut);
    expect((await findByKey('datasets', platformKey(platform, 'crashed')))?.doc.id).toBe(sut.id);
  });

  it('are taken over when written before claims said when, and their entry never came', async () => {
    await claimWithoutEntry(platformKey(platform, 'older'), randomUUID(), {});
    const sut = harvested(platform, 'older');
    await upsertEntryAsSystem('datasets', sut);
    expect((await findByKey('datasets', platformKey(platform, 'older')))?.doc.id).toBe(sut.id);
  });
});
