import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyWebhook } from '../../shared/inference/webhook.service';
import { adminKey, call, expectProblem, keyWithRoles } from '../support/api';
import {
  grantAccess,
  httpModel,
  IRIS,
  KNOWN_ROWS,
  principalOf,
  startServer,
  submit,
  submitted,
  type TestServer,
} from './inference-support';
import { type Job, waitForJob } from '../support/jobs';
import { needsLocalStack } from '../support/stack-env';

let alice = '';
let bob = '';

beforeAll(async () => {
  alice = await keyWithRoles(['reader']);
  bob = await keyWithRoles(['reader']);
  await grantAccess(IRIS, alice);
  await grantAccess(IRIS, bob);
});

needsLocalStack.describe('POST /api/v1/models/{id}/jobs', () => {
  it('accepts an iris job with 202, Location and the job URLs, and the job succeeds with the right species', async () => {
    for (const row of KNOWN_ROWS) {
      const sut = await submit(IRIS, alice, { input: row.input });
      expect(sut.status, sut.text).toBe(202);
      expect(sut.headers.get('location')).toBe(`/api/v1/jobs/${sut.body.id}`);
      expect(sut.body).toMatchObject({ id: expect.any(String), status: 'queued', model: { id: IRIS, version: expect.stringMatching(/^1\.0\.0\+[0-9a-f]{12}$/) } });
      expect(sut.body.urls.get).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:\\d+/api/v1/jobs/${sut.body.id}$`));
      expect(sut.body.urls.cancel).toBe(`${sut.body.urls.get}/cancel`);
      expect(sut.body).not.toHaveProperty('webhookSecret');
      const job = await waitForJob(sut.body.id, alice);
      expect(job).toMatchObject({ status: 'succeeded', kind: 'inference.run', attempts: 1, labels: { modelId: IRIS } });
      expect(job.result).toMatchObject({ species: row.species });
      const probabilities = (job.result as { probabilities: Record<string, number> }).probabilities;
      expect(probabilities[row.species]).toBeGreaterThan(0.5);
      expect(job.startedAt).toEqual(expect.any(String));
      expect(job.finishedAt).toEqual(expect.any(String));
    }
  });

  it('validates the input against the model’s input schema, naming the bad fields', async () => {
    const sut = await submit(IRIS, alice, { input: { sepal_length: -1, sepal_width: 3, petal_length: 1 } });
    const problem = expectProblem(sut, 400);
    expect(problem.errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ pointer: '/body/input/sepal_length' }),
        expect.objectContaining({ pointer: '/body/input/petal_width' }),
      ]),
    );
  });

  it('refuses unknown fields, a body with neither or both of input and imagesetId, and a bad deadline', async () => {
    expectProblem(await submit(IRIS, alice, { input: KNOWN_ROWS[0].input, priority: 'high' }), 400);
    expectProblem(await submit(IRIS, alice, {}), 400);
    expectProblem(await submit(IRIS, alice, { input: KNOWN_ROWS[0].input, imagesetId: '0123456789abcdef' }), 400);
    expectProblem(await submit(IRIS, alice, { input: KNOWN_ROWS[0].input, cancelAfter: 'soon' }), 400);
    expectProblem(await submit(IRIS, alice, { input: KNOWN_ROWS[0].input }, { 'Cancel-After': '-5s' }), 400);
    expectProblem(await submit(IRIS, alice, { input: KNOWN_ROWS[0].input, webhookUrl: 'http://example.com/hook' }), 400);
    expectProblem(await submit(IRIS, alice, { input: KNOWN_ROWS[0].input, webhookUrl: 'https://169.254.169.254/latest' }), 400);
    // Found by the fuzzer: a webhookUrl that is no URL at all was a 500.
    for (const webhookUrl of ['not a url', 'NaN', '😀🔥', 'x'.repeat(2_049)]) {
      const problem = expectProblem(await submit(IRIS, alice, { input: KNOWN_ROWS[0].input, webhookUrl }), 400);
      expect(problem.errors).toEqual(expect.arrayContaining([expect.objectContaining({ pointer: '/body/webhookUrl' })]));
    }
  });

  it('answers 404 for a model that does not exist and 422 for a catalogued model without a runtime', async () => {
    expectProblem(await submit('no-such-model', alice, { input: {} }), 404);
    expectProblem(await submit('seed-model-litter-detector', alice, { input: {} }), 422);
  });

  it('refuses a caller without a grant with 403, and anonymous callers with 401', async () => {
    const stranger = await keyWithRoles(['reader']);
    const problem = expectProblem(await submit(IRIS, stranger, { input: KNOWN_ROWS[0].input }), 403);
    expect(String(problem.detail)).toContain('grant');
    expectProblem(await call('POST', `/v1/models/${IRIS}/jobs`, { body: { input: KNOWN_ROWS[0].input } }), 401);
  });

  it('refuses a caller whose grant expired', async () => {
    const carol = await keyWithRoles(['reader']);
    await grantAccess(IRIS, carol, { expiresAt: new Date(Date.now() + 1_500).toISOString() });
    await new Promise((resolve) => setTimeout(resolve, 1_600));
    expect(String(expectProblem(await submit(IRIS, carol, { input: KNOWN_ROWS[0].input }), 403).detail)).toContain('expired');
  });
});

needsLocalStack.describe('quotas', () => {
  it('answers 429 with Retry-After and names the daily limit once it is used up', async () => {
    const sut = await keyWithRoles(['reader']);
    await grantAccess(IRIS, sut, { dailyLimit: 2, monthlyLimit: 100 });
    await submitted(IRIS, sut, { input: KNOWN_ROWS[0].input });
    await submitted(IRIS, sut, { input: KNOWN_ROWS[1].input });
    const refused = await submit(IRIS, sut, { input: KNOWN_ROWS[2].input });
    const problem = expectProblem(refused, 429);
    expect(problem).toMatchObject({ limit: 'daily', limitValue: 2, modelId: IRIS });
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(86_400);
    const grant = await call<{ usage: { daily: { used: number; remaining: number } } }>('GET', `/v1/models/${IRIS}/grant`, { key: sut });
    expect(grant.body.usage.daily).toMatchObject({ used: 2, remaining: 0 });
  });

  it('names the monthly limit when that one is reached first', async () => {
    const sut = await keyWithRoles(['reader']);
    await grantAccess(IRIS, sut, { dailyLimit: 1, monthlyLimit: 1 });
    await submitted(IRIS, sut, { input: KNOWN_ROWS[0].input });
    await grantAccess(IRIS, sut, { dailyLimit: 5, monthlyLimit: 1 });
    expect(expectProblem(await submit(IRIS, sut, { input: KNOWN_ROWS[0].input }), 429)).toMatchObject({ limit: 'monthly', limitValue: 1 });
  });

  it('counts concurrent submissions atomically: exactly the limit is accepted, none lost', async () => {
    const sut = await keyWithRoles(['reader']);
    await grantAccess(IRIS, sut, { dailyLimit: 7, monthlyLimit: 100 });
    const responses = await Promise.all(Array.from({ length: 20 }, () => submit(IRIS, sut, { input: KNOWN_ROWS[1].input })));
    expect(responses.filter((r) => r.status === 202)).toHaveLength(7);
    expect(responses.filter((r) => r.status === 429)).toHaveLength(13);
    const grant = await call<{ usage: { daily: { used: number } } }>('GET', `/v1/models/${IRIS}/grant`, { key: sut });
    expect(grant.body.usage.daily.used).toBe(7);
  });
});

needsLocalStack.describe('grants', () => {
  it('are for admins only', async () => {
    const contributor = await keyWithRoles(['contributor']);
    const path = `/v1/models/${IRIS}/grants/${encodeURIComponent(principalOf(contributor))}`;
    expectProblem(await call('PUT', path, { key: contributor, body: { dailyLimit: 10, monthlyLimit: 10 } }), 403);
    expectProblem(await call('GET', `/v1/models/${IRIS}/grants`, { key: alice }), 403);
    expectProblem(await call('DELETE', path, { key: alice }), 403);
  });

  it('are created (201), changed (200), listed with usage, and revoked (then 403)', async () => {
    const dave = await keyWithRoles(['reader']);
    const path = `/v1/models/${IRIS}/grants/${encodeURIComponent(principalOf(dave))}`;
    const created = await call('PUT', path, { key: adminKey(), body: { dailyLimit: 3, monthlyLimit: 30 } });
    expect(created.status, created.text).toBe(201);
    expect(created.headers.get('location')).toBe(`/api${path}`);
    const changed = await call('PUT', path, { key: adminKey(), body: { dailyLimit: 4, monthlyLimit: 30 } });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ principalId: principalOf(dave), modelId: IRIS, dailyLimit: 4, active: true, usage: { daily: { used: 0, limit: 4 } } });
    expect(changed.body).not.toHaveProperty('id');
    const listed = await call<{ items: { principalId: string }[] }>('GET', `/v1/models/${IRIS}/grants?limit=100`, { key: adminKey() });
    expect(listed.status).toBe(200);
    expect(listed.body.items.map((g) => g.principalId)).toContain(principalOf(dave));
    expect((await call('DELETE', path, { key: adminKey() })).status).toBe(204);
    expectProblem(await submit(IRIS, dave, { input: KNOWN_ROWS[0].input }), 403);
    expectProblem(await call('DELETE', path, { key: adminKey() }), 404);
  });

  it('refuse bad limits and a grant on a model that does not exist', async () => {
    const path = `/v1/models/${IRIS}/grants/${encodeURIComponent('apikey:000000000000000000000000')}`;
    expectProblem(await call('PUT', path, { key: adminKey(), body: { dailyLimit: 10 } }), 400);
    expectProblem(await call('PUT', path, { key: adminKey(), body: { dailyLimit: -1, monthlyLimit: 5 } }), 400);
    expectProblem(await call('PUT', path, { key: adminKey(), body: { dailyLimit: 1, monthlyLimit: 5, extra: true } }), 400);
    expectProblem(await call('PUT', path, { key: adminKey(), body: { dailyLimit: 1, monthlyLimit: 5, expiresAt: '2020-01-01T00:00:00Z' } }), 400);
    expectProblem(await call('PUT', '/v1/models/no-such-model/grants/x', { key: adminKey(), body: { dailyLimit: 1, monthlyLimit: 5 } }), 404);
  });
});

needsLocalStack.describe('Idempotency-Key', () => {
  it('returns the same job for the same key and body, without counting a second call', async () => {
    const erin = await keyWithRoles(['reader']);
    await grantAccess(IRIS, erin, { dailyLimit: 10, monthlyLimit: 10 });
    const key = `"${randomUUID()}"`;
    const first = await submit(IRIS, erin, { input: KNOWN_ROWS[2].input }, { 'Idempotency-Key': key });
    expect(first.status, first.text).toBe(202);
    const second = await submit(IRIS, erin, { input: KNOWN_ROWS[2].input }, { 'Idempotency-Key': key });
    expect(second.status).toBe(202);
    expect(second.body.id).toBe(first.body.id);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(second.headers.get('location')).toBe(first.headers.get('location'));
    const grant = await call<{ usage: { daily: { used: number } } }>('GET', `/v1/models/${IRIS}/grant`, { key: erin });
    expect(grant.body.usage.daily.used).toBe(1);
  });

  it('answers 422 when the same key comes with a different body', async () => {
    const key = randomUUID();
    await submitted(IRIS, alice, { input: KNOWN_ROWS[0].input }, { 'Idempotency-Key': key });
    const sut = await submit(IRIS, alice, { input: KNOWN_ROWS[1].input }, { 'Idempotency-Key': key });
    expect(String(expectProblem(sut, 422).detail)).toContain('Idempotency-Key');
  });

  it('scopes a key to its caller: another caller’s identical key makes its own job', async () => {
    const key = randomUUID();
    const mine = await submitted(IRIS, alice, { input: KNOWN_ROWS[0].input }, { 'Idempotency-Key': key });
    const theirs = await submitted(IRIS, bob, { input: KNOWN_ROWS[0].input }, { 'Idempotency-Key': key });
    expect(theirs.id).not.toBe(mine.id);
  });

  it('refuses a malformed key', async () => {
    expectProblem(await submit(IRIS, alice, { input: KNOWN_ROWS[0].input }, { 'Idempotency-Key': 'x'.repeat(300) }), 400);
  });
});

needsLocalStack.describe('GET /api/v1/jobs and cancel', () => {
  it('does not let caller B read or cancel caller A’s job', async () => {
    const job = await submitted(IRIS, alice, { input: KNOWN_ROWS[0].input });
    expectProblem(await call('GET', `/v1/jobs/${job.id}`, { key: bob }), 404);
    expectProblem(await call('POST', `/v1/jobs/${job.id}/cancel`, { key: bob }), 404);
    expect((await call('GET', `/v1/jobs/${job.id}`, { key: adminKey() })).status).toBe(200);
    const mine = await call<{ items: Job[] }>('GET', `/v1/models/${IRIS}/jobs?limit=100`, { key: bob });
    expect(mine.body.items.map((j) => j.id)).not.toContain(job.id);
  });

  it('lists the caller’s own jobs of a model, newest first, filtered by status', async () => {
    const frank = await keyWithRoles(['reader']);
    await grantAccess(IRIS, frank);
    const first = await submitted(IRIS, frank, { input: KNOWN_ROWS[0].input });
    const second = await submitted(IRIS, frank, { input: KNOWN_ROWS[1].input });
    await waitForJob(first.id, frank);
    await waitForJob(second.id, frank);
    const sut = await call<{ items: Job[] }>('GET', `/v1/models/${IRIS}/jobs?status=succeeded`, { key: frank });
    expect(sut.status).toBe(200);
    expect(sut.body.items.map((j) => j.id)).toEqual([second.id, first.id]);
    expect(JSON.stringify(sut.body)).not.toMatch(/"input"|webhook/);
    const all = await call<{ items: Job[] }>('GET', '/v1/jobs?kind=inference.run', { key: frank });
    expect(all.body.items).toHaveLength(2);
  });

  it('answers 409 when canceling a job that has ended', async () => {
    const job = await submitted(IRIS, alice, { input: KNOWN_ROWS[0].input });
    await waitForJob(job.id, alice);
    expectProblem(await call('POST', `/v1/jobs/${job.id}/cancel`, { key: alice }), 409);
  });
});

needsLocalStack.describe('webhooks', () => {
  let receiver: TestServer;

  beforeAll(async () => {
    receiver = await startServer(() => ({ status: 204 }));
  });

  afterAll(async () => {
    await receiver.close();
  });

  it('calls the webhook once when the job ends, signed in the Standard Webhooks style with the secret returned once', async () => {
    const sut = await submitted(IRIS, alice, { input: KNOWN_ROWS[1].input, webhookUrl: receiver.url });
    expect(sut.webhookSecret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    const job = await waitForJob(sut.id, alice);
    const deadline = Date.now() + 10_000;
    while (receiver.calls.filter((c) => (c.body as { data?: { id?: string } }).data?.id === sut.id).length === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
    const calls = receiver.calls.filter((c) => (c.body as { data?: { id?: string } }).data?.id === sut.id);
    expect(calls).toHaveLength(1);
    const [hook] = calls;
    const headers = { id: String(hook?.headers['webhook-id']), timestamp: String(hook?.headers['webhook-timestamp']), signature: String(hook?.headers['webhook-signature']) };
    expect(headers.id).toBe(`msg_${sut.id}`);
    expect(Math.abs(Number(headers.timestamp) - Date.now() / 1000)).toBeLessThan(60);
    expect(headers.signature).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(verifyWebhook(String(sut.webhookSecret), headers, String(hook?.text))).toBe(true);
    expect(verifyWebhook('whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', headers, String(hook?.text))).toBe(false);
    expect(hook?.body).toMatchObject({ type: 'job.succeeded', data: { id: sut.id, status: 'succeeded', result: job.result } });
    // The delivery is a job of its own, visible to the owner.
    const delivery = await waitForJob(`${sut.id}.webhook`, alice, { timeoutMs: 10_000, mayNotExistYet: true });
    expect(delivery).toMatchObject({ kind: 'webhook.deliver', status: 'succeeded', result: { attempts: 1, status: 204 } });
    // Listed only when asked for: the caller's list is what they submitted (Replicate lists predictions).
    const listed = await call<{ items: Job[] }>('GET', '/v1/jobs?limit=100', { key: alice });
    expect(listed.body.items.map((j) => j.id)).toContain(sut.id);
    expect(listed.body.items.map((j) => j.kind)).not.toContain('webhook.deliver');
    const deliveries = await call<{ items: Job[] }>('GET', '/v1/jobs?kind=webhook.deliver&limit=100', { key: alice });
    expect(deliveries.body.items.map((j) => j.id)).toContain(`${sut.id}.webhook`);
    // The secret is not shown again.
    const again = await call('GET', `/v1/jobs/${sut.id}`, { key: alice });
    expect(again.text).not.toContain(String(sut.webhookSecret));
  });

  it('retries a refused delivery on a schedule until the receiver accepts it', async () => {
    const flaky = await startServer((_call, index) => ({ status: index === 0 ? 503 : 200 }));
    try {
      const sut = await submitted(IRIS, alice, { input: KNOWN_ROWS[2].input, webhookUrl: flaky.url });
      await waitForJob(sut.id, alice);
      const delivery = await waitForJob(`${sut.id}.webhook`, alice, { timeoutMs: 20_000, mayNotExistYet: true });
      expect(delivery).toMatchObject({ status: 'succeeded', result: { attempts: 2, status: 200 } });
      expect(flaky.calls).toHaveLength(2);
      expect(flaky.calls[0]?.headers['webhook-id']).toBe(flaky.calls[1]?.headers['webhook-id']);
    } finally {
      await flaky.close();
    }
  });
});

needsLocalStack.describe('the result cache', () => {
  it('serves an identical input to the same model version from the cache instead of calling the model again', async () => {
    const scorer = await startServer((request) => ({ status: 200, body: { echo: request.body, at: Date.now() } }));
    try {
      const model = await httpModel(scorer.url);
      await grantAccess(model, alice);
      const input = { text: `hello ${randomUUID()}`, n: 1 };
      const first = await waitForJob((await submitted(model, alice, { input })).id, alice);
      const second = await waitForJob((await submitted(model, alice, { input: { n: 1, text: input.text } })).id, alice);
      expect(first.status).toBe('succeeded');
      expect(second.result).toEqual(first.result);
      expect(scorer.calls).toHaveLength(1);
      const other = await waitForJob((await submitted(model, alice, { input: { ...input, n: 2 } })).id, alice);
      expect(other.result).not.toEqual(first.result);
      expect(scorer.calls).toHaveLength(2);
    } finally {
      await scorer.close();
    }
  });
});
