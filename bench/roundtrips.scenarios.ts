import { CosmosClient } from '@azure/cosmos';
import { startStack, type RunningStack } from '../local/stack';
import { IRIS_DATASET_ID } from '../local/seed/query.seed';
import { type FaultProxy, proxyEmulators, type SeenRequest } from '../test/support/fault-proxy';
import { type IssuedQuery, observeQueries } from './documents-read';

/**
 * Cosmos DB round trips per user operation: a private stack whose app reaches the embedded Cosmos DB
 * server through a counting proxy (test/support/fault-proxy.ts), so every request the app sends —
 * point reads, queries, query plans, writes — is one line in the proxy's log. Each operation runs
 * twice and the second, warm run is counted (the first pays the SDK's one-off account and
 * container reads, which a long-lived Functions instance pays once). Background work a request
 * starts (a job's worker) is counted until the job document says it ended: that document is read by
 * a client of this process that bypasses the proxy, so waiting adds nothing to the count.
 */
export interface RoundTripStack {
  stack: RunningStack;
  cosmos: FaultProxy;
  baseUrl: string;
  adminKey: string;
  /** A client straight to the emulator, not counted. */
  direct: CosmosClient;
  stop(): Promise<void>;
}

export async function startCountedStack(): Promise<RoundTripStack> {
  let cosmos: FaultProxy | undefined;
  let directConnection = '';
  const stack = await startStack({
    port: 0,
    seed: true,
    verbose: false,
    // Timers fire on the wall clock (the job reaper every five minutes): one firing inside a counted
    // run would add its requests to the operation's.
    scheduledTimers: false,
    interpose: async (settings) => {
      directConnection = settings.COSMOS ?? '';
      const proxied = await proxyEmulators(settings);
      cosmos = proxied.cosmos;
      await proxied.blob.close().catch(() => {});
      return { ...proxied.settings, STORAGE: settings.STORAGE ?? '' };
    },
  });
  if (!cosmos || !stack.baseUrl || !stack.adminKey) throw new Error('the counted stack did not start');
  const counted = cosmos;
  const direct = new CosmosClient({ connectionString: directConnection, agent: new (await import('node:https')).Agent({ rejectUnauthorized: false }) });
  return {
    stack,
    cosmos: counted,
    baseUrl: stack.baseUrl,
    adminKey: stack.adminKey,
    direct,
    async stop() {
      direct.dispose();
      await stack.stop();
      await counted.close();
    },
  };
}

export interface Answer {
  status: number;
  body: Record<string, unknown>;
}

export interface Caller {
  (method: string, path: string, options?: { key?: string | null; body?: unknown }): Promise<Answer>;
}

export function callerOf(env: RoundTripStack): Caller {
  return async (method, path, options = {}) => {
    const headers: Record<string, string> = {};
    const key = options.key === undefined ? env.adminKey : options.key;
    if (key) headers['X-API-Key'] = key;
    if (options.body !== undefined) headers['Content-Type'] = 'application/json';
    const response = await fetch(`${env.baseUrl}/api${path}`, { method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) });
    const text = await response.text();
    const body = text && (response.headers.get('content-type') ?? '').includes('json') ? (JSON.parse(text) as Record<string, unknown>) : {};
    return { status: response.status, body };
  };
}

const TERMINAL = new Set(['succeeded', 'failed', 'canceled']);

/** Waits (without the API, so without counted requests) until the job document is terminal. */
export async function jobEnded(env: RoundTripStack, jobId: string): Promise<string> {
  const container = env.direct.database(env.stack.settings.COSMOS_DATABASE ?? 'mlassets').container('jobs');
  for (let attempt = 0; attempt < 600; attempt++) {
    const { resource } = await container.item(jobId, jobId).read<{ status?: string }>();
    if (resource?.status && TERMINAL.has(resource.status)) return resource.status;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`job ${jobId} did not end`);
}

export interface Scenario {
  name: string;
  /** Performs the operation once; throws when the API did not answer as a user expects. */
  run(call: Caller, env: RoundTripStack): Promise<void>;
}

