import { createRequire } from 'node:module';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import type { RunningStack, StackOptions } from '../../local/stack';
import { apiFetch } from '../support/api';
import { type Receiver, startReceiver } from './receiver';
import { createWriteRecorder } from './write-recorder';

/**
 * The private stack the fuzz files send their requests to: its app reaches its stores through a write
 * recorder (./write-recorder.ts), so every write is seen, whichever area of the app makes it, and what
 * the app calls out to (webhooks, platform connectors) is the test's own receiver (./receiver.ts).
 */

const load = createRequire(import.meta.url);
const { startStack } = load(path.resolve(__dirname, '../../dist/local/stack.js')) as { startStack(options: StackOptions): Promise<RunningStack> };

export const recorder = createWriteRecorder();
let receiver: Receiver | undefined;
let stack: RunningStack | undefined;
/** Where the private stack answers, the admin key it made, and the receiver's URL: set once it runs. */
export const fuzzStack = { baseUrl: '', adminKey: '', receiverUrl: '' };

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

/** Starts the private stack before the file's tests (seeded, with the catastrophic model) and stops it after. */
export function useFuzzStack(): void {
  beforeAll(async () => {
    receiver = await startReceiver();
    stack = await startStack({
      port: 0,
      seed: true,
      verbose: process.env.DEVHOST_VERBOSE === '1',
      settings: connectorsCallingTheReceiver(receiver.url),
      // Timers write on their own: none fires on its schedule while the recorder watches.
      scheduledTimers: false,
      interpose: (settings) => recorder.interpose(settings),
    });
    fuzzStack.baseUrl = stack.baseUrl ?? '';
    fuzzStack.adminKey = stack.adminKey ?? '';
    fuzzStack.receiverUrl = receiver.url;
    recorder.watchQueue(fuzzStack.baseUrl, stack.settings.JOBS_QUEUE ?? 'jobs');
    await catastrophicModel(fuzzStack);
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
    await recorder.close();
    await receiver?.close();
  }, 60_000);
}

/**
 * A model whose input and output schemas hold a pattern that backtracks exponentially on V8's engine,
 * granted to the fuzzer: near-valid job submissions meet it with inputs that set it off (INJECTIONS).
 */
async function catastrophicModel({ baseUrl, adminKey }: { baseUrl: string; adminKey: string }): Promise<void> {
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
