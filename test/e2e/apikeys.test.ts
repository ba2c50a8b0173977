import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { container } from '../../shared/azure/cosmos';
import { adminKey, type ApiResponse, call, expectProblem, keyWithRoles } from '../support/api';
import { needsLocalStack, useStackSettings } from '../support/stack-env';
import type { CreatedApiKey as CreatedKey } from '../../shared/auth/auth.schema';

/** `POST /api/v1/api-keys` with `Idempotency-Key`: a retry after a lost answer gets the same key, secret included. */

beforeAll(() => {
  // For reading the idempotency records straight from the Cosmos DB server.
  useStackSettings();
});

const uniqueName = () => `idempotent ${randomUUID()}`;
const newIdempotencyKey = () => `"${randomUUID()}"`;

function createKey(body: Record<string, unknown>, idempotencyKey?: string, asAdmin = adminKey()): Promise<ApiResponse<CreatedKey>> {
  return call<CreatedKey>('POST', '/v1/api-keys', {
    key: asAdmin,
    body,
    headers: idempotencyKey === undefined ? {} : { 'Idempotency-Key': idempotencyKey },
  });
}

/** Every stored key with this name, paging through the whole list. */
async function keysNamed(name: string): Promise<{ id: string }[]> {
  const found: { id: string }[] = [];
  let path: string | undefined = '/v1/api-keys?limit=100';
  while (path) {
    const page: ApiResponse<{ items: { id: string; name: string }[]; nextCursor: string | null }> = await call('GET', path, { key: adminKey() });
    expect(page.status, page.text).toBe(200);
    found.push(...page.body.items.filter((item) => item.name === name));
    path = page.body.nextCursor ? `/v1/api-keys?limit=100&cursor=${encodeURIComponent(page.body.nextCursor)}` : undefined;
  }
  return found;
}

needsLocalStack.describe('POST /api/v1/api-keys with Idempotency-Key', () => {
  it('answers a retry with the same key and the same secret, and stores one key', async () => {
    const body = { name: uniqueName(), roles: ['reader'] };
    const idempotencyKey = newIdempotencyKey();
    const first = await createKey(body, idempotencyKey);
    expect(first.status, first.text).toBe(201);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    const sut = await createKey(body, idempotencyKey);
    expect(sut.status, sut.text).toBe(201);
    expect(sut.headers.get('idempotent-replayed')).toBe('true');
    expect(sut.headers.get('location')).toBe(`/api/v1/api-keys/${first.body.id}`);
    expect(sut.body).toEqual(first.body);
    expect((await keysNamed(body.name)).map((key) => key.id)).toEqual([first.body.id]);
  });

  it('replays a secret that authenticates', async () => {
    const body = { name: uniqueName(), roles: ['admin'] };
    const idempotencyKey = newIdempotencyKey();
    await createKey(body, idempotencyKey);
    const sut = await createKey(body, idempotencyKey);
    expect(sut.status, sut.text).toBe(201);
    const asTheKey = await call('GET', `/v1/api-keys/${sut.body.id}`, { key: sut.body.key });
    expect(asTheKey.status, asTheKey.text).toBe(200);
  });

  it('treats the same body in another field order as the same request', async () => {
    const name = uniqueName();
    const idempotencyKey = newIdempotencyKey();
    const first = await createKey({ name, roles: ['reader', 'contributor'] }, idempotencyKey);
    const sut = await createKey({ roles: ['contributor', 'reader'], name }, idempotencyKey);
    expect(sut.status, sut.text).toBe(201);
    expect(sut.body.id).toBe(first.body.id);
  });

  it('refuses the same Idempotency-Key with a different body with 422 naming the header', async () => {
    const idempotencyKey = newIdempotencyKey();
    const first = await createKey({ name: uniqueName(), roles: ['reader'] }, idempotencyKey);
    expect(first.status, first.text).toBe(201);
    const problem = expectProblem(await createKey({ name: uniqueName(), roles: ['admin'] }, idempotencyKey), 422);
    expect(problem.errors).toEqual([expect.objectContaining({ pointer: '/headers/idempotency-key' })]);
  });

  it('scopes the Idempotency-Key to its caller: another admin with the same key gets a key of their own', async () => {
    const otherAdmin = await keyWithRoles(['admin']);
    const body = { name: uniqueName(), roles: ['reader'] };
    const idempotencyKey = newIdempotencyKey();
    const mine = await createKey(body, idempotencyKey);
    const sut = await createKey(body, idempotencyKey, otherAdmin);
    expect(sut.status, sut.text).toBe(201);
    expect(sut.headers.get('idempotent-replayed')).toBeNull();
    expect(sut.body.id).not.toBe(mine.body.id);
    expect(sut.body.key).not.toBe(mine.body.key);
    expect((await keysNamed(body.name)).map((key) => key.id).sort()).toEqual([mine.body.id, sut.body.id].sort());
  });

  it('creates a key per request without the header, as before', async () => {
    const body = { name: uniqueName(), roles: ['reader'] };
    const first = await createKey(body);
    const second = await createKey(body);
    expect([first.status, second.status]).toEqual([201, 201]);
    expect(second.body.id).not.toBe(first.body.id);
    expect(await keysNamed(body.name)).toHaveLength(2);
  });

  it('answers duplicates racing the first request with the key or 409 with Retry-After, never a second key', async () => {
    const body = { name: uniqueName(), roles: ['reader'] };
    const idempotencyKey = newIdempotencyKey();
    const answers = await Promise.all(Array.from({ length: 6 }, () => createKey(body, idempotencyKey)));
    const created = answers.filter((answer) => answer.status === 201);
    expect(created.length).toBeGreaterThanOrEqual(1);
    expect(new Set(created.map((answer) => answer.body.key)).size).toBe(1);
    for (const answer of answers.filter((a) => a.status !== 201)) {
      expectProblem(answer, 409);
      expect(answer.headers.get('retry-after')).toMatch(/^\d+$/);
    }
    expect(await keysNamed(body.name)).toHaveLength(1);
  });

  it('refuses an Idempotency-Key shorter than 16 characters: it is what guards the sealed secret', async () => {
    const problem = expectProblem(await createKey({ name: uniqueName(), roles: ['reader'] }, '"short-key"'), 400);
    expect(problem.errors).toEqual([expect.objectContaining({ pointer: '/headers/idempotency-key' })]);
  });

  it('stores the secret for replays only sealed, with a TTL, and never the Idempotency-Key', async () => {
    const rawKey = randomUUID();
    const sut = await createKey({ name: uniqueName(), roles: ['reader'] }, `"${rawKey}"`);
    expect(sut.status, sut.text).toBe(201);
    const secret = sut.body.key.split('.')[1] ?? '';
    const { resources } = await container('idempotency')
      .items.query({ query: 'SELECT * FROM c WHERE c.resourceId = @id', parameters: [{ name: '@id', value: sut.body.id }] })
      .fetchAll();
    expect(resources).toHaveLength(1);
    const stored = JSON.stringify(resources[0]);
    expect(resources[0]).toMatchObject({ ttl: 3_600, sealed: { alg: 'A256GCM+HKDF-SHA256' } });
    expect(stored).not.toContain(secret);
    expect(stored).not.toContain(Buffer.from(secret, 'base64url').toString('hex'));
    expect(stored).not.toContain(Buffer.from(secret, 'base64url').toString('base64'));
    expect(stored).not.toContain(rawKey);
  });
});
