import { generateKeyPair, importJWK, SignJWT } from 'jose';
import { describe, expect, inject, it } from 'vitest';
import { adminKey, call, expectProblem, keyWithRoles, signToken } from '../support/api';
import { needsLocalStack } from '../support/stack-env';

describe('POST /api/v1/api-keys', () => {
  it('creates a key whose secret is shown once and works at once', async () => {
    const sut = await call<{ id: string; key: string; roles: string[] }>('POST', '/v1/api-keys', {
      key: adminKey(),
      body: { name: 'reader for ci', roles: ['reader'] },
    });
    expect(sut.status).toBe(201);
    expect(sut.headers.get('location')).toBe(`/api/v1/api-keys/${sut.body.id}`);
    expect(sut.body.key).toMatch(new RegExp(`^${sut.body.id}\\.[A-Za-z0-9_-]{43}$`));
    const again = await call('GET', `/v1/api-keys/${sut.body.id}`, { key: adminKey() });
    expect(again.status).toBe(200);
    expect(again.text).not.toContain(sut.body.key.split('.')[1]);
    expect(again.body).not.toHaveProperty('secretHash');
  });

  it('refuses unknown fields, naming them', async () => {
    const sut = await call('POST', '/v1/api-keys', { key: adminKey(), body: { name: 'x', roles: ['reader'], isRoot: true } });
    const problem = expectProblem(sut, 400);
    expect(problem.errors).toEqual([expect.objectContaining({ pointer: '/body' })]);
    expect(String(problem.detail)).toContain('isRoot');
  });

  it('refuses an unknown role, naming the field', async () => {
    const problem = expectProblem(await call('POST', '/v1/api-keys', { key: adminKey(), body: { name: 'x', roles: ['root'] } }), 400);
    expect(problem.errors).toEqual([expect.objectContaining({ pointer: '/body/roles/0' })]);
  });

  it('refuses an expiry in the past', async () => {
    const sut = await call('POST', '/v1/api-keys', {
      key: adminKey(),
      body: { name: 'x', roles: ['reader'], expiresAt: '2020-01-01T00:00:00Z' },
    });
    expect(expectProblem(sut, 400).errors).toEqual([expect.objectContaining({ pointer: '/body/expiresAt' })]);
  });

  it('refuses a body that is not JSON', async () => {
    const sut = await call('POST', '/v1/api-keys', { key: adminKey(), rawBody: '{"name":', headers: { 'Content-Type': 'application/json' } });
    expect(expectProblem(sut, 400).errors).toEqual([{ pointer: '/body', message: 'is not valid JSON' }]);
  });

  it('refuses another content type with 415', async () => {
    const sut = await call('POST', '/v1/api-keys', { key: adminKey(), rawBody: 'name=x', headers: { 'Content-Type': 'text/plain' } });
    expect(expectProblem(sut, 415).detail).toContain('application/json');
  });

  it('refuses a body over the limit with 413', async () => {
    const sut = await call('POST', '/v1/api-keys', { key: adminKey(), body: { name: 'x'.repeat(1_100_000), roles: ['reader'] } });
    expectProblem(sut, 413);
  });

  it('is for admins only', async () => {
    const contributor = await keyWithRoles(['contributor']);
    expectProblem(await call('POST', '/v1/api-keys', { key: contributor, body: { name: 'x', roles: ['admin'] } }), 403);
  });
});

describe('GET /api/v1/api-keys', () => {
  it('pages through keys without their secrets', async () => {
    await keyWithRoles(['reader']);
    await keyWithRoles(['reader']);
    const first = await call<{ items: Record<string, unknown>[]; nextCursor: string | null }>('GET', '/v1/api-keys?limit=1', { key: adminKey() });
    expect(first.status).toBe(200);
    expect(first.body.items).toHaveLength(1);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    expect(first.headers.get('link')).toContain('rel="next"');
    const second = await call<{ items: Record<string, unknown>[] }>('GET', `/v1/api-keys?limit=1&cursor=${first.body.nextCursor}`, { key: adminKey() });
    expect(second.body.items[0]?.id).not.toBe(first.body.items[0]?.id);
    expect(JSON.stringify([first.body, second.body])).not.toMatch(/secretHash|"key"/);
  });

  it('refuses a limit out of range, naming it', async () => {
    const problem = expectProblem(await call('GET', '/v1/api-keys?limit=1000', { key: adminKey() }), 400);
    expect(problem.errors).toEqual([expect.objectContaining({ pointer: '/query/limit' })]);
  });
});

describe('DELETE /api/v1/api-keys/{keyId}', () => {
  it('revokes a key: its next request is refused', async () => {
    const key = await keyWithRoles(['admin']);
    expect((await call('GET', '/v1/api-keys?limit=1', { key })).status).toBe(200);
    const sut = await call<{ revokedAt: string }>('DELETE', `/v1/api-keys/${key.split('.')[0]}`, { key: adminKey() });
    expect(sut.status).toBe(200);
    expect(sut.body.revokedAt).toEqual(expect.any(String));
    expectProblem(await call('GET', '/v1/api-keys?limit=1', { key }), 401);
  });

  it('answers 404 for a key that does not exist', async () => {
    expectProblem(await call('DELETE', `/v1/api-keys/${'0'.repeat(24)}`, { key: adminKey() }), 404);
  });
});