function expectStatus(answer: Answer, statuses: number[], what: string): Answer {
  if (!statuses.includes(answer.status)) throw new Error(`${what}: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer;
}

export const PUBLISHED_ENTRY = '/v1/catalogue/datasets/seed-dataset-beach-litter-images';
export const IRIS_MODEL = 'iris-classifier';
const SETOSA = { sepal_length: 5.1, sepal_width: 3.5, petal_length: 1.4, petal_width: 0.2 };

async function predictionRun(call: Caller, env: RoundTripStack, key: string): Promise<void> {
  // A fresh input each time: a cached result would skip the model and count less than a real run.
  const input = { ...SETOSA, sepal_length: 4 + Math.random() };
  const submitted = expectStatus(await call('POST', `/v1/models/${IRIS_MODEL}/jobs`, { key, body: { input } }), [202], 'submit');
  const status = await jobEnded(env, String(submitted.body.id));
  if (status !== 'succeeded') throw new Error(`the iris job ended ${status}`);
}

/** Keys the scenarios need beyond the admin's, made through the API before counting starts. */
export interface Principals {
  contributor: string;
}

export async function preparePrincipals(call: Caller): Promise<Principals> {
  const made = expectStatus(await call('POST', '/v1/api-keys', { body: { name: 'round trips contributor', roles: ['contributor'] } }), [201], 'contributor key');
  const contributor = String(made.body.key);
  const principal = encodeURIComponent(`apikey:${contributor.split('.')[0]}`);
  expectStatus(await call('PUT', `/v1/models/${IRIS_MODEL}/grants/${principal}`, { body: { dailyLimit: 10_000, monthlyLimit: 100_000 } }), [200, 201], 'grant');
  return { contributor };
}

/** The operations issue 22 names, each with the most round trips it may make. */
export function pinnedScenarios(principals: Principals): Array<Scenario & { aim: number }> {
  return [
    { name: 'anonymous catalogue read (GET entry)', aim: 1, run: async (call) => void expectStatus(await call('GET', PUBLISHED_ENTRY, { key: null }), [200], 'anonymous read') },
    { name: 'keyed catalogue read (GET entry, API key)', aim: 2, run: async (call) => void expectStatus(await call('GET', PUBLISHED_ENTRY), [200], 'keyed read') },
    {
      name: 'grouped stats on iris (POST records/stats, groupBy species)',
      aim: 3,
      run: async (call) =>
        void expectStatus(await call('POST', `/v1/datasets/${IRIS_DATASET_ID}/records/stats`, { body: { groupBy: 'species', metrics: ['mean', 'count', 'stddev'] } }), [200], 'stats'),
    },
    { name: 'iris job by a contributor, submitted and run to success', aim: 8, run: (call, env) => predictionRun(call, env, principals.contributor) },
    { name: 'iris job by an admin, submitted and run to success', aim: 8, run: (call, env) => predictionRun(call, env, env.adminKey) },
  ];
}

/**
 * How many of `requests` are in sequence: the longest chain of requests each sent after the one
 * before it was answered. Requests sent side by side (`Promise.all`, the SDK's query plan beside its
 * query) are one step of it: the wait a caller sees grows with the steps, not the requests.
 */
export function requestsInSequence(requests: readonly SeenRequest[]): number {
  const steps: number[] = [];
  requests.forEach((request, index) => {
    const before = requests.slice(0, index).filter((earlier) => earlier.answeredAt !== undefined && earlier.answeredAt <= request.arrivedAt);
    steps[index] = 1 + Math.max(0, ...before.map((earlier) => steps[requests.indexOf(earlier)] ?? 0));
  });
  return Math.max(0, ...steps);
}

/** Counts the Cosmos requests of the second (warm) run of `scenario`. */
export async function countRoundTrips(env: RoundTripStack, scenario: Scenario): Promise<number> {
  return (await warmRun(env, scenario)).requests;
}

/**
 * Runs `scenario` twice and reports the second (warm) run: the Cosmos requests the proxy saw (left in
 * `env.cosmos.log`) and the queries the app asked its SDK to run (`bench/documents-read.ts`).
 */
export async function warmRun(env: RoundTripStack, scenario: Scenario): Promise<{ requests: number; queries: IssuedQuery[] }> {
  const call = callerOf(env);
  await scenario.run(call, env);
  env.cosmos.clearLog();
  const observed = observeQueries();
  try {
    await scenario.run(call, env);
  } finally {
    observed.stop();
  }
  return { requests: env.cosmos.log.length, queries: observed.issued };
}
