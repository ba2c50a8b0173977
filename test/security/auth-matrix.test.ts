import { describe, expect, it } from 'vitest';
import { Role } from '../../shared/auth/auth.schema';
import { effectiveRoles } from '../../shared/auth/auth.service';
import { adminKey, call, expectProblem, keyWithRoles, signToken } from '../support/api';
import { fillPath, operations } from '../support/openapi';
import { needsLocalStack } from '../support/stack-env';

/**
 * Every operation × every way a caller can be refused, generated from the OpenAPI document and the
 * roles each route declares (`x-roles`): a new route is covered without editing this file.
 */
const ROLES = Role.options;
/** The roles a key with this one role acts with, by the rule the app applies (shared/auth/auth.service.ts). */
const implied = (role: Role): Set<Role> => effectiveRoles({ id: `apikey:${role}`, kind: 'apiKey', roles: [role] });

async function revokedKey(): Promise<string> {
  const key = await keyWithRoles(['admin']);
  const response = await call('DELETE', `/v1/api-keys/${key.split('.')[0]}`, { key: adminKey() });
  expect(response.status).toBe(200);
  return key;
}

async function expiredKey(): Promise<string> {
  const key = await keyWithRoles(['admin'], { expiresAt: new Date(Date.now() + 1_000).toISOString() });
  await new Promise((resolve) => setTimeout(resolve, 1_100));
  return key;
}

const guarded = (await operations()).filter((op) => Array.isArray(op.roles));

needsLocalStack.describe('every role-guarded operation', async () => {
  const credentials = {
    'no credentials': {},
    'a malformed key': { key: 'not-a-key' },
    'an unknown key': { key: `${'a'.repeat(24)}.${'b'.repeat(43)}` },
    'a revoked key': { key: await revokedKey() },
    'an expired key': { key: await expiredKey() },
    'an expired JWT': { token: await signToken({ roles: ['admin'] }, { expiresIn: Math.floor(Date.now() / 1000) - 600 }) },
    'a JWT for another audience': { token: await signToken({ roles: ['admin'], aud: 'api://other' }) },
    'a JWT from another issuer': { token: await signToken({ roles: ['admin'], iss: 'https://issuer.example' }) },
  };

  it('is guarded by at least one route', () => {
    expect(guarded.length).toBeGreaterThan(0);
  });

  for (const [name, credential] of Object.entries(credentials)) {
    it(`answers 401 problem+json to ${name}`, async () => {
      for (const op of guarded) {
        const response = await call(op.method, fillPath(op.path), { ...credential, body: op.requestBody ? {} : undefined });
        expect(response.status, `${op.method} ${op.path}`).toBe(401);
        // HEAD answers the same status and headers, without the problem body.
        if (op.method !== 'HEAD') expectProblem(response, 401);
      }
    });
  }

  it('answers 403 problem+json to a caller whose roles are all outside the declared ones', async () => {
    const keys = new Map<string, string>();
    for (const role of ROLES) keys.set(role, await keyWithRoles([role]));
    let checked = 0;
    for (const op of guarded) {
      const allowed = op.roles as string[];
      for (const role of ROLES) {
        if ([...implied(role)].some((r) => allowed.includes(r))) continue;
        const response = await call(op.method, fillPath(op.path), { key: keys.get(role), body: op.requestBody ? {} : undefined });
        expect(response.status, `${role} on ${op.method} ${op.path}`).toBe(403);
        if (op.method !== 'HEAD') expectProblem(response, 403);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(0);
  });
});

needsLocalStack.describe('every operation on a campaign', async () => {
  const campaignScoped = (await operations()).filter(
    (op) => op.path.includes('{campaignId}') && Array.isArray(op.roles) && op.roles.includes('labeller'),
  );

  async function campaignWithLabeller(title: string): Promise<{ id: string; labellerKey: string; imageId: string }> {
    const imagesets = await call<{ items: { id: string; status: string }[] }>('GET', '/v1/imagesets?limit=100', { key: adminKey() });
    const imageset = imagesets.body.items.find((i) => i.status === 'ready');
    expect(imageset, 'the seeded sample imageset').toBeDefined();
    const images = await call<{ items: { id: string }[] }>('GET', `/v1/imagesets/${imageset?.id}/images`, { key: adminKey() });
    const campaign = await call<{ id: string }>('POST', '/v1/campaigns', {
      key: adminKey(),
      body: { title: `${title} ${Date.now()}`, imagesetIds: [imageset?.id], labels: ['bottle'] },
    });
    expect(campaign.status, campaign.text).toBe(201);
    const labeller = await call<{ key: string }>('POST', `/v1/campaigns/${campaign.body.id}/labellers`, {
      key: adminKey(),
      body: { name: `labeller of ${title}` },
    });
    expect(labeller.status, labeller.text).toBe(201);
    return { id: campaign.body.id, labellerKey: labeller.body.key, imageId: images.body.items[0]?.id ?? 'none' };
  }

  it('refuses a labeller of campaign A on campaign B', async () => {
    expect(campaignScoped.length).toBeGreaterThan(0);
    const a = await campaignWithLabeller('campaign A');
    const b = await campaignWithLabeller('campaign B');
    for (const op of campaignScoped) {
      const response = await call(op.method, fillPath(op.path, { campaignId: b.id, imageId: b.imageId }), {
        key: a.labellerKey,
        body: op.requestBody ? {} : undefined,
      });
      expect([403, 404], `${op.method} ${op.path}: ${response.status}`).toContain(response.status);
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    }
  });
});
