import https from 'node:https';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { StrictLimits } from '../../local/cosmos-strict';
import type { FaultProxy } from '../support/fault-proxy';
import { type ProxiedStack, startProxiedStack } from '../support/proxied-stack';
import { apiFetch } from '../support/api';

/**
 * Request-rate throttling as Cosmos DB does it (issue 17): a private stack whose Cosmos DB server
 * runs in strict mode with a request-unit budget (`local/cosmos-strict.ts`), seen through a
 * forwarding proxy that records every answer. The budget is set per test on the running server.
 */

let cosmos: FaultProxy;
let blob: FaultProxy;
let baseUrl = '';
let adminKey = '';
/** The Cosmos DB server itself (not the proxy), for its strict-mode controls. */
let cosmosOrigin = '';

function setLimits(changes: Partial<StrictLimits>): Promise<StrictLimits> {
  return new Promise((resolve, reject) => {
    const request = https.request(
      `${cosmosOrigin}/_strict`,
      { method: 'POST', rejectUnauthorized: false, headers: { 'content-type': 'application/json' } },
      (response) => {
        let text = '';
        response.on('data', (chunk: Buffer) => (text += chunk.toString()));
        response.on('end', () => resolve(JSON.parse(text) as StrictLimits));
      },
    );
    request.on('error', reject);
    request.end(JSON.stringify(changes));
  });
}

async function call(route: string): Promise<{ status: number; headers: Headers; text: string; body: Record<string, unknown> }> {
  const response = await apiFetch(`${baseUrl}/api${route}`, { headers: { 'X-API-Key': adminKey } });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

let proxied: ProxiedStack;

beforeAll(async () => {
  process.env.COSMOS_STRICT = '1';
  proxied = await startProxiedStack({ seed: true });
  ({ cosmos, blob, baseUrl, adminKey } = proxied);
  cosmosOrigin = new URL(/AccountEndpoint=([^;]+)/.exec(proxied.direct.COSMOS ?? '')?.[1] ?? '').origin;
}, 120_000);

afterEach(async () => {
  await setLimits({ requestUnitsPerSecond: 0 });
});

afterAll(async () => {
  await proxied?.stop();
}, 60_000);

describe('Cosmos DB throttling (429 with x-ms-retry-after-ms)', () => {
  it('under a small budget the SDK waits and retries, and the API answers 200', async () => {
    await setLimits({ requestUnitsPerSecond: 2 });
    cosmos.clearLog();
    const sut = await call('/v1/api-keys?limit=5');
    expect(sut.status, sut.text).toBe(200);
    // A new budget starts empty, so the first request is throttled and retried.
    const throttled = cosmos.log.filter((r) => r.outcome === 429);
    expect(throttled.length).toBeGreaterThan(0);
    expect(cosmos.log.filter((r) => r.outcome === 200).length).toBeGreaterThan(0);
  });

  it('when the SDK’s retries run out the caller gets 503 problem+json with Retry-After, never 500', async () => {
    // No budget at all: every document request is throttled (retry after 500 ms) until it is lifted.
    await setLimits({ requestUnitsPerSecond: 0.001 });
    cosmos.clearLog();
    const sut = await call('/v1/api-keys?limit=5');
    expect(sut.status, sut.text).toBe(503);
    expect(sut.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(sut.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(sut.body).toMatchObject({ status: 503, detail: expect.stringContaining('busy') });
    // The SDK's default: 9 retries after the first try, each after x-ms-retry-after-ms.
    const first = cosmos.log.find((r) => r.outcome === 429);
    expect(cosmos.log.filter((r) => r.outcome === 429 && r.path === first?.path && r.method === first?.method).length).toBeGreaterThanOrEqual(10);
    await setLimits({ requestUnitsPerSecond: 0 });
    expect((await call('/v1/api-keys?limit=5')).status).toBe(200);
  });
});
