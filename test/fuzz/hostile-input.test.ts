import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Operation } from '../support/openapi';
import { CONCURRENCY, FUZZ_TIMEOUT_MS, all, badAnswers, operation, sampleOf, send, sendTogether, storedByRefused } from './fuzz-send';
import { recorder, useFuzzStack } from './fuzz-stack';
import { type FuzzRequest, INJECTIONS } from './near-valid';

/**
 * Hostile input against every operation in the OpenAPI document: random and malformed bodies,
 * wrong types, huge strings and arrays, deep nesting, catastrophic regex patterns, bad JSON, wrong content types, path and query
 * injection attempts, and wrong values for the headers the document declares (If-Match, Idempotency-Key, Prefer, Cancel-After). The properties: never a 5xx, every error is problem+json, every answer is
 * described by the OpenAPI document (whatever was sent), and nothing is stored by a refused (4xx)
 * request — no Cosmos DB or Blob storage write lands, no job message is sent.
 *
 * The requests go to a private stack (./fuzz-stack.ts) whose write recorder sees every write; the
 * recorder's own tests come first. Near-valid input, which gets past validation: near-valid-input.test.ts.
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 1_000);

useFuzzStack();

// The near-valid injections, and a string long enough to overflow what a careless handler buffers.
const injections = [...INJECTIONS, 'a'.repeat(5_000)];

const hostileString = fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom(...injections), fc.string({ unit: 'grapheme', maxLength: 20 }));

/**
 * Values for the header parameters the document declares, as a client can send them (a header value
 * is printable text: fetch refuses line breaks and anything past Latin-1): entity-tag lists gone
 * wrong, preferences and deadlines out of range, and the injections that fit in a header.
 */
const hostileHeader = fc.oneof(
  fc.stringMatching(/^[\x21-\x7e][\x20-\x7e]{0,40}[\x21-\x7e]$/),
  fc.constantFrom(
    ...injections.filter((value) => /^[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?$/.test(value)),
    '*',
    '"a", W/"b", *',
    'W/"x"',
    '"',
    '""',
    ',,,',
    `"${'x'.repeat(300)}"`,
    'wait=0',
    'wait=abc',
    'wait=1;wait=2',
    'respond-async, wait=1',
    '-1s',
    'PT99999999H',
    '1970-01-01T00:00:00Z',
    '9'.repeat(400),
  ),
);

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

function requestArbitrary(op: Operation): fc.Arbitrary<FuzzRequest> {
  const pathNames = op.parameters.filter((p) => p.in === 'path').map((p) => p.name);
  const queryNames = op.parameters.filter((p) => p.in === 'query' && !p.explode).map((p) => p.name);
  const headerNames = op.parameters.filter((p) => p.in === 'header').map((p) => p.name);
  return fc.record({
    headers: fc.record(Object.fromEntries(headerNames.map((name) => [name, hostileHeader])), { requiredKeys: [] }) as fc.Arbitrary<Record<string, string>>,
    path: fc.record(Object.fromEntries(pathNames.map((name) => [name, hostileString]))) as fc.Arbitrary<Record<string, string>>,
    query: fc.array(fc.tuple(fc.oneof(fc.constantFrom(...(queryNames.length ? queryNames : ['q'])), fc.string({ maxLength: 6 })), hostileString), { maxLength: 4 }),
    body: bodyArbitrary(op),
  });
}

describe('the write recorder', () => {
  const createImageset = operation('POST', '/api/v1/imagesets');
  const submitJob = operation('POST', '/api/v1/models/{id}/jobs');
  const getJob = operation('GET', '/api/v1/jobs/{jobId}');
  const title = () => `fuzz recorder ${Date.now()} ${Math.random().toString(36).slice(2, 8)}`;

  it('carries the app’s traffic to Cosmos DB and Blob storage', async () => {
    await recorder.begin();
    const health = await send(operation('GET', '/api/health'), sampleOf({}, undefined));
    expect(health.status, health.text).toBe(200);
    expect(recorder.traffic().cosmos).toBeGreaterThan(0);
    expect(recorder.traffic().blob).toBeGreaterThan(0);
  });

  it('sees what an accepted request stores: an imageset in Cosmos DB and its container in Blob storage', async () => {
    const { answers, stored } = await sendTogether(createImageset, [sampleOf({}, { title: title() })]);
    expect(answers[0]?.status, answers[0]?.text).toBe(201);
    expect(stored.map((write) => write.store)).toEqual(expect.arrayContaining(['Cosmos DB', 'Blob storage']));
  });

  it('sees a job message sent, and the job’s own writes once the queues are idle', async () => {
    const { answers, stored } = await sendTogether(submitJob, [
      sampleOf({ id: 'iris-classifier' }, { input: { sepal_length: 5.1, sepal_width: 3.5, petal_length: 1.4, petal_width: 0.2 } }),
    ]);
    expect(answers[0]?.status, answers[0]?.text).toBe(202);
    expect(stored.filter((write) => write.store === 'Service Bus')).toHaveLength(1);
    // The job document is created by the request and finished by the worker.
    expect(stored.filter((write) => write.store === 'Cosmos DB').length).toBeGreaterThan(1);
  });

  it('sees nothing stored by a refused request: authenticating the admin key writes nothing', async () => {
    const { answers, stored } = await sendTogether(getJob, [sampleOf({ jobId: 'no-such-job' }, undefined)]);
    expect(answers[0]?.status, answers[0]?.text).toBe(404);
    expect(stored).toEqual([]);
  });

  it('does not count a write the store refused: a duplicate title, refused by Cosmos DB, stored nothing', async () => {
    const taken = title();
    expect((await sendTogether(createImageset, [sampleOf({}, { title: taken })])).answers[0]?.status).toBe(201);
    const { answers, stored } = await sendTogether(createImageset, [sampleOf({}, { title: taken.toUpperCase() })]);
    expect(answers[0]?.status, answers[0]?.text).toBe(409);
    expect(stored).toEqual([]);
  });

  it('in a batch that stored something, sends each refused request again alone and finds what each stored', async () => {
    const batch = [sampleOf({}, { title: title() }), sampleOf({}, { title: 42 }), sampleOf({}, '{"title":')];
    const together = await sendTogether(createImageset, batch);
    expect(together.answers.map((answer) => answer.status)).toEqual([201, 400, 400]);
    expect(await storedByRefused(createImageset, batch, together, 3)).toEqual({ sentAlone: 2, found: [] });
  });
});

describe('hostile input', () => {
  for (const op of all) {
    it(`${op.method} ${op.path} never answers 5xx, errors are problem+json, and a refused request stores nothing`, async () => {
      const samples = fc.sample(requestArbitrary(op), { numRuns: RUNS, seed: 42 });
      const bad: string[] = [];
      const stored: string[] = [];
      for (let i = 0; i < samples.length; i += CONCURRENCY) {
        const batch = samples.slice(i, i + CONCURRENCY);
        const together = await sendTogether(op, batch);
        bad.push(...badAnswers(batch, together.answers));
        stored.push(...(await storedByRefused(op, batch, together, 3 - stored.length)).found);
      }
      expect(bad.slice(0, 3), 'answers that are 5xx, errors that are not problem+json, or answers the document does not describe').toEqual([]);
      expect(stored.slice(0, 3), 'refused requests that stored something').toEqual([]);
    }, FUZZ_TIMEOUT_MS);
  }
});
