import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { RETRY, retryOnConflict, store } from '../../shared/azure/store';
import { claimUniqueKey, releaseUniqueKey, type UniqueKeyGuard, uniqueKeyOwner } from '../../shared/azure/unique-key';
import { AppError } from '../../shared/errors';
import { useStackSettings } from '../support/stack-env';

// The one store every repository uses, against the real SDK and the embedded Cosmos server: the
// normal outcomes of optimistic concurrency are values, and one retry loop serves every
// read-modify-write.

const Counter = z.object({ id: z.string(), count: z.number(), note: z.string().optional() });
type Counter = z.infer<typeof Counter>;
const counters = store<Counter>('connectorState', (raw) => Counter.parse(raw), (doc) => doc.id);

beforeAll(() => useStackSettings());

describe('store', () => {
  it('reads a missing document as undefined and strips Cosmos system properties from a found one', async () => {
    const id = `store-${randomUUID()}`;
    await expect(counters.read(id, id)).resolves.toBeUndefined();
    const created = await counters.create({ id, count: 0 });
    expect(created?.doc).toEqual({ id, count: 0 });
    expect(created?.etag).toMatch(/./);
    const read = await counters.read(id, id);
    expect(read).toEqual(created);
  });

  it('answers a create of an existing id with undefined and leaves the stored document alone', async () => {
    const id = `store-${randomUUID()}`;
    await counters.create({ id, count: 1 });
    await expect(counters.create({ id, count: 2 })).resolves.toBeUndefined();
    expect((await counters.read(id, id))?.doc.count).toBe(1);
  });

  it('replaces only while the ETag is unchanged', async () => {
    const id = `store-${randomUUID()}`;
    const first = await counters.create({ id, count: 1 });
    const second = await counters.replaceIfUnchanged({ id, count: 2 }, first?.etag ?? '');
    expect(second?.doc.count).toBe(2);
    await expect(counters.replaceIfUnchanged({ id, count: 3 }, first?.etag ?? '')).resolves.toBeUndefined();
    await expect(counters.replaceIfUnchanged({ id: `store-${randomUUID()}`, count: 3 }, 'x')).resolves.toBeUndefined();
    expect((await counters.read(id, id))?.doc.count).toBe(2);
  });

  it('patches only when the filter condition holds and the document exists', async () => {
    const id = `store-${randomUUID()}`;
    await counters.create({ id, count: 1 });
    const under = await counters.patch(id, id, [{ op: 'incr', path: '/count', value: 1 }], { filter: 'FROM c WHERE c.count < 2' });
    expect(under?.doc.count).toBe(2);
    await expect(counters.patch(id, id, [{ op: 'incr', path: '/count', value: 1 }], { filter: 'FROM c WHERE c.count < 2' })).resolves.toBeUndefined();
    await expect(counters.patch(`store-${randomUUID()}`, 'x', [{ op: 'set', path: '/note', value: 'n' }])).resolves.toBeUndefined();
    expect((await counters.read(id, id))?.doc.count).toBe(2);
  });

  it('removes only while the ETag is unchanged, and says whether it removed', async () => {
    const id = `store-${randomUUID()}`;
    const first = await counters.create({ id, count: 1 });
    await counters.upsert({ id, count: 5 });
    await expect(counters.remove(id, id, first?.etag)).resolves.toBe(false);
    await expect(counters.remove(id, id)).resolves.toBe(true);
    await expect(counters.remove(id, id)).resolves.toBe(false);
  });
});

describe('retryOnConflict', () => {
  it('loses no increment among 12 racing read-modify-writes', async () => {
    const id = `store-${randomUUID()}`;
    await counters.create({ id, count: 0 });
    const increment = () =>
      retryOnConflict(async () => {
        const current = await counters.read(id, id);
        if (!current) throw new Error('gone');
        return (await counters.replaceIfUnchanged({ ...current.doc, count: current.doc.count + 1 }, current.etag)) ?? RETRY;
      });
    await Promise.all(Array.from({ length: 12 }, increment));
    expect((await counters.read(id, id))?.doc.count).toBe(12);
  });

  it('tells the caller to come back (503 with Retry-After) when every attempt lost its race', async () => {
    let attempts = 0;
    const error = await retryOnConflict(async () => {
      attempts += 1;
      return RETRY;
    }, 'The counter').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).status).toBe(503);
    expect((error as AppError).message).toContain('The counter');
    expect(attempts).toBeGreaterThan(1);
  });
});

describe('claimUniqueKey', () => {
  const guardFor = (value: string): UniqueKeyGuard => ({
    container: 'connectorState',
    id: `guard-${value}`,
    partitionKey: `guard-${value}`,
    ownerField: 'ownerId',
    fields: { docType: 'guard', value },
  });

  it('gives a value to exactly one of ten racing claimants', async () => {
    const guard = guardFor(randomUUID());
    const claims = await Promise.all(Array.from({ length: 10 }, (_, i) => claimUniqueKey(guard, `owner-${i}`, async () => true)));
    expect(claims.filter((claim) => claim.status === 'taken')).toHaveLength(1);
    const winner = await uniqueKeyOwner(guard);
    for (const claim of claims) if (claim.status === 'held') expect(claim.owner).toBe(winner);
  });

  it('answers ours to the holder, held to another while the holder still holds it', async () => {
    const guard = guardFor(randomUUID());
    await expect(claimUniqueKey(guard, 'a', async () => true)).resolves.toEqual({ status: 'taken' });
    await expect(claimUniqueKey(guard, 'a', async () => true)).resolves.toEqual({ status: 'ours' });
    await expect(claimUniqueKey(guard, 'b', async (owner) => owner === 'a')).resolves.toEqual({ status: 'held', owner: 'a' });
  });

  it('takes over a guard left behind by a holder that no longer holds the value', async () => {
    const guard = guardFor(randomUUID());
    await claimUniqueKey(guard, 'crashed', async () => true);
    await expect(claimUniqueKey(guard, 'next', async () => false)).resolves.toEqual({ status: 'taken' });
    await expect(uniqueKeyOwner(guard)).resolves.toBe('next');
  });

  it('releases only for the current holder', async () => {
    const guard = guardFor(randomUUID());
    await claimUniqueKey(guard, 'a', async () => true);
    await releaseUniqueKey(guard, 'b');
    await expect(uniqueKeyOwner(guard)).resolves.toBe('a');
    await releaseUniqueKey(guard, 'a');
    await expect(uniqueKeyOwner(guard)).resolves.toBeUndefined();
  });
});
