import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import path from 'node:path';

/**
 * A fault-injecting HTTP(S) forwarding proxy on loopback, between the app's SDKs and an emulator.
 * Real network faults, not mocks: the SDK sees reset connections, refused connections, slow answers
 * and throttling answers exactly as it would from a real service.
 *
 * - `http` mode forwards plain HTTP (Azurite);
 * - `https` mode terminates TLS with the Cosmos DB server's own self-signed certificate and forwards
 *   over HTTPS to the real server (the Cosmos SDK only speaks HTTPS), so HTTP-level faults such as
 *   `429` with `x-ms-retry-after-ms` can be injected for Cosmos too.
 *
 * Every fault applies to the next N matching requests (or connections), then the proxy forwards again.
 */
export type ProxyMode = 'http' | 'https';

/** Which requests a fault applies to: method, path (`/dbs/x/colls/y/docs/z`) and headers; all when absent. */
export type RequestMatch = (request: { method: string; path: string; headers: http.IncomingHttpHeaders }) => boolean;

export interface SeenRequest {
  method: string;
  path: string;
  /** A Cosmos DB query: a `POST` that reads (`x-ms-documentdb-isquery`, or a query+json body such as a query plan request). */
  isQuery: boolean;
  /** What the client was given: a status, or `dropped` / `dropped-after-forward`. */
  outcome: number | 'dropped' | 'dropped-after-forward';
  /** `performance.now()` when the request arrived, and when its answer was sent (unset while open or dropped). */
  arrivedAt: number;
  answeredAt?: number;
}

interface Fault {
  remaining: number;
  match: RequestMatch;
  apply: 'answer' | 'drop' | 'drop-response' | 'delay';
  status?: number;
  headers?: Record<string, string>;
  delayMs?: number;
}

export interface FaultProxy {
  port: number;
  /** The proxy's origin, e.g. `https://127.0.0.1:41234`. */
  origin: string;
  /** Requests seen since start (or the last `clearLog`), in arrival order. */
  log: SeenRequest[];
  clearLog(): void;
  /** Answer the next `count` matching requests with `status` and `headers` without forwarding them. */
  answer(count: number, status: number, headers?: Record<string, string>, match?: RequestMatch): void;
  /** Destroy the client connection of the next `count` matching requests before forwarding (the request is lost). */
  dropRequests(count: number, match?: RequestMatch): void;
  /** Forward the next `count` matching requests, then destroy the client connection instead of answering (the response is lost). */
  dropResponses(count: number, match?: RequestMatch): void;
  /** Hold the next `count` matching requests for `ms` before forwarding them. */
  delay(count: number, ms: number, match?: RequestMatch): void;
  /** Destroy every open client connection (kept-alive ones included) and the next `count` new ones on arrival. */
  dropConnections(count: number): void;
  /** Stop listening and reset every connection: clients get ECONNREFUSED until `up()`. */
  down(): Promise<void>;
  /** Listen again on the same port. */
  up(): Promise<void>;
  /** Forget every pending fault. */
  reset(): void;
  close(): Promise<void>;
}

const everything: RequestMatch = () => true;

/** Whether a Cosmos DB REST request is a query: the SDK marks queries by header or by content type. */
export function isCosmosQuery(headers: http.IncomingHttpHeaders): boolean {
  return headers['x-ms-documentdb-isquery'] !== undefined || String(headers['content-type'] ?? '').startsWith('application/query+json');
}

/** The certificate the embedded Cosmos DB server serves (self-signed, for loopback). */
function cosmosServerCertificate(): { cert: Buffer; key: Buffer } {
  // Resolved as a package, so this file works from test/ (vitest) and compiled into dist/ (bench).
  const root = path.dirname(require.resolve('@vercel/cosmosdb-server/package.json'));
  return { cert: readFileSync(path.join(root, 'cert.pem')), key: readFileSync(path.join(root, 'key.pem')) };
}

