import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { routeSources } from '../support/route-blocks';

/**
 * 409, 412 and 422 are refusals of particular services, so the document lists them only where a
 * route declares them, not on every write. 412 has a mark in the code to check that against: a
 * route that reads `If-Match` can answer it, and one that does not, cannot.
 */
const root = path.resolve(__dirname, '../..');
const document = JSON.parse(readFileSync(path.join(root, 'openapi.json'), 'utf8')) as {
  paths: Record<string, Record<string, { operationId: string; responses: Record<string, unknown> }>>;
};

const operations = Object.values(document.paths).flatMap((item) => Object.values(item));
const byId = new Map(operations.map((operation) => [operation.operationId, operation]));

/** Each route: its name and whether its handler reads `If-Match`. */
function registrations(): Array<{ name: string; readsIfMatch: boolean }> {
  return [...routeSources()].map(([name, source]) => ({ name, readsIfMatch: /ifMatch\(request\.headers\)|'if-match'/.test(source) }));
}

describe('the statuses of the OpenAPI document', () => {
  it('lists 412 on exactly the operations whose route reads If-Match', () => {
    const routes = registrations();
    expect(routes.filter((route) => route.readsIfMatch).length).toBeGreaterThan(5);
    const wrong = routes.flatMap((route) => {
      const listed = '412' in (byId.get(route.name)?.responses ?? {});
      return listed === route.readsIfMatch ? [] : [`${route.name}: reads If-Match ${route.readsIfMatch}, lists 412 ${listed}`];
    });
    expect(wrong).toEqual([]);
  });

  it('does not list 409 on every authenticated write', () => {
    const writes = operations.filter((operation) => /^(create|put|patch|delete|revoke|add|remove|set|run|submit|cancel|bulk|ingest|finalize)/.test(operation.operationId));
    const without = writes.filter((operation) => !('409' in operation.responses)).map((operation) => operation.operationId);
    // Writes whose services have no conflict to report: revoking a key, a grant, predictions, a connector run.
    expect(without).toEqual(expect.arrayContaining(['revokeApiKey', 'putModelGrant', 'deleteModelGrant', 'putImagePredictions', 'runConnector']));
  });

  it('lists 422 only where the route declares it (Idempotency-Key reuse, a model that cannot run)', () => {
    const listing = operations.filter((operation) => '422' in operation.responses).map((operation) => operation.operationId);
    expect(listing.sort()).toEqual(['createApiKey', 'submitInferenceJob']);
  });
});
