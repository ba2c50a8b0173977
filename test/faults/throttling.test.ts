import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { useProxiedStack } from '../support/proxied-stack';

/**
 * Request-rate throttling as Cosmos DB does it (issue 17): a private stack whose Cosmos DB server
 * runs in strict mode with a request-unit budget (`local/cosmos-strict.ts`), seen through a
 * forwarding proxy that records every answer. The budget is set per test on the running server.
 */

beforeAll(() => {
  // Read by the stack as it starts its Cosmos DB server (the next hook).
  process.env.COSMOS_STRICT = '1';
});
const stack = useProxiedStack({ seed: true });
const get = (route: string) => stack.call('GET', route);

afterEach(async () => {
  await stack.setStrictLimits({ requestUnitsPerSecond: 0 });
});

describe('Cosmos DB throttling (429 with x-ms-retry-after-ms)', () => {
  it('under a small budget the SDK waits and retries, and the API answers 200', async () => {
    await stack.setStrictLimits({ requestUnitsPerSecond: 2 });
    stack.cosmos.clearLog();
    const sut = await get('/v1/api-keys?limit=5');
    expect(sut.status, sut.text).toBe(200);
    // A new budget starts empty, so the first request is throttled and retried.
    const throttled = stack.cosmos.log.filter((r) => r.outcome === 429);
    expect(throttled.length).toBeGreaterThan(0);
    expect(stack.cosmos.log.filter((r) => r.outcome === 200).length).toBeGreaterThan(0);
  });

  it('when the SDK’s retries run out the caller gets 503 problem+json with Retry-After, never 500', async () => {
    // No budget at all: every document request is throttled (retry after 500 ms) until it is lifted.
    await stack.setStrictLimits({ requestUnitsPerSecond: 0.001 });
    stack.cosmos.clearLog();
    const sut = await get('/v1/api-keys?limit=5');
    expect(sut.status, sut.text).toBe(503);
    expect(sut.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(sut.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(sut.body).toMatchObject({ status: 503, detail: expect.stringContaining('busy') });
    // The SDK's default: 9 retries after the first try, each after x-ms-retry-after-ms.
    const first = stack.cosmos.log.find((r) => r.outcome === 429);
    expect(stack.cosmos.log.filter((r) => r.outcome === 429 && r.path === first?.path && r.method === first?.method).length).toBeGreaterThanOrEqual(10);
    await stack.setStrictLimits({ requestUnitsPerSecond: 0 });
    expect((await get('/v1/api-keys?limit=5')).status).toBe(200);
  });
});