/** Starts a proxy on a free loopback port forwarding to `target` (`http://127.0.0.1:10000` or `https://127.0.0.1:8081`). */
export async function startFaultProxy(mode: ProxyMode, target: URL): Promise<FaultProxy> {
  const faults: Fault[] = [];
  const sockets = new Set<Socket>();
  const log: SeenRequest[] = [];
  let dropNextConnections = 0;
  const upstream =
    target.protocol === 'https:'
      ? new https.Agent({ keepAlive: true, rejectUnauthorized: false })
      : new http.Agent({ keepAlive: true });
  const send = target.protocol === 'https:' ? https.request : http.request;

  const takeFault = (method: string, requestPath: string, headers: http.IncomingHttpHeaders): Fault | undefined => {
    const fault = faults.find((f) => f.remaining > 0 && f.match({ method, path: requestPath, headers }));
    if (fault) fault.remaining -= 1;
    return fault;
  };

  const forward = (request: http.IncomingMessage, response: http.ServerResponse, seen: SeenRequest, dropResponse: boolean) => {
    const headers = { ...request.headers, host: target.host };
    const outgoing = send(
      { host: target.hostname, port: target.port, method: request.method, path: request.url, headers, agent: upstream },
      (answer) => {
        if (dropResponse) {
          // The server did the work; the client never learns it. Read the answer fully, then cut the line.
          answer.resume();
          answer.once('end', () => {
            seen.outcome = 'dropped-after-forward';
            request.socket.destroy();
          });
          return;
        }
        seen.outcome = answer.statusCode ?? 502;
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    outgoing.once('error', () => request.socket.destroy());
    request.pipe(outgoing);
  };

  const handle = (request: http.IncomingMessage, response: http.ServerResponse) => {
    const method = request.method ?? 'GET';
    const requestPath = request.url ?? '/';
    const seen: SeenRequest = { method, path: requestPath, isQuery: isCosmosQuery(request.headers), outcome: 'dropped', arrivedAt: performance.now() };
    log.push(seen);
    response.once('finish', () => {
      seen.answeredAt = performance.now();
    });
    const fault = takeFault(method, requestPath, request.headers);
    if (fault?.apply === 'drop') {
      request.socket.destroy();
      return;
    }
    if (fault?.apply === 'answer') {
      request.resume();
      const status = fault.status ?? 503;
      seen.outcome = status;
      // Cosmos DB's own wording for a 429, which is all the SDK keeps of a bulk call it gave up on.
      const message = status === 429 ? 'Request rate is large (injected by the fault proxy)' : 'injected by the fault proxy';
      const body = JSON.stringify({ code: status === 429 ? 'TooManyRequests' : 'ServiceUnavailable', message });
      response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...fault.headers });
      response.end(body);
      return;
    }
    if (fault?.apply === 'delay') {
      const timer = setTimeout(() => forward(request, response, seen, false), fault.delayMs ?? 0);
      // A client that gives up first closes its socket: do not forward a request nobody waits for.
      request.socket.once('close', () => clearTimeout(timer));
      return;
    }
    forward(request, response, seen, fault?.apply === 'drop-response');
  };

  const server = mode === 'https' ? https.createServer(cosmosServerCertificate(), handle) : http.createServer(handle);
  // Never close an idle connection under a client that may be reusing it: the client closes them.
  server.keepAliveTimeout = 0;
  const onConnection = (socket: Socket) => {
    if (dropNextConnections > 0) {
      dropNextConnections -= 1;
      socket.destroy();
      return;
    }
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };
  // For TLS the raw TCP socket is what must be cut; `connection` gives it in both modes.
  server.on('connection', onConnection);

  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve((server.address() as AddressInfo).port);
      });
    });
  const port = await listen(0);
  const destroyAll = () => {
    for (const socket of sockets) socket.destroy();
    sockets.clear();
  };
  const add = (fault: Omit<Fault, 'match'> & { match?: RequestMatch }) => faults.push({ ...fault, match: fault.match ?? everything });

  return {
    port,
    origin: `${mode}://127.0.0.1:${port}`,
    log,
    clearLog: () => log.splice(0),
    answer: (count, status, headers, match) => add({ remaining: count, apply: 'answer', status, headers, match }),
    dropRequests: (count, match) => add({ remaining: count, apply: 'drop', match }),
    dropResponses: (count, match) => add({ remaining: count, apply: 'drop-response', match }),
    delay: (count, ms, match) => add({ remaining: count, apply: 'delay', delayMs: ms, match }),
    dropConnections(count) {
      destroyAll();
      dropNextConnections = count;
    },
    async down() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      destroyAll();
      await closed;
    },
    async up() {
      await listen(port);
    },
    reset() {
      faults.splice(0);
      dropNextConnections = 0;
    },
    async close() {
      faults.splice(0);
      const closed = server.listening ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve();
      destroyAll();
      upstream.destroy();
      await closed;
    },
  };
}

/**
 * For `StackOptions.interpose`: a proxy in front of the Cosmos DB server and one in front of Azurite,
 * and the settings that route the app (and the stack's seeders) through them.
 */
export async function proxyEmulators(settings: Record<string, string>): Promise<{ cosmos: FaultProxy; blob: FaultProxy; settings: Record<string, string> }> {
  const cosmosEndpoint = /AccountEndpoint=([^;]+)/.exec(settings.COSMOS ?? '')?.[1] ?? '';
  const blobEndpoint = /BlobEndpoint=([^;]+)/.exec(settings.STORAGE ?? '')?.[1] ?? '';
  if (!cosmosEndpoint || !blobEndpoint) throw new Error('COSMOS or STORAGE names no endpoint to put a proxy in front of');
  const cosmos = await startFaultProxy('https', new URL(cosmosEndpoint));
  const blob = await startFaultProxy('http', new URL(blobEndpoint));
  const blobThroughProxy = new URL(new URL(blobEndpoint).pathname, blob.origin).toString();
  return {
    cosmos,
    blob,
    settings: {
      ...settings,
      COSMOS: (settings.COSMOS ?? '').replace(cosmosEndpoint, `${cosmos.origin}/`),
      STORAGE: (settings.STORAGE ?? '').replace(blobEndpoint, blobThroughProxy),
    },
  };
}
