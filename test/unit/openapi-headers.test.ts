import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { routeSources } from '../support/route-blocks';

/**
 * The request headers a handler reads are parameters of its operation, so a client generated from
 * the document can send them: `If-Match` on conditional writes (required where a missing one is a
 * 428), `Idempotency-Key`, `Prefer` and `Cancel-After`. Which headers a handler reads is found in its
 * source, as `openapi-statuses.test.ts` finds If-Match; `Accept`, `Content-Type` and `Origin` are
 * the HTTP layer's and OpenAPI leaves the first two out of parameters by definition.
 */
const root = path.resolve(__dirname, '../..');
interface Parameter {
  name: string;
  in: string;
  required?: boolean;
}
const document = JSON.parse(readFileSync(path.join(root, 'openapi.json'), 'utf8')) as {
  paths: Record<string, Record<string, { operationId: string; parameters?: Parameter[] }>>;
};
const operations = new Map(
  Object.values(document.paths)
    .flatMap((item) => Object.values(item))
    .map((operation) => [operation.operationId, operation]),
);

const READ_BY: Record<string, RegExp> = {
  'If-Match': /ifMatch\(request\.headers\)/,
  'Idempotency-Key': /withIdempotencyKey\(request\.headers/,
  Prefer: /request\.headers\.get\('prefer'\)/,
  'Cancel-After': /request\.headers\.get\('cancel-after'\)/,
};
const HTTP_LAYER = new Set(['accept', 'content-type', 'origin']);

const headersOf = (operationId: string) => (operations.get(operationId)?.parameters ?? []).filter((parameter) => parameter.in === 'header');

describe('the request headers of the OpenAPI document', () => {
  it('documents each header a handler reads, on exactly the operations whose handlers read it', () => {
    const wrong: string[] = [];
    for (const [name, source] of routeSources()) {
      const reads = Object.entries(READ_BY)
        .filter(([, pattern]) => pattern.test(source))
        .map(([header]) => header)
        .sort();
      const documented = headersOf(name)
        .map((parameter) => parameter.name)
        .sort();
      if (JSON.stringify(reads) !== JSON.stringify(documented)) wrong.push(`${name}: reads [${reads.join(', ')}], documents [${documented.join(', ')}]`);
    }
    expect(wrong).toEqual([]);
    for (const [header, pattern] of Object.entries(READ_BY)) {
      expect([...routeSources().values()].some((source) => pattern.test(source)), `some handler reads ${header}`).toBe(true);
    }
  });

  it('knows every header a handler reads by name', () => {
    const unknown = [...routeSources()].flatMap(([name, source]) =>
      [...source.matchAll(/request\.headers\.get\('([a-z-]+)'\)/g)]
        .map((match) => match[1] ?? '')
        .filter((header) => !HTTP_LAYER.has(header) && !Object.keys(READ_BY).some((known) => known.toLowerCase() === header))
        .map((header) => `${name}: ${header}`),
    );
    expect(unknown).toEqual([]);
  });

  it('marks If-Match required where a write without it is refused (428), and optional elsewhere', () => {
    const required = [...operations.keys()].filter((id) => headersOf(id).some((parameter) => parameter.name === 'If-Match' && parameter.required));
    expect(required).toEqual(['restoreLabelVersion']);
  });
});
