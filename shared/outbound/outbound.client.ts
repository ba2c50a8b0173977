import dns from 'node:dns';
import { isIP, type LookupFunction, type Socket } from 'node:net';
import type { Agent } from 'undici';
import { lazyRequire } from '../azure/load';
import { config } from '../config';
import { bareHost, type OutboundPolicy, refusedAddress, refusedHostName } from './outbound.policy';

/**
 * The one HTTP client for everything the platform calls on others' behalf: webhooks, `http` models,
 * catalogue connectors. It checks every address it connects to against the outbound policy at
 * connect time — after resolving the name, so a name that resolves (or re-resolves: DNS rebinding)
 * to a private address is refused as well as an IP literal — follows no redirects (a 3xx is the
 * answer), and bounds the time and the bytes of each call.
 *
 * Failures are few and typed (`OutboundError.kind`), so callers sort them without reading messages.
 */
export type OutboundFailure = 'refused' | 'too-large' | 'timeout' | 'aborted' | 'network';

export class OutboundError extends Error {
  constructor(
    readonly kind: OutboundFailure,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'OutboundError';
  }
}

export interface OutboundRequest {
  method: 'GET' | 'POST';
  url: string;
  headers?: Record<string, string>;
  body?: string;
  /** The whole call — connect, answer and body — ends by then. */
  timeoutMs: number;
  /** Bytes of the answer's body to read at most; past it the call fails `too-large`. 0: the body is not read at all. */
  maxBytes: number;
  /** The caller's own cancellation (e.g. a canceled job). */
  signal?: AbortSignal;
}

export interface OutboundResponse {
  status: number;
  headers: Headers;
  body: Buffer;
}

/** Resolves a name to every address it has (dns.lookup with `all`), for the policy to see them all. */
export type Resolver = (hostname: string) => Promise<{ address: string; family: number }[]>;

const undici = () => lazyRequire<typeof import('undici')>('undici');

const systemResolver: Resolver = (hostname) => dns.promises.lookup(hostname, { all: true, verbatim: true });

export class OutboundClient {
  private readonly agent: Agent;

  constructor(
    readonly policy: OutboundPolicy,
    resolve: Resolver = systemResolver,
  ) {
    const lookup = vettedLookup(policy, resolve);
    // undici is loaded with the first client, not at import: it is large and most cold starts make no outbound call.
    const { Agent, buildConnector } = undici();
    const connector = buildConnector({ lookup, timeout: 10_000 });
    this.agent = new Agent({
      // Idle connections close soon: most targets are called once (a webhook) or rarely.
      keepAliveTimeout: 4_000,
      connect: (options, callback) => {
        // net.connect skips `lookup` for IP literals, so those are checked here, before connecting.
        const host = bareHost(options.hostname);
        const refusal = isIP(host) ? refusedAddress(host, policy) : refusedHostName(host);
        if (refusal) {
          callback(refused(options.hostname, refusal), null);
          return;
        }
        connector(options, (error, socket) => {
          if (error || !socket) {
            callback(error ?? new OutboundError('network', 'no connection'), null);
            return;
          }
          // Defence in depth: whatever path led here, the peer actually connected to must pass too.
          const peer = (socket as Socket).remoteAddress;
          const peerRefusal = peer === undefined ? 'has no peer address' : refusedAddress(peer, policy);
          if (peerRefusal) {
            socket.destroy();
            callback(refused(options.hostname, peerRefusal), null);
            return;
          }
          callback(null, socket);
        });
      },
    });
  }

