import { appendFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningStack, StackOptions } from '../../local/stack';
import { apiFetch, undescribed } from '../support/api';
import { fillPath, type Operation, operations } from '../support/openapi';
import { KnownResources, pathParameters, segmentsOf } from './known-resources';
import { type Kind, MUTATIONS } from './mutations';
import { type FuzzRequest, INJECTIONS, type NearValidRequest, NearValidRequests, type OpenApiDocument } from './near-valid';
import { type Receiver, startReceiver } from './receiver';
import { createWriteRecorder, describeWrite, type StoredWrite } from './write-recorder';

/**
 * Hostile input against every operation in the OpenAPI document: random and malformed bodies,
 * wrong types, huge strings and arrays, deep nesting, catastrophic regex patterns, bad JSON, wrong content types, path and query
 * injection attempts. The properties: never a 5xx, every error is problem+json, every answer is
 * described by the OpenAPI document (whatever was sent), and nothing is stored by a refused (4xx)
 * request — no Cosmos DB or Blob storage write lands, no job message is sent.
 *
 * Hostile input is refused at validation, so near-valid input follows, with the same properties
 * (./near-valid.ts): requests valid for the document's schemas, to things that exist, some with one
 * field wrong — one bad element among good ones in a bulk body. They get past validation into the
 * handlers' own checks, where a refusal can come after partial work.
 *
 * The requests go to a private stack whose app reaches its stores through a write recorder
 * (./write-recorder.ts), so every write is seen, whichever area of the app makes it. What the app
 * calls out to (webhooks, platform connectors) is the test's own receiver (./receiver.ts).
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 1_000);
/** Near-valid requests per operation (see `near-valid.ts`): valid ones and ones with one field wrong. */
const NEAR_VALID_RUNS = Number(process.env.NEAR_VALID_RUNS ?? 200);
const SEED = Number(process.env.FUZZ_SEED ?? 42);
const CONCURRENCY = 16;
/** 31 February: a timer with this schedule never fires, so nothing but the requests writes. */
const NEVER = '0 0 0 31 2 *';

const load = createRequire(import.meta.url);
const { startStack } = load(path.resolve(__dirname, '../../dist/local/stack.js')) as { startStack(options: StackOptions): Promise<RunningStack> };

const recorder = createWriteRecorder();
let receiver: Receiver | undefined;
let stack: RunningStack | undefined;
let baseUrl = '';
let adminKey = '';

/** Every timer schedule setting (`*_SCHEDULE`) replaced by one that never fires: timers write on their own. */
function withTimersThatNeverFire(settings: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(settings).map(([name, value]) => [name, name.endsWith('_SCHEDULE') ? NEVER : value]));
}

// The near-valid injections, and a string long enough to overflow what a careless handler buffers.
const injections = [...INJECTIONS, 'a'.repeat(5_000)];

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

function requestArbitrary(op: Operation): fc.Arbitrary<FuzzRequest> {
  const pathNames = op.parameters.filter((p) => p.in === 'path').map((p) => p.name);
  const queryNames = op.parameters.filter((p) => p.in === 'query' && !p.explode).map((p) => p.name);
  return fc.record({
    path: fc.record(Object.fromEntries(pathNames.map((name) => [name, hostileString]))) as fc.Arbitrary<Record<string, string>>,
    query: fc.array(fc.tuple(fc.oneof(fc.constantFrom(...(queryNames.length ? queryNames : ['q'])), fc.string({ maxLength: 6 })), hostileString), { maxLength: 4 }),
    body: bodyArbitrary(op),
  });
}

type Sample = FuzzRequest;

interface Answer {
  status: number;
  contentType: string;
  text: string;
  /** Why the OpenAPI document does not describe this answer, if it does not. */
  undescribed?: string;
}