describe('API key authentication', () => {
  it('refuses a missing key with 401 problem+json', async () => {
    const sut = await call('GET', '/v1/api-keys');
    expectProblem(sut, 401);
    expect(sut.headers.get('www-authenticate')).toContain('Bearer');
  });

  it('refuses a malformed key', async () => {
    expectProblem(await call('GET', '/v1/api-keys', { key: 'nonsense' }), 401);
  });

  it('refuses a right id with a wrong secret', async () => {
    const key = await keyWithRoles(['admin']);
    const [id] = key.split('.');
    expectProblem(await call('GET', '/v1/api-keys', { key: `${id}.${'A'.repeat(43)}` }), 401);
  });

  it('refuses an expired key', async () => {
    const key = await keyWithRoles(['admin'], { expiresAt: new Date(Date.now() + 1_500).toISOString() });
    expect((await call('GET', '/v1/api-keys?limit=1', { key })).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 1_600));
    expectProblem(await call('GET', '/v1/api-keys?limit=1', { key }), 401);
  });

  it('never trusts x-ms-client-principal', async () => {
    const forged = Buffer.from(JSON.stringify({ userId: 'x', userRoles: ['admin'], identityProvider: 'aad' })).toString('base64');
    expectProblem(await call('GET', '/v1/api-keys', { headers: { 'x-ms-client-principal': forged } }), 401);
  });
});

// Tokens from the test's own issuer: a deployment trusts Entra ID, not it.
needsLocalStack.describe('bearer JWT authentication', () => {
  it('accepts a token from the configured issuer with the admin role', async () => {
    const token = await signToken({ roles: ['admin'] });
    expect((await call('GET', '/v1/api-keys?limit=1', { token })).status).toBe(200);
  });

  it('refuses an expired token', async () => {
    const token = await signToken({ roles: ['admin'] }, { expiresIn: Math.floor(Date.now() / 1000) - 600 });
    expect(String(expectProblem(await call('GET', '/v1/api-keys', { token }), 401).detail)).toContain('ERR_JWT_EXPIRED');
  });

  it('refuses a token without an expiry (exp), which would otherwise be good forever', async () => {
    const { issuer, audience, privateJwk } = inject('jwks');
    const jwk = JSON.parse(privateJwk) as Record<string, unknown>;
    const token = await new SignJWT({ roles: ['admin'] })
      .setProtectedHeader({ alg: 'RS256', kid: String(jwk.kid) })
      .setIssuer(issuer)
      .setAudience(audience)
      .setSubject('user-1')
      .setIssuedAt()
      .sign(await importJWK(jwk, 'RS256'));
    expect(String(expectProblem(await call('GET', '/v1/api-keys', { token }), 401).detail)).toContain('ERR_JWT_CLAIM_VALIDATION_FAILED');
  });

  it('refuses a token for another audience', async () => {
    const token = await signToken({ roles: ['admin'], aud: 'api://someone-else' });
    expectProblem(await call('GET', '/v1/api-keys', { token }), 401);
  });

  it('refuses a token from another issuer', async () => {
    const token = await signToken({ roles: ['admin'], iss: 'https://evil.example' });
    expectProblem(await call('GET', '/v1/api-keys', { token }), 401);
  });

  it('refuses a token with a bad signature', async () => {
    const { privateKey } = await generateKeyPair('RS256');
    const { issuer, audience } = inject('jwks');
    const token = await new SignJWT({ roles: ['admin'] })
      .setProtectedHeader({ alg: 'RS256', kid: 'test-key' })
      .setIssuer(issuer)
      .setAudience(audience)
      .setSubject('mallory')
      .setExpirationTime('5m')
      .sign(privateKey);
    expectProblem(await call('GET', '/v1/api-keys', { token }), 401);
  });

  it('refuses an unsigned token', async () => {
    const { issuer, audience } = inject('jwks');
    const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const token = `${encode({ alg: 'none' })}.${encode({ iss: issuer, aud: audience, sub: 'x', roles: ['admin'], exp: Date.now() / 1000 + 60 })}.`;
    expectProblem(await call('GET', '/v1/api-keys', { token }), 401);
  });

  it('answers 403 to a valid token without the role', async () => {
    const token = await signToken({ roles: ['reader'] });
    expectProblem(await call('GET', '/v1/api-keys', { token }), 403);
  });

  it('refuses a malformed Authorization header', async () => {
    expectProblem(await call('GET', '/v1/api-keys', { headers: { Authorization: 'Basic YTpi' } }), 401);
  });
});
