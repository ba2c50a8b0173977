import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PermanentJobError } from '../../shared/jobs/job.handler';
import { callHttpModel } from '../../shared/inference/runtime/http.runtime';
import { postWebhook } from '../../shared/inference/webhook.service';
import { useStackSettings } from '../support/stack-env';
import { startStreamingServer, type StreamingServer } from '../support/streaming-server';

/**
 * Issue 14 item 3: remote answers were read whole into memory. A receiver or model streaming without
 * end must cost the platform a bounded number of bytes, and a model's too-large answer is permanent.
 */
const MiB = 1024 * 1024;
/** What the hostile server would send if nobody stopped it; far above every cap. */
const ENDLESS = 256 * MiB;
/** Generous for the caps (none above 10 MiB) plus socket buffers, far below ENDLESS. */
const BOUNDED = 48 * MiB;

let server: StreamingServer | undefined;

beforeAll(() => {
  useStackSettings({ MODEL_SECRET_STREAMS: 'test-key' });
});

afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('an endless answer', () => {
  it('from a webhook receiver is not read: the delivery counts, and the receiver could send little', async () => {
    server = await startStreamingServer(ENDLESS);
    const attempt = await postWebhook(server.url, 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'msg_streams', { type: 'job.succeeded' });
    await server.finished();
    expect(attempt).toMatchObject({ delivered: true, status: 200 });
    expect(server.sent()).toBeLessThan(BOUNDED);
  });

  it('from an http model fails the call permanently as too large, after a bounded read', async () => {
    server = await startStreamingServer(ENDLESS);
    const runtime = { kind: 'http' as const, url: server.url, auth: { kind: 'key' as const, secretSetting: 'MODEL_SECRET_STREAMS' } };
    const failure = await callHttpModel(runtime, { x: 1 }).then(
      () => undefined,
      (error: unknown) => error,
    );
    await server.finished();
    expect(server.sent()).toBeLessThan(BOUNDED);
    expect(failure).toBeInstanceOf(PermanentJobError);
    expect((failure as PermanentJobError).message).toMatch(/larger than|more than/i);
  });
});
