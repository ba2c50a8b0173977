import { createRequire } from 'node:module';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningStack, StackOptions } from '../../local/stack';
import { fillPath, type Operation, operations } from '../support/openapi';
import { createWriteRecorder, describeWrite, type StoredWrite } from './write-recorder';

/**
 * Hostile input against every operation in the OpenAPI document: random and malformed bodies,
 * wrong types, huge strings and arrays, deep nesting, bad JSON, wrong content types, path and query
 * injection attempts. The properties: never a 5xx, every error is problem+json, and nothing is
 * stored by a refused (4xx) request — no Cosmos DB or Blob storage write lands, no job message is sent.
 *
 * The requests go to a private stack whose app reaches its stores through a write recorder
 * (./write-recorder.ts), so every write is seen, whichever area of the app makes it.
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 1_000);
const CONCURRENCY = 16;
/** 31 February: a timer with this schedule never fires, so nothing but the requests writes. */
const NEVER = '0 0 0 31 2 *';

const load = createRequire(import.meta.url);
const { startStack } = load(path.resolve(__dirname, '../../dist/local/stack.js')) as { startStack(options: StackOptions): Promise<RunningStack> };

const recorder = createWriteRecorder();
let stack: RunningStack | undefined;
let baseUrl = '';
let adminKey = '';

/** Every timer schedule setting (`*_SCHEDULE`) replaced by one that never fires: timers write on their own. */
function withTimersThatNeverFire(settings: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(settings).map(([name, value]) => [name, name.endsWith('_SCHEDULE') ? NEVER : value]));
}

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

interface Answer {
  status: number;
  contentType: string;
  text: string;
}

async function send(op: Operation, input: Sample): Promise<Answer> {
  const query = new URLSearchParams(input.query).toString();
  const headers: Record<string, string> = { 'X-API-Key': adminKey };
  if (input.body.contentType) headers['Content-Type'] = input.body.contentType;
  const canHaveBody = op.method !== 'GET' && op.method !== 'HEAD';
  const response = await fetch(`${baseUrl}/api${fillPath(op.path, input.path)}${query ? `?${query}` : ''}`, {
    method: op.method,
    headers,
    body: canHaveBody ? input.body.body : undefined,
    redirect: 'manual',
  });
  const text = await response.text();
  return { status: response.status, contentType: response.headers.get('content-type') ?? '', text };
}

const isRefused = (answer: Answer) => answer.status >= 400 && answer.status < 500;

/**
 * Sends these requests at once and answers what came back and everything stored meanwhile, the work
 * of the job messages they sent included: the window closes only once the queues are idle, so no
 * job runs on into the next window.
 */
async function sendTogether(op: Operation, samples: Sample[]): Promise<{ answers: Answer[]; stored: StoredWrite[] }> {
  await recorder.begin();
  const answers = await Promise.all(samples.map((sample) => send(op, sample)));
  await recorder.idle();
  return { answers, stored: await recorder.stored() };
}

const show = (op: Operation, sample: Sample, answer: Answer, stored: StoredWrite[]) =>
  `${op.method} ${op.path} answered ${answer.status} to ${JSON.stringify(sample).slice(0, 300)} and stored: ${stored.map(describeWrite).join('; ')}`;

/**
 * Which refused requests of a batch stored something. A batch that stored nothing clears all of them
 * at once. Otherwise each refused request is sent again alone — a refused request is refused again,
 * the same way — in a window that holds its own writes only (the queues are idle, no timer fires).
 * Answers how many were sent alone, and each refused request that stored something, with what.
 */
async function storedByRefused(op: Operation, batch: Sample[], together: { answers: Answer[]; stored: StoredWrite[] }, limit: number): Promise<{ sentAlone: number; found: string[] }> {
  const refused = batch.filter((_, i) => together.answers[i] !== undefined && isRefused(together.answers[i]));
  const found: string[] = [];
  let sentAlone = 0;
  if (together.stored.length === 0 || refused.length === 0 || limit <= 0) return { sentAlone, found };
  for (const sample of refused) {
    if (found.length >= limit) break;
    const alone = await sendTogether(op, [sample]);
    sentAlone += 1;
    const answer = alone.answers[0];
    // Accepted alone: only the batch refused it (another request had just taken the name, …); it is
    // no longer a refused request.
    if (answer && isRefused(answer) && alone.stored.length > 0) found.push(show(op, sample, answer, alone.stored));
  }
  if (found.length === 0 && together.answers.every(isRefused)) {
    // Nothing was accepted, so refused requests stored this, even if none does so again alone.
    found.push(`${op.method} ${op.path}: a batch of ${batch.length} refused requests stored: ${together.stored.map(describeWrite).join('; ')} (not reproduced one at a time)`);
  }
  return { sentAlone, found };
}

/** Answers that break the error contract: any 5xx, or a 4xx that is not problem+json. */
function badAnswers(batch: Sample[], answers: Answer[]): string[] {
  return answers.flatMap((answer, i) =>
    answer.status >= 500 || (answer.status >= 400 && !answer.contentType.startsWith('application/problem+json'))
      ? [`${answer.status} ${answer.text.slice(0, 200)} for ${JSON.stringify(batch[i]).slice(0, 300)}`]
      : [],
  );
}

/** A hand-written request in the fuzzer's shape: these path parameters and this JSON body. */
function sampleOf(path: Record<string, string>, body: unknown): Sample {
  return { path, query: [], body: { body: typeof body === 'string' ? body : JSON.stringify(body), contentType: 'application/json' } };
}

function operation(method: string, path: string): Operation {
  const found = all.find((op) => op.method === method && op.path === path);
  if (!found) throw new Error(`${method} ${path} is not in the OpenAPI document`);
  return found;
}

const all = await operations();

beforeAll(async () => {
  stack = await startStack({
    port: 0,
    seed: true,
    verbose: process.env.DEVHOST_VERBOSE === '1',
    interpose: (settings) => recorder.interpose(withTimersThatNeverFire(settings)),
  });
  baseUrl = stack.baseUrl ?? '';
  adminKey = stack.adminKey ?? '';
  recorder.watchQueue(baseUrl, stack.settings.JOBS_QUEUE ?? 'jobs');
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  await recorder.close();
}, 60_000);

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
      expect(bad.slice(0, 3), 'answers that are 5xx, or errors that are not problem+json').toEqual([]);
      expect(stored.slice(0, 3), 'refused requests that stored something').toEqual([]);
    });
  }
});
