import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { keyWithRoles } from '../support/api';
import { startStreamingServer, type StreamingServer } from '../support/streaming-server';
import { grantAccess, httpModel, IRIS, KNOWN_ROWS, submitted } from './inference-support';
import { waitForJob } from '../support/jobs';
import { needsLocalStack } from '../support/stack-env';

/**
 * Issue 14 item 3 as a caller sees it: a model or webhook receiver that streams without end costs
 * the platform a bounded read, the job fails once (no redeliveries) saying the answer was too large,
 * and the webhook counts as delivered on its status alone.
 */
const MiB = 1024 * 1024;
const ENDLESS = 256 * MiB;
const BOUNDED = 48 * MiB;

let owner = '';
let server: StreamingServer | undefined;

beforeAll(async () => {
  owner = await keyWithRoles(['reader']);
  await grantAccess(IRIS, owner);
});

afterEach(async () => {
  await server?.close();
  server = undefined;
});

needsLocalStack.describe('an endless answer', () => {
  it('from an http model fails the job at once as too large, without the raw error', async () => {
    server = await startStreamingServer(ENDLESS);
    const model = await httpModel(server.url);
    await grantAccess(model, owner);
    const job = await waitForJob((await submitted(model, owner, { input: { x: 1 } })).id, owner);
    expect(job).toMatchObject({ status: 'failed', attempts: 1, error: { message: expect.stringMatching(/too large/) } });
    expect(job.error?.message).not.toMatch(/Cannot create a string|RangeError/);
    expect(server.requests).toBe(1);
    expect(server.sent()).toBeLessThan(BOUNDED);
  });

  it('from a webhook receiver is not read: delivered on its status', async () => {
    server = await startStreamingServer(ENDLESS);
    const sut = await submitted(IRIS, owner, { input: KNOWN_ROWS[0].input, webhookUrl: server.url });
    const delivery = await waitForJob(`${sut.id}.webhook`, owner, { timeoutMs: 20_000, mayNotExistYet: true });
    expect(delivery).toMatchObject({ status: 'succeeded', result: { delivered: true, attempts: 1, status: 200 } });
    expect(server.sent()).toBeLessThan(BOUNDED);
  });
});
