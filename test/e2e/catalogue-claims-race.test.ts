import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { adminKey, type ApiResponse, call, keyWithRoles } from '../support/api';

/**
 * Concurrent creates of entries holding the same unique key: a claim is written before its entry,
 * so a racing writer that finds the claim before the entry exists must not take it over. Over HTTP
 * against the embedded server the winner's entry write nearly always lands before a loser's two
 * reads, so this rarely meets the window; test/integration/catalogue-claims.test.ts holds a claim
 * open without its entry to meet it every time.
 */
const unique = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;
const WRITERS = 6;

let contributor: string;

beforeAll(async () => {
  contributor = await keyWithRoles(['contributor'], { subject: unique('racer') });
});

/** Exactly one writer won; every other one got 409 naming the winner. */
function expectOneWinner(responses: ApiResponse[]): void {
  const statuses = responses.map((response) => response.status).sort();
  expect(statuses, responses.map((response) => response.text).join('\n')).toEqual([201, ...Array<number>(WRITERS - 1).fill(409)]);
  const winner = responses.find((response) => response.status === 201)?.body as { id: string };
  for (const lost of responses.filter((response) => response.status === 409)) {
    expect((lost.body as { existingId?: string }).existingId).toBe(winner.id);
  }
}

describe('concurrent POST /api/v1/catalogue/{type} with one unique key', () => {
  it('lets one of several creates with the same platform identifier win', async () => {
    const platform = unique('race');
    const registered = await call('POST', '/v1/catalogue/platforms', { key: adminKey(), body: { name: platform, status: 'published' } });
    expect(registered.status, registered.text).toBe(201);
    const body = { name: 'Racing dataset', platform, platformResourceIdentifier: 'org/raced' };
    expectOneWinner(await Promise.all(Array.from({ length: WRITERS }, () => call('POST', '/v1/catalogue/datasets', { key: contributor, body }))));
  });

  it('lets one of several registrations of the same platform name win', async () => {
    const body = { name: unique('race'), status: 'published' };
    expectOneWinner(await Promise.all(Array.from({ length: WRITERS }, () => call('POST', '/v1/catalogue/platforms', { key: adminKey(), body }))));
  });
});
