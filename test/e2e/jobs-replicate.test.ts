import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, expectProblem, keyWithRoles } from '../support/api';
import { needsLocalStack } from '../support/stack-env';
import { type Job, waitForJob } from '../support/jobs';
import { grantAccess, httpModel, IRIS, KNOWN_ROWS, startServer, submit, submitted, type TestServer } from './inference-support';

/**
 * Issue 21, jobs: what a Replicate user reaches for. The webhook event filter (Replicate's
 * `webhook_events_filter`: start, output, logs, completed), the list of one's own jobs without the
 * platform's webhook deliveries, and `Cancel-After` as the ISO 8601 duration its error message names.
 */
let owner = '';

beforeAll(async () => {
  owner = await keyWithRoles(['reader']);
  await grantAccess(IRIS, owner);
});

type Hook = { type?: string; data?: { id?: string; status?: string; result?: unknown } };

needsLocalStack.describe('webhookEvents', () => {
  let receiver: TestServer;
  let refusing: TestServer;
  let refusingModel = '';

  beforeAll(async () => {
    receiver = await startServer(() => ({ status: 204 }));
    refusing = await startServer(() => ({ status: 422, body: { error: 'out of range' } }));
    refusingModel = await httpModel(refusing.url);
    await grantAccess(refusingModel, owner);
  });

  afterAll(async () => {
    await receiver.close();
    await refusing.close();
  });

  const hooksFor = (jobId: string) => receiver.calls.filter((c) => (c.body as Hook).data?.id === jobId);

  /** The job has ended and so have the deliveries it asked for: what the receiver got is all it gets. */
  async function settled(jobId: string, deliveries: string[]): Promise<Job> {
    const job = await waitForJob(jobId, owner);
    for (const delivery of deliveries) {
      expect(await waitForJob(delivery, owner, { timeoutMs: 20_000, mayNotExistYet: true })).toMatchObject({ kind: 'webhook.deliver', status: 'succeeded' });
    }
    return job;
  }

  it('with ["start", "completed"] posts the job as it started, then as it ended', async () => {
    const sut = await submitted(IRIS, owner, { input: KNOWN_ROWS[0].input, webhookUrl: receiver.url, webhookEvents: ['start', 'completed'] });
    const job = await settled(sut.id, [`${sut.id}.webhook.start`, `${sut.id}.webhook`]);
    const hooks = hooksFor(sut.id).map((c) => c.body as Hook);
    expect(hooks).toHaveLength(2);
    expect(hooks.find((hook) => hook.type === 'job.started')).toMatchObject({ data: { id: sut.id, status: 'running' } });
    expect(hooks.find((hook) => hook.type === 'job.succeeded')).toMatchObject({ data: { id: sut.id, status: 'succeeded', result: job.result } });
    const ids = hooksFor(sut.id).map((c) => c.headers['webhook-id']);
    expect(new Set(ids).size).toBe(2);
  });

  it('with ["start"] posts only the start', async () => {
    const sut = await submitted(IRIS, owner, { input: KNOWN_ROWS[1].input, webhookUrl: receiver.url, webhookEvents: ['start'] });
    await settled(sut.id, [`${sut.id}.webhook.start`]);
    expect(hooksFor(sut.id).map((c) => (c.body as Hook).type)).toEqual(['job.started']);
    expectProblem(await call('GET', `/v1/jobs/${sut.id}.webhook`, { key: owner }), 404);
  });

  it('by default, as Replicate, posts when there is output or the job has ended: once, at its end', async () => {
    const sut = await submitted(IRIS, owner, { input: KNOWN_ROWS[2].input, webhookUrl: receiver.url });
    await settled(sut.id, [`${sut.id}.webhook`]);
    expect(hooksFor(sut.id).map((c) => (c.body as Hook).type)).toEqual(['job.succeeded']);
    expectProblem(await call('GET', `/v1/jobs/${sut.id}.webhook.start`, { key: owner }), 404);
  });

  it('with ["output"] posts nothing for a job that failed without output; with ["completed"] it posts the failure', async () => {
    const outputOnly = await submitted(refusingModel, owner, { input: { n: 1 }, webhookUrl: receiver.url, webhookEvents: ['output'] });
    expect(await settled(outputOnly.id, [])).toMatchObject({ status: 'failed' });
    expectProblem(await call('GET', `/v1/jobs/${outputOnly.id}.webhook`, { key: owner }), 404);
    expect(hooksFor(outputOnly.id)).toHaveLength(0);

    const completed = await submitted(refusingModel, owner, { input: { n: 2 }, webhookUrl: receiver.url, webhookEvents: ['completed'] });
    await settled(completed.id, [`${completed.id}.webhook`]);
    expect(hooksFor(completed.id).map((c) => (c.body as Hook).type)).toEqual(['job.failed']);
  });

  it('refuses an unknown event, an empty filter, and a filter without a webhookUrl, naming the field', async () => {
    const unknown = expectProblem(await submit(IRIS, owner, { input: KNOWN_ROWS[0].input, webhookUrl: receiver.url, webhookEvents: ['finished'] }), 400);
    expect(unknown.errors).toEqual(expect.arrayContaining([expect.objectContaining({ pointer: '/body/webhookEvents/0' })]));
    const empty = expectProblem(await submit(IRIS, owner, { input: KNOWN_ROWS[0].input, webhookUrl: receiver.url, webhookEvents: [] }), 400);
    expect(empty.errors).toEqual(expect.arrayContaining([expect.objectContaining({ pointer: '/body/webhookEvents' })]));
    const alone = expectProblem(await submit(IRIS, owner, { input: KNOWN_ROWS[0].input, webhookEvents: ['completed'] }), 400);
    expect(alone.errors).toEqual(expect.arrayContaining([expect.objectContaining({ pointer: '/body/webhookEvents' })]));
  });

  it('lists what the caller submitted: webhook deliveries only when asked for by kind', async () => {
    const sut = await submitted(IRIS, owner, { input: KNOWN_ROWS[0].input, webhookUrl: receiver.url, webhookEvents: ['start', 'completed'] });
    await settled(sut.id, [`${sut.id}.webhook.start`, `${sut.id}.webhook`]);
    const listed = await call<{ items: Job[] }>('GET', '/v1/jobs?limit=100', { key: owner });
    expect(listed.status, listed.text).toBe(200);
    expect(listed.body.items.map((j) => j.id)).toContain(sut.id);
    expect(listed.body.items.filter((j) => j.kind === 'webhook.deliver')).toEqual([]);
    const deliveries = await call<{ items: Job[] }>('GET', '/v1/jobs?kind=webhook.deliver&limit=100', { key: owner });
    expect(deliveries.body.items.map((j) => j.id)).toEqual(expect.arrayContaining([`${sut.id}.webhook.start`, `${sut.id}.webhook`]));
  });
});

describe('Cancel-After', () => {
  it('accepts an ISO 8601 duration (PT1H) in the header and in the body, as its error message says', async () => {
    for (const [body, headers] of [
      [{ input: KNOWN_ROWS[0].input }, { 'Cancel-After': 'PT1H' }],
      [{ input: KNOWN_ROWS[0].input, cancelAfter: 'PT1H' }, {}],
    ] as const) {
      const before = Date.now();
      const sut = await submit(IRIS, owner, { ...body, input: { ...body.input, sepal_length: 5 + Math.random() } }, { ...headers });
      expect(sut.status, sut.text).toBe(202);
      const deadline = Date.parse(String((sut.body as { cancelAfter?: string }).cancelAfter));
      expect(deadline - before).toBeGreaterThanOrEqual(3_600_000);
      expect(deadline - Date.now()).toBeLessThanOrEqual(3_600_000);
    }
    const refused = expectProblem(await submit(IRIS, owner, { input: KNOWN_ROWS[0].input }, { 'Cancel-After': 'an hour' }), 400);
    expect(JSON.stringify(refused)).toContain('ISO 8601');
  });
});

