import https from 'node:https';
import { createRequire } from 'node:module';
import path from 'node:path';
import { afterAll, afterEach, beforeAll } from 'vitest';
import type { StrictLimits } from '../../local/cosmos-strict';
import type { RunningStack, StackOptions } from '../../local/stack';
import { apiFetch } from './api';
import { type FaultProxy, proxyEmulators } from './fault-proxy';

/**
 * A private stack whose app reaches Cosmos DB and Blob storage through fault-injecting proxies
 * (the faults suites): the compiled stack from dist/, as the host loads it, with the proxies put in
 * front of the emulators before the app is loaded.
 */
export interface ProxiedStack {
  stack: RunningStack;
  cosmos: FaultProxy;
  blob: FaultProxy;
  baseUrl: string;
  adminKey: string;
  /** The settings pointing at the emulators themselves, not the proxies. */
  direct: Record<string, string>;
  stop(): Promise<void>;
}

const load = createRequire(import.meta.url);
const { startStack } = load(path.resolve(__dirname, '../../dist/local/stack.js')) as { startStack(options: StackOptions): Promise<RunningStack> };

export async function startProxiedStack(options: { seed: boolean; settings?: Record<string, string> }): Promise<ProxiedStack> {
  let proxies: { cosmos: FaultProxy; blob: FaultProxy } | undefined;
  let direct: Record<string, string> = {};
  const stack = await startStack({
    port: 0,
    seed: options.seed,
    verbose: process.env.DEVHOST_VERBOSE === '1',
    // Timers run only when a test invokes them (the admin API): a wall-clock firing (the job reaper's
    // every five minutes) would take a fault a test injected for its own requests.
    scheduledTimers: false,
    ...(options.settings ? { settings: options.settings } : {}),
    interpose: async (settings) => {
      direct = settings;
      const proxied = await proxyEmulators(settings);
      proxies = proxied;
      return proxied.settings;
    },
  });
  if (!proxies) throw new Error('the stack started without its proxies');
  const { cosmos, blob } = proxies;
  return {
    stack,
    cosmos,
    blob,
    baseUrl: stack.baseUrl ?? '',
    adminKey: stack.adminKey ?? '',
    direct,
    async stop() {
      await stack.stop();
      await Promise.all([cosmos.close(), blob.close()]);
    },
  };
}

type StartOptions = Parameters<typeof startProxiedStack>[0];

export interface Answer<T> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export interface AnswerOptions {
  /** Sent as JSON. */
  body?: unknown;
  /** Sent as is, with `contentType`. */
  raw?: string | Buffer;
  contentType?: string;
  /** Added to (or replacing) the admin key header. */
  headers?: Record<string, string>;
}

/** The file's proxied stack, once its `beforeAll` has started it. */
export interface UsedProxiedStack {
  readonly cosmos: FaultProxy;
  readonly blob: FaultProxy;
  readonly baseUrl: string;
  /** Calls the API (`route` below `/api`) as the admin; JSON answers are parsed, and every answer is checked against the OpenAPI document. */
  call<T = Record<string, unknown>>(method: string, route: string, options?: AnswerOptions): Promise<Answer<T>>;
  /** Changes the strict-mode limits of the Cosmos DB server itself (not through the proxy; `COSMOS_STRICT=1` stacks), answering the limits now in force. */
  setStrictLimits(changes: Partial<StrictLimits>): Promise<StrictLimits>;
}

/**
 * Starts a proxied stack for this test file (before all its tests), clears the faults left set after
 * each test and stops the stack after the file.
 *
 * @example const stack = useProxiedStack({ seed: true }); … stack.cosmos.answer(3, 429); await stack.call('GET', '/health');
 */
export function useProxiedStack(options: StartOptions): UsedProxiedStack {
  let proxied: ProxiedStack | undefined;
  beforeAll(async () => {
    proxied = await startProxiedStack(options);
  }, 120_000);
  afterAll(async () => {
    await proxied?.stop();
  }, 60_000);
  afterEach(() => {
    proxied?.cosmos.reset();
    proxied?.blob.reset();
  });
  const running = (): ProxiedStack => {
    if (!proxied) throw new Error('the proxied stack starts in beforeAll');
    return proxied;
  };
  return {
    get cosmos() {
      return running().cosmos;
    },
    get blob() {
      return running().blob;
    },
    get baseUrl() {
      return running().baseUrl;
    },
    call: (method, route, callOptions) => callAsAdmin(running(), method, route, callOptions),
    setStrictLimits: (changes) => setStrictLimits(running(), changes),
  };
}

async function callAsAdmin<T>(stack: ProxiedStack, method: string, route: string, options: AnswerOptions = {}): Promise<Answer<T>> {
  const headers: Record<string, string> = { 'X-API-Key': stack.adminKey };
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  if (options.raw !== undefined && options.contentType) headers['Content-Type'] = options.contentType;
  Object.assign(headers, options.headers);
  const body = options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  const response = await apiFetch(`${stack.baseUrl}/api${route}`, { method, headers, body });
  const text = await response.text();
  const parsed = (response.headers.get('content-type') ?? '').includes('json') && text ? (JSON.parse(text) as T) : (text as T);
  return { status: response.status, headers: response.headers, body: parsed, text };
}

function setStrictLimits(stack: ProxiedStack, changes: Partial<StrictLimits>): Promise<StrictLimits> {
  const origin = new URL(/AccountEndpoint=([^;]+)/.exec(stack.direct.COSMOS ?? '')?.[1] ?? '').origin;
  return new Promise((resolve, reject) => {
    // The emulator's certificate is self-signed.
    const request = https.request(`${origin}/_strict`, { method: 'POST', rejectUnauthorized: false, headers: { 'content-type': 'application/json' } }, (response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => (text += chunk.toString()));
      response.on('end', () => resolve(JSON.parse(text) as StrictLimits));
    });
    request.on('error', reject);
    request.end(JSON.stringify(changes));
  });
}
