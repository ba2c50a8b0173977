import type { Container, Database } from '@azure/cosmos';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PrivateCosmos, startPrivateCosmos } from '../support/private-cosmos';

/**
 * Time to live in the embedded Cosmos DB server (`local/cosmos-ttl.ts`), as Cosmos DB has it: the
 * `idempotency` and `cache` containers rely on it. Deterministic on a busy machine: the one wait is
 * until the clock has passed `_ts + ttl` of what was written, and every other document is one that
 * must stay.
 */
let cosmos: PrivateCosmos | undefined;
let database: Database;

beforeAll(async () => {
  cosmos = await startPrivateCosmos();
  ({ database } = await cosmos.client.databases.create({ id: 'ttl' }));
});

afterAll(async () => {
  await cosmos?.stop();
});

async function containerWith(id: string, defaultTtl: number | undefined): Promise<Container> {
  const { container } = await database.containers.create({ id, partitionKey: { paths: ['/id'] }, ...(defaultTtl === undefined ? {} : { defaultTtl }) });
  return container;
}

async function write(container: Container, id: string, ttl?: number): Promise<number> {
  const { resource } = await container.items.create({ id, ...(ttl === undefined ? {} : { ttl }) });
  return Number(resource?._ts);
}

async function isReadable(container: Container, id: string): Promise<boolean> {
  const { statusCode } = await container.item(id, id).read();
  return statusCode === 200;
}

async function listed(container: Container): Promise<string[]> {
  const { resources } = await container.items.query<{ id: string }>('SELECT c.id FROM c').fetchAll();
  return resources.map((doc) => doc.id).sort();
}

async function counted(container: Container): Promise<number> {
  const { resources } = await container.items.query<number>('SELECT VALUE COUNT(1) FROM c').fetchAll();
  return resources[0] ?? -1;
}

/** Until the server's clock (this machine's) is past `_ts + ttl` of every document written. */
async function waitPast(expiresAt: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Math.floor(Date.now() / 1000) < expiresAt) {
    if (Date.now() > deadline) throw new Error('the clock did not pass the expiry within 10 s');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('the embedded Cosmos DB server honours time to live', () => {
  it('hides documents past _ts + ttl from point reads, queries and counts, and lets their id be created again', async () => {
    const byDefault = await containerWith('default-ttl', 1);
    const optIn = await containerWith('opt-in', -1);
    const off = await containerWith('no-ttl', undefined);
    const written = [
      await write(byDefault, 'expires-by-default'),
      await write(byDefault, 'never', -1),
      await write(byDefault, 'an-hour', 3600),
      await write(optIn, 'expires-by-its-own', 1),
      await write(optIn, 'no-ttl-of-its-own'),
      // Without TTL on the container, a document's own ttl means nothing (as in Cosmos DB).
      await write(off, 'ttl-ignored', 1),
    ];
    await waitPast(Math.max(...written) + 1);

    expect(await isReadable(byDefault, 'expires-by-default')).toBe(false);
    expect(await isReadable(byDefault, 'never')).toBe(true);
    expect(await isReadable(byDefault, 'an-hour')).toBe(true);
    expect(await listed(byDefault)).toEqual(['an-hour', 'never']);
    expect(await counted(byDefault)).toBe(2);

    expect(await isReadable(optIn, 'expires-by-its-own')).toBe(false);
    expect(await listed(optIn)).toEqual(['no-ttl-of-its-own']);
    expect(await listed(off)).toEqual(['ttl-ignored']);
    expect(await isReadable(off, 'ttl-ignored')).toBe(true);

    // An expired id is free again: a create succeeds instead of answering 409.
    const { statusCode } = await optIn.items.create({ id: 'expires-by-its-own', ttl: 3600 });
    expect(statusCode).toBe(201);
    expect(await isReadable(optIn, 'expires-by-its-own')).toBe(true);
  });
});