  /** One call; resolves with any status (3xx included), rejects only with an OutboundError. */
  async send(call: OutboundRequest): Promise<OutboundResponse> {
    const url = parseTarget(call.url);
    const timeout = AbortSignal.timeout(call.timeoutMs);
    const signal = call.signal ? AbortSignal.any([timeout, call.signal]) : timeout;
    const failure = (error: unknown): OutboundError => {
      if (error instanceof OutboundError) return error;
      if (call.signal?.aborted) return new OutboundError('aborted', 'The call was canceled.', { cause: error });
      if (timeout.aborted) return new OutboundError('timeout', `No complete answer within ${call.timeoutMs} ms.`, { cause: error });
      const cause = error instanceof Error && error.cause instanceof OutboundError ? error.cause : undefined;
      return cause ?? new OutboundError('network', `The target could not be reached (${errorCode(error)}).`, { cause: error });
    };
    let answer;
    try {
      answer = await undici().request(url, {
        method: call.method,
        headers: call.headers,
        body: call.body,
        signal,
        dispatcher: this.agent,
        maxRedirections: 0,
      });
    } catch (error) {
      throw failure(error);
    }
    const headers = toHeaders(answer.headers);
    if (call.maxBytes === 0) {
      // Nothing in the body is wanted: close it rather than let the target stream into us.
      discard(answer.body);
      return { status: answer.statusCode, headers, body: Buffer.alloc(0) };
    }
    try {
      return { status: answer.statusCode, headers, body: await readCapped(answer.body, call.maxBytes, headers) };
    } catch (error) {
      discard(answer.body);
      throw failure(error);
    }
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}

/**
 * Closes an answer's body unread. undici's body emits an AbortError when destroyed before its end;
 * unheard, that would be an uncaught exception that takes the whole host down.
 */
function discard(body: NodeJS.ReadableStream & { destroy(): void }): void {
  body.on('error', () => {});
  body.destroy();
}

function refused(hostname: string, reason: string): OutboundError {
  return new OutboundError('refused', `The outbound policy refuses ${hostname}: it ${reason}.`);
}

function parseTarget(text: string): URL {
  if (!URL.canParse(text)) throw new OutboundError('refused', 'The target is not a URL.');
  const url = new URL(text);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new OutboundError('refused', 'The target must be http or https.');
  return url;
}

/** A `lookup` for net.connect that resolves every address and refuses the name if any one is refused. */
function vettedLookup(policy: OutboundPolicy, resolve: Resolver): LookupFunction {
  return (hostname, options, callback) => {
    const done = callback as (error: Error | null, address: string | dns.LookupAddress[], family?: number) => void;
    resolve(hostname)
      .then((all) => {
        const wanted = all.filter((entry) => !options.family || entry.family === options.family);
        if (wanted.length === 0) throw new OutboundError('network', `${hostname} has no address.`);
        // Any refused address refuses the name: the socket may try them all (happy eyeballs).
        for (const entry of wanted) {
          const refusal = refusedAddress(entry.address, policy);
          if (refusal) throw refused(hostname, `resolves to ${entry.address}, which ${refusal}`);
        }
        if (options.all) done(null, wanted);
        else done(null, wanted[0]!.address, wanted[0]!.family);
      })
      .catch((error: unknown) => {
        done(error instanceof OutboundError ? error : new OutboundError('network', `${hostname} could not be resolved (${errorCode(error)}).`, { cause: error }), '');
      });
  };
}

async function readCapped(body: AsyncIterable<Buffer>, maxBytes: number, headers: Headers): Promise<Buffer> {
  const tooLarge = () => new OutboundError('too-large', `The answer is larger than ${maxBytes} bytes.`);
  if (Number(headers.get('content-length') ?? '0') > maxBytes) throw tooLarge();
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of body) {
    total += chunk.length;
    if (total > maxBytes) throw tooLarge();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, total);
}

function toHeaders(raw: Record<string, string | string[] | undefined>): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(raw)) {
    for (const one of Array.isArray(value) ? value : value === undefined ? [] : [value]) headers.append(name, one);
  }
  return headers;
}

/** A short, stable name for a network failure (ECONNREFUSED, UND_ERR_SOCKET, …): never a stack or a body. */
function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : error instanceof Error ? error.name : 'unknown error';
}

let shared: OutboundClient | undefined;

/** The process's client, with the policy from the settings (OUTBOUND_ALLOW_PRIVATE_NETWORKS). */
export function outboundClient(): OutboundClient {
  const allowPrivateNetworks = config().outbound.allowPrivateNetworks;
  if (shared?.policy.allowPrivateNetworks !== allowPrivateNetworks) {
    void shared?.close();
    shared = new OutboundClient({ allowPrivateNetworks });
  }
  return shared;
}

/** Closes the shared client's connections (the app's terminate hook). */
export async function disposeOutboundClient(): Promise<void> {
  const closing = shared;
  shared = undefined;
  await closing?.close();
}
