import { appendFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiFetch } from '../support/api';
import type { Operation } from '../support/openapi';
import { type Answer, CONCURRENCY, FUZZ_TIMEOUT_MS, all, badAnswers, isRefused, sendTogether, storedByRefused } from './fuzz-send';
import { fuzzStack, useFuzzStack } from './fuzz-stack';
import { KnownResources, pathParameters, segmentsOf } from './known-resources';
import { type Kind, MUTATIONS } from './mutations';
import { type NearValidRequest, NearValidRequests, type OpenApiDocument } from './near-valid';

/**
 * Hostile input is refused at validation (hostile-input.test.ts), so near-valid input follows, with
 * the same properties (./near-valid.ts): requests valid for the document's schemas, to things that
 * exist, some with one field wrong — one bad element among good ones in a bulk body. They get past
 * validation into the handlers' own checks, where a refusal can come after partial work.
 *
 * The requests go to a private stack (./fuzz-stack.ts) whose write recorder sees every write, and
 * what the app calls out to is the test's own receiver.
 */
/** Near-valid requests per operation (see `near-valid.ts`): valid ones and ones with one field wrong. */
const NEAR_VALID_RUNS = Number(process.env.NEAR_VALID_RUNS ?? 200);
const SEED = Number(process.env.FUZZ_SEED ?? 42);

useFuzzStack();

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
    const response = await apiFetch(`${fuzzStack.baseUrl}${path}`, { headers: { 'X-API-Key': fuzzStack.adminKey } });
    return response.ok ? response.json() : undefined;
  };

  beforeAll(async () => {
    const document = (await (await apiFetch(`${fuzzStack.baseUrl}/api/openapi.json`)).json()) as OpenApiDocument;
    const parameterNames = new Set(all.flatMap((op) => op.parameters.filter((p) => p.in === 'path').map((p) => p.name)));
    // Never the fuzzer's own key in a path: `DELETE /api-keys/{keyId}` would revoke it mid-run.
    const ownKeyId = fuzzStack.adminKey.split('.')[0] ?? '';
    requests = new NearValidRequests(document, new KnownResources(parameterNames, new Set([ownKeyId])), fuzzStack.receiverUrl);
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