async function send(op: Operation, input: Sample): Promise<Answer> {
  const query = new URLSearchParams(input.query).toString();
  const headers: Record<string, string> = { 'X-API-Key': adminKey };
  if (input.body.contentType) headers['Content-Type'] = input.body.contentType;
  const canHaveBody = op.method !== 'GET' && op.method !== 'HEAD';
  const url = new URL(`${baseUrl}/api${fillPath(op.path, input.path)}${query ? `?${query}` : ''}`);
  const response = await fetch(url, {
    method: op.method,
    headers,
    body: canHaveBody ? input.body.body : undefined,
    redirect: 'manual',
  });
  const text = await response.text();
  return { status: response.status, contentType: response.headers.get('content-type') ?? '', text, undescribed: await undescribed(url, op.method, response, text) };
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
  `${op.method} ${op.path} answered ${answer.status} to ${JSON.stringify(sample).slice(0, 600)} and stored: ${stored.map(describeWrite).join('; ')}`;

/**
 * Which refused requests of a batch stored something. A batch that stored nothing clears all of them
 * at once. Otherwise the refused requests are sent again without the accepted ones — a refused request
 * is refused again, the same way — and if together they store nothing, that clears them too. Else
 * each is sent alone, in a window that holds its own writes only (the queues are idle, no timer
 * fires). Answers how many were sent again, and each refused request that stored something, with what.
 */
async function storedByRefused(op: Operation, batch: Sample[], together: { answers: Answer[]; stored: StoredWrite[] }, limit: number): Promise<{ sentAlone: number; found: string[] }> {
  const refused = batch.filter((_, i) => together.answers[i] !== undefined && isRefused(together.answers[i]));
  const found: string[] = [];
  let sentAlone = 0;
  if (together.stored.length === 0 || refused.length === 0 || limit <= 0) return { sentAlone, found };
  if (refused.length > 1 && refused.length < batch.length) {
    const again = await sendTogether(op, refused);
    sentAlone += refused.length;
    if (again.stored.length === 0) return { sentAlone, found };
  }
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

/** Answers that break the contract: any 5xx, a 4xx that is not problem+json, or one the OpenAPI document does not describe. */
function badAnswers(batch: Sample[], answers: Answer[]): string[] {
  return answers.flatMap((answer, i) =>
    answer.status >= 500 || (answer.status >= 400 && !answer.contentType.startsWith('application/problem+json')) || answer.undescribed
      ? [`${answer.undescribed ?? answer.status} ${answer.text.slice(0, 200)} for ${JSON.stringify(batch[i]).slice(0, 600)}`]
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

// HEAD runs the GET's handler and drops the body: fuzzing it again adds nothing the GET does not.
const all = (await operations()).filter((op) => op.method !== 'HEAD');

/**
 * The platform connectors point at the test's receiver, once per page and without retries; with
 * private networks refused (as in Azure) the outbound client refuses the loopback receiver, so an
 * accepted run ends in milliseconds instead of retrying unreachable platforms for half a minute.
 */
function connectorsCallingTheReceiver(url: string): Record<string, string> {
  return {
    CONNECTOR_OPENML_URL: `${url}/openml`,
    CONNECTOR_HUGGINGFACE_URL: `${url}/huggingface`,
    CONNECTOR_ZENODO_URL: `${url}/zenodo`,
    CONNECTOR_MAX_RETRIES: '0',
    CONNECTOR_REQUEST_INTERVAL_MS: '0',
    // HOSTILE_URLS name private addresses: the stack must refuse them, never call them.
    OUTBOUND_ALLOW_PRIVATE_NETWORKS: 'false',
  };
}

beforeAll(async () => {
  receiver = await startReceiver();
  stack = await startStack({
    port: 0,
    seed: true,
    verbose: process.env.DEVHOST_VERBOSE === '1',
    settings: connectorsCallingTheReceiver(receiver.url),
    interpose: (settings) => recorder.interpose(withTimersThatNeverFire(settings)),
  });
  baseUrl = stack.baseUrl ?? '';
  adminKey = stack.adminKey ?? '';
  recorder.watchQueue(baseUrl, stack.settings.JOBS_QUEUE ?? 'jobs');
  await catastrophicModel();
}, 120_000);

/**
 * A model whose input and output schemas hold a pattern that backtracks exponentially on V8's engine,
 * granted to the fuzzer: near-valid job submissions meet it with inputs that set it off (INJECTIONS).
 */
async function catastrophicModel(): Promise<void> {
  const headers = { 'X-API-Key': adminKey, 'Content-Type': 'application/json' };
  const everyString = { pattern: '^(a+)+$', additionalProperties: { pattern: '^(a+)+$' }, items: { pattern: '^(a+)+$' } };
  const body = { name: 'Fuzz: catastrophic patterns', status: 'published', runtime: { kind: 'builtin', name: 'iris-classifier' }, inputSchema: everyString, outputSchema: everyString };
  const created = await apiFetch(`${baseUrl}/api/v1/catalogue/models`, { method: 'POST', headers, body: JSON.stringify(body) });
  if (created.status !== 201) throw new Error(`the catastrophic model was not created: ${created.status} ${await created.text()}`);
  const { id } = (await created.json()) as { id: string };
  const principal = encodeURIComponent(`apikey:${adminKey.split('.')[0] ?? ''}`);
  const granted = await apiFetch(`${baseUrl}/api/v1/models/${id}/grants/${principal}`, { method: 'PUT', headers, body: JSON.stringify({ dailyLimit: 100_000, monthlyLimit: 1_000_000 }) });
  if (!granted.ok) throw new Error(`the catastrophic model was not granted: ${granted.status} ${await granted.text()}`);
}

afterAll(async () => {
  await stack?.stop();
  await recorder.close();
  await receiver?.close();
}, 60_000);

/**
 * A safety net, not a measure: 1,000 requests take seconds on a quiet machine and minutes on one
 * whose two cores are shared with other work. What is asserted is the answers, never the time.
 */
const FUZZ_TIMEOUT_MS = 600_000;

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

/**
 * Creates first, so that later operations find what they made (a campaign before its status, its
 * status before its labels); deletes last, sub-resources before what they hang from (a dataset's
 * records before the dataset, a campaign's labeller before the API key).
 */
function nearValidOrder(operations: Operation[]): Operation[] {
  const rank: Record<string, number> = { POST: 0, PUT: 1, PATCH: 2, GET: 3, DELETE: 4 };
  const depth = (op: Operation) => segmentsOf(op.path).length;
  const parameters = (op: Operation) => pathParameters(op.path).length;
  return [...operations].sort(
    (a, b) =>
      (rank[a.method] ?? 3) - (rank[b.method] ?? 3) ||
      (a.method === 'DELETE' ? depth(b) - depth(a) || parameters(a) - parameters(b) : depth(a) - depth(b)),
  );
}

/** What happened to the near-valid requests of each kind, over all operations. */
type Outcome = 'accepted' | 'refused' | '5xx';
const tally = new Map<string, Record<Outcome, number>>();

/** `injection (body, in one array element)`: the kind of request and where its wrong field is. */
function kindOf(sample: NearValidRequest): string {
  if (sample.kind === 'valid') return 'valid';
  const places = [sample.where.startsWith('/query') ? 'query' : 'body', ...(sample.inElement ? ['in one array element'] : [])];
  return `${sample.kind} (${places.join(', ')})`;
}

function outcomeOf(answer: Answer): Outcome {
  return answer.status >= 500 ? '5xx' : isRefused(answer) ? 'refused' : 'accepted';
}

function tallyTable(): string {
  const rows = [...tally.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([kind, row]) => {
      const total = row.accepted + row.refused + row['5xx'];
      const share = ((100 * row.accepted) / total).toFixed(0).padStart(3);
      return `  ${kind.padEnd(48)} ${String(total).padStart(6)}   accepted ${String(row.accepted).padStart(5)} (${share} %)   refused ${String(row.refused).padStart(5)}   5xx ${row['5xx']}`;
    });
  return `near-valid requests by kind:\n${rows.join('\n')}`;
}

/** Valid requests first, then each mutation: a batch of one kind is refused as a whole more often, so fewer requests are re-sent alone. */
function byKind(samples: NearValidRequest[]): NearValidRequest[] {
  const order: Kind[] = ['valid', ...MUTATIONS];
  return [...samples].sort((a, b) => order.indexOf(a.kind) - order.indexOf(b.kind) || Number(a.inElement) - Number(b.inElement));
}

interface NearValidRun {
  bad: string[];
  stored: string[];
  accepted: number;
  sentAlone: number;
  /** A few valid requests the app refused all the same, with why: what the generator does not know yet. */
  refusedValid: string[];
}

/**
 * Sends the samples in batches, checks the three properties and counts each answer by kind. The
 * path values of accepted writes are remembered: later requests go to them more often.
 */
async function sendNearValid(op: Operation, samples: NearValidRequest[], known: KnownResources): Promise<NearValidRun> {
  const run: NearValidRun = { bad: [], stored: [], accepted: 0, sentAlone: 0, refusedValid: [] };
  for (let i = 0; i < samples.length; i += CONCURRENCY) {
    const batch = samples.slice(i, i + CONCURRENCY);
    const requests = batch.map((sample) => sample.request);
    const together = await sendTogether(op, requests);
    together.answers.forEach((answer, j) => {
      const sample = batch[j] as NearValidRequest;
      const row = tally.get(kindOf(sample)) ?? { accepted: 0, refused: 0, '5xx': 0 };
      row[outcomeOf(answer)] += 1;
      tally.set(kindOf(sample), row);
      if (outcomeOf(answer) === 'accepted') run.accepted += 1;
      if (outcomeOf(answer) === 'accepted' && op.method !== 'GET') known.remember(sample.request.path);
      if (sample.kind === 'valid' && isRefused(answer) && run.refusedValid.length < 8) {
        run.refusedValid.push(`${answer.status} ${answer.text.slice(0, 300)} for ${JSON.stringify(sample.request).slice(0, 400)}`);
      }
      run.bad.push(...badAnswers([sample.request], [answer]).map((text) => `${text} [${sample.kind}${sample.where ? ` at ${sample.where}` : ''}]`));
    });
    const refused = await storedByRefused(op, requests, together, 3 - run.stored.length);
    run.stored.push(...refused.found);
    run.sentAlone += refused.sentAlone;
  }
  return run;
}

/**
 * With FUZZ_LOG=<file>: one JSON line per operation (time, accepted, re-sent, every bad answer, a few
 * refused valid requests), and the table of outcomes by kind at the end — for tuning the generator.
 */
function logRun(op: Operation, run: NearValidRun, timing: { milliseconds: number; discovery: number; samples: number }): void {
  const file = process.env.FUZZ_LOG;
  if (file) appendFileSync(file, `${JSON.stringify({ op: `${op.method} ${op.path}`, ...timing, ...run })}\n`);
}

describe('near-valid input', () => {
  let requests: NearValidRequests | undefined;
  /** An operation accepted writes: the next one lists again what exists. */
  let changed = false;

  const getJson = async (path: string): Promise<unknown> => {
    const response = await apiFetch(`${baseUrl}${path}`, { headers: { 'X-API-Key': adminKey } });
    return response.ok ? response.json() : undefined;
  };

  beforeAll(async () => {
    const document = (await (await apiFetch(`${baseUrl}/api/openapi.json`)).json()) as OpenApiDocument;
    const parameterNames = new Set(all.flatMap((op) => op.parameters.filter((p) => p.in === 'path').map((p) => p.name)));
    // Never the fuzzer's own key in a path: `DELETE /api-keys/{keyId}` would revoke it mid-run.
    const ownKeyId = adminKey.split('.')[0] ?? '';
    requests = new NearValidRequests(document, new KnownResources(parameterNames, new Set([ownKeyId])), receiver?.url ?? '');
    await requests.discover(getJson);
  }, 60_000);

  afterAll(() => {
    if (process.env.FUZZ_LOG && tally.size > 0) console.log(tallyTable());
  });

  /**
   * Two rounds: the second finds what the first made (imagesets finalized after the first round's
   * campaigns were created, so the second round's can be activated and labelled). Deletes only in the
   * second: the first round's would take away what the second needs.
   */
  const rounds = [
    { round: 1, operations: nearValidOrder(all.filter((op) => op.method !== 'DELETE')), runs: Math.ceil(NEAR_VALID_RUNS / 2) },
    { round: 2, operations: nearValidOrder(all), runs: Math.floor(NEAR_VALID_RUNS / 2) },
  ];
  for (const { round, operations, runs } of rounds) {
    for (const op of operations) {
      it(`round ${round}: ${op.method} ${op.path}: valid and one-field-wrong requests never answer 5xx, errors are problem+json, and a refused one stores nothing`, async () => {
        if (!requests) throw new Error('the near-valid requests were not set up');
        const started = Date.now();
        if (changed) await requests.discover(getJson);
        const discovery = Date.now() - started;
        const samples = byKind(fc.sample(requests.arbitrary(op), { numRuns: requests.hasVariables(op) ? runs : 1, seed: SEED + round }));
        const run = await sendNearValid(op, samples, requests.known);
        changed = op.method !== 'GET' && run.accepted > 0;
        logRun(op, run, { milliseconds: Date.now() - started, discovery, samples: samples.length });
        expect(run.bad.slice(0, 3), 'answers that are 5xx, errors that are not problem+json, or answers the document does not describe').toEqual([]);
        expect(run.stored.slice(0, 3), 'refused requests that stored something').toEqual([]);
      }, FUZZ_TIMEOUT_MS);
    }
  }
});
