import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { adminKey, baseUrl } from '../support/api';
import { fillPath, type Operation, operations } from '../support/openapi';

/**
 * Hostile input against every operation in the OpenAPI document: random and malformed bodies,
 * wrong types, huge strings and arrays, deep nesting, bad JSON, wrong content types, path and query
 * injection attempts. The property: never a 5xx, and every error is problem+json.
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 1_000);
const CONCURRENCY = 16;

const injections = [
  "' OR 1=1 --",
  '" OR c.owner != "',
  'SELECT * FROM c',
  '../../../etc/passwd',
  '..%2F..%2Fpackage.json',
  '%00',
  '\u0000',
  '😀🔥',
  'ﬀ\u202e',
  '{{7*7}}',
  '$where',
  'a'.repeat(5_000),
  '-1',
  '1e308',
  'NaN',
  'true',
  'null',
  '[]',
  '{}',
];

const hostileString = fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom(...injections), fc.string({ unit: 'grapheme', maxLength: 20 }));

function deep(levels: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < levels; i++) value = i % 2 ? [value] : { a: value };
  return value;
}

function schemaProperties(op: Operation): string[] {
  const schema = op.requestBody?.content['application/json']?.schema as { properties?: Record<string, unknown> } | undefined;
  return Object.keys(schema?.properties ?? {});
}

function bodyArbitrary(op: Operation): fc.Arbitrary<{ body: string | undefined; contentType: string | undefined }> {
  const names = schemaProperties(op);
  const value = fc.oneof(fc.jsonValue({ maxDepth: 3 }), hostileString, fc.array(fc.integer(), { maxLength: 50 }));
  const shaped = names.length
    ? fc.dictionary(fc.oneof(fc.constantFrom(...names), fc.string({ maxLength: 8 })), value, { maxKeys: names.length + 2 })
    : fc.dictionary(fc.string({ maxLength: 8 }), value, { maxKeys: 4 });
  const json = fc.oneof(
    shaped.map((v) => JSON.stringify(v)),
    fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
    fc.constant(JSON.stringify(deep(2_000))),
    fc.constant(JSON.stringify({ name: 'x'.repeat(200_000), roles: Array.from({ length: 10_000 }, () => 'admin') })),
    fc.string({ maxLength: 30 }).map((s) => `{${s}`),
  );
  const contentType = fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', 'text/csv', 'application/x-www-form-urlencoded', undefined);
  return fc.record({ body: fc.option(json, { nil: undefined }), contentType });
}

function requestArbitrary(op: Operation) {
  const pathNames = op.parameters.filter((p) => p.in === 'path').map((p) => p.name);
  const queryNames = op.parameters.filter((p) => p.in === 'query').map((p) => p.name);
  return fc.record({
    path: fc.record(Object.fromEntries(pathNames.map((name) => [name, hostileString]))) as fc.Arbitrary<Record<string, string>>,
    query: fc.array(fc.tuple(fc.oneof(fc.constantFrom(...(queryNames.length ? queryNames : ['q'])), fc.string({ maxLength: 6 })), hostileString), { maxLength: 4 }),
    body: bodyArbitrary(op),
  });
}

type Sample = ReturnType<typeof requestArbitrary> extends fc.Arbitrary<infer T> ? T : never;

async function send(op: Operation, input: Sample) {
  const query = new URLSearchParams(input.query).toString();
  const headers: Record<string, string> = { 'X-API-Key': adminKey() };
  if (input.body.contentType) headers['Content-Type'] = input.body.contentType;
  const canHaveBody = op.method !== 'GET' && op.method !== 'HEAD';
  const response = await fetch(`${baseUrl()}/api${fillPath(op.path, input.path)}${query ? `?${query}` : ''}`, {
    method: op.method,
    headers,
    body: canHaveBody ? input.body.body : undefined,
    redirect: 'manual',
  });
  const text = await response.text();
  return { status: response.status, contentType: response.headers.get('content-type') ?? '', text };
}

const all = await operations();

describe('hostile input', () => {
  for (const op of all) {
    it(`${op.method} ${op.path} never answers 5xx, and errors are problem+json`, async () => {
      const samples = fc.sample(requestArbitrary(op), { numRuns: RUNS, seed: 42 });
      const failures: string[] = [];
      for (let i = 0; i < samples.length; i += CONCURRENCY) {
        const batch = samples.slice(i, i + CONCURRENCY);
        const results = await Promise.all(batch.map((sample) => send(op, sample)));
        results.forEach((result, j) => {
          const bad = result.status >= 500 || (result.status >= 400 && !result.contentType.startsWith('application/problem+json'));
          if (bad && failures.length < 3) failures.push(`${result.status} ${result.text.slice(0, 200)} for ${JSON.stringify(batch[j]).slice(0, 300)}`);
        });
      }
      expect(failures).toEqual([]);
    });
  }
});
