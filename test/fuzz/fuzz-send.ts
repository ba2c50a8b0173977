import { undescribed } from '../support/api';
import { fillPath, type Operation, operations } from '../support/openapi';
import { fuzzStack, recorder } from './fuzz-stack';
import type { FuzzRequest } from './near-valid';
import { describeWrite, type StoredWrite } from './write-recorder';

/**
 * Sending the fuzz files' requests to the private stack (./fuzz-stack.ts) and judging what came back:
 * the answers against the contract, and what refused requests stored.
 */
export const CONCURRENCY = 16;

/**
 * A safety net, not a measure: 1,000 requests take seconds on a quiet machine and minutes on one
 * whose two cores are shared with other work. What is asserted is the answers, never the time.
 */
export const FUZZ_TIMEOUT_MS = 600_000;

type Sample = FuzzRequest;

export interface Answer {
  status: number;
  contentType: string;
  text: string;
  /** Why the OpenAPI document does not describe this answer, if it does not. */
  undescribed?: string;
}

export async function send(op: Operation, input: Sample): Promise<Answer> {
  const { baseUrl, adminKey } = fuzzStack;
  const query = new URLSearchParams(input.query).toString();
  const headers: Record<string, string> = { ...input.headers, 'X-API-Key': adminKey };
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

export const isRefused = (answer: Answer) => answer.status >= 400 && answer.status < 500;

/**
 * Sends these requests at once and answers what came back and everything stored meanwhile, the work
 * of the job messages they sent included: the window closes only once the queues are idle, so no
 * job runs on into the next window.
 */
export async function sendTogether(op: Operation, samples: Sample[]): Promise<{ answers: Answer[]; stored: StoredWrite[] }> {
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
export async function storedByRefused(op: Operation, batch: Sample[], together: { answers: Answer[]; stored: StoredWrite[] }, limit: number): Promise<{ sentAlone: number; found: string[] }> {
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
export function badAnswers(batch: Sample[], answers: Answer[]): string[] {
  return answers.flatMap((answer, i) =>
    answer.status >= 500 || (answer.status >= 400 && !answer.contentType.startsWith('application/problem+json')) || answer.undescribed
      ? [`${answer.undescribed ?? answer.status} ${answer.text.slice(0, 200)} for ${JSON.stringify(batch[i]).slice(0, 600)}`]
      : [],
  );
}

/** A hand-written request in the fuzzer's shape: these path parameters and this JSON body. */
export function sampleOf(path: Record<string, string>, body: unknown): Sample {
  return { path, query: [], body: { body: typeof body === 'string' ? body : JSON.stringify(body), contentType: 'application/json' } };
}

export function operation(method: string, path: string): Operation {
  const found = all.find((op) => op.method === method && op.path === path);
  if (!found) throw new Error(`${method} ${path} is not in the OpenAPI document`);
  return found;
}

// HEAD runs the GET's handler and drops the body: fuzzing it again adds nothing the GET does not.
export const all = (await operations()).filter((op) => op.method !== 'HEAD');
