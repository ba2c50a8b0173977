import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, expectProblem, keyWithRoles } from '../support/api';
import { grantAccess, httpModel, IRIS, KNOWN_ROWS, submit } from './inference-support';
import { type Job, waitForJob } from '../support/jobs';

/**
 * Replicate's job semantics on a slow `http` model: cancel aborts the model call in flight, and
 * `Prefer: wait` answers with the finished job when it finishes within the wait.
 */

interface SlowServer {
  url: string;
  /** Tags of requests whose connection closed before an answer was sent. */
  aborted: Set<string>;
  /** Tags of requests that arrived (answered or not). */
  arrived: Set<string>;
  close(): Promise<void>;
}

/** A scoring server that never answers a `{ mode: 'slow' }` input: only the caller can end the request. */
async function startSlowServer(): Promise<SlowServer> {
  const aborted = new Set<string>();
  const arrived = new Set<string>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { mode?: string; tag?: string };
      const tag = body.tag ?? '';
      arrived.add(tag);
      if (body.mode !== 'slow') {
        res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ ok: true, tag }));
        return;
      }
      res.on('close', () => {
        if (!res.writableEnded) aborted.add(tag);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/score`,
    aborted,
    arrived,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

let scorer: SlowServer;
let model = '';
let owner = '';

beforeAll(async () => {
  scorer = await startSlowServer();
  model = await httpModel(scorer.url);
  owner = await keyWithRoles(['reader']);
  await grantAccess(model, owner);
  await grantAccess(IRIS, owner);
});

afterAll(async () => {
  await scorer.close();
});

describe('POST /api/v1/jobs/{id}/cancel on a running http job', () => {
  it('aborts the model call in flight and ends the job canceled, without a retry', async () => {
    const tag = randomUUID();
    const sut = await submit(model, owner, { input: { mode: 'slow', tag } });
    expect(sut.status, sut.text).toBe(202);
    await until(() => scorer.arrived.has(tag), 'the model call');
    const canceled = await call<Job>('POST', `/v1/jobs/${sut.body.id}/cancel`, { key: owner });
    expect(canceled.status, canceled.text).toBe(200);
    const job = await waitForJob(sut.body.id, owner);
    expect(job).toMatchObject({ status: 'canceled', attempts: 1, error: { code: 'canceled' } });
    expect(job.result).toBeUndefined();
    await until(() => scorer.aborted.has(tag), 'the model server to see its request closed');
    expect(scorer.aborted.has(tag)).toBe(true);
  });
});

describe('POST /api/v1/models/{id}/jobs with Prefer: wait', () => {
  it('answers 201 with the finished job and its result when it ends within the wait', async () => {
    const sut = await submit(IRIS, owner, { input: KNOWN_ROWS[0].input }, { Prefer: 'wait=30' });
    expect(sut.status, sut.text).toBe(201);
    expect(sut.headers.get('preference-applied')).toBe('wait=30');
    expect(sut.headers.get('location')).toBe(`/api/v1/jobs/${sut.body.id}`);
    expect(sut.body).toMatchObject({ status: 'succeeded', result: { species: KNOWN_ROWS[0].species } });
    expect(sut.body).toMatchObject({ finishedAt: expect.any(String), metrics: { predictTime: expect.any(Number) } });
  });

  it('answers the usual 202 when the job is still running when the wait ends', async () => {
    const tag = randomUUID();
    const sut = await submit(model, owner, { input: { mode: 'slow', tag } }, { Prefer: 'wait=1' });
    expect(sut.status, sut.text).toBe(202);
    expect(sut.headers.get('preference-applied')).toBe('wait=1');
    expect(['queued', 'running']).toContain(sut.body.status);
    expect((await call('POST', `/v1/jobs/${sut.body.id}/cancel`, { key: owner })).status).toBe(200);
  });

  it('caps the wait at 60 s and refuses a wait that is not a whole number of seconds', async () => {
    const sut = await submit(IRIS, owner, { input: KNOWN_ROWS[1].input }, { Prefer: 'wait=600' });
    expect(sut.status, sut.text).toBe(201);
    expect(sut.headers.get('preference-applied')).toBe('wait=60');
    const refused = expectProblem(await submit(IRIS, owner, { input: KNOWN_ROWS[1].input }, { Prefer: 'wait=soon' }), 400);
    expect(refused.errors).toEqual([expect.objectContaining({ pointer: '/headers/prefer' })]);
  });
});

describe('a finished job’s metrics', () => {
  it('give predictTime, and say whether the result came from the cache', async () => {
    const input = { ...KNOWN_ROWS[2].input, sepal_length: 6 + Math.random() };
    const first = await submit(IRIS, owner, { input }, { Prefer: 'wait=30' });
    expect(first.status, first.text).toBe(201);
    const ran = await waitForJob(first.body.id, owner);
    expect(ran).toMatchObject({ status: 'succeeded', cached: false, metrics: { predictTime: expect.any(Number) } });
    const again = await waitForJob((await submit(IRIS, owner, { input })).body.id, owner);
    expect(again).toMatchObject({ status: 'succeeded', cached: true, result: ran.result });
  });
});
