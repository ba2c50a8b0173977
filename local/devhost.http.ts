import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpResponse, type HttpResponseInit } from '@azure/functions';
import { type CompiledRoute, byPrecedence, compileRoute, resolveRoute } from '../shared/http/route-template';
import type { Registration } from './functions-core';
import { invocationContext, isTrigger, type Log } from './devhost.invocation';
import { MAX_REQUEST_BYTES, keepsAlive, streamedRequest } from './devhost.request';

/**
 * Kestrel's default keep-alive timeout, which the Functions host keeps. Kestrel sends no `Keep-Alive`
 * hint, so clients close idle connections on their own, shorter clocks (undici: 4 s); Node's server
 * would otherwise advertise `timeout=N` and then close at exactly N, a deadline a client with coarse
 * timers and a busy event loop overshoots — and then writes its next request into a closed socket.
 */
const KEEP_ALIVE_TIMEOUT_MS = 130_000;

/** Answers a request below `/admin/` (devhost.admin.ts). */
export type AdminHandler = (req: http.IncomingMessage, res: http.ServerResponse, url: URL) => Promise<void>;

/**
 * The app's HTTP triggers on `node:http`, loopback only: the host's route templates and precedence
 * below the `routePrefix` of host.json, a streamed request body, the host's 100 MiB limit, and a
 * bodiless 500 when a handler throws past its wrapper.
 */
export class DevelopmentHostHttp {
  private readonly routes: CompiledRoute<Registration>[];
  private server: http.Server | undefined;
  url = '';

  constructor(
    functions: Registration[],
    private readonly routePrefix: string,
    private readonly log: Log,
    private readonly admin: AdminHandler,
  ) {
    this.routes = functions
      .filter((f) => isTrigger(f, 'httpTrigger'))
      .map((f) =>
        compileRoute(
          String(f.trigger.route ?? f.name),
          ((f.trigger.methods as string[] | undefined) ?? ['GET', 'POST']).map(String),
          f,
        ),
      )
      .sort(byPrecedence);
  }

  async listen(port: number): Promise<string> {
    const server = http.createServer((req, res) => void this.serve(req, res));
    this.server = server;
    server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this.url;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  private async serve(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    // Saying `keep-alive` ourselves keeps Node from adding its `Keep-Alive: timeout=` hint (see above).
    if (keepsAlive(req)) res.setHeader('Connection', 'keep-alive');
    try {
      const url = new URL(req.url ?? '/', this.url);
      if (url.pathname.startsWith('/admin/')) return await this.admin(req, res, url);
      const prefix = `/${this.routePrefix}`;
      const below =
        url.pathname === prefix ? '' : url.pathname.startsWith(`${prefix}/`) ? url.pathname.slice(prefix.length + 1) : undefined;
      const match = below === undefined ? undefined : resolveRoute(this.routes, req.method ?? 'GET', below);
      if (!match || 'methodMismatch' in match) {
        res.writeHead(404).end();
        return;
      }
      if (Number(req.headers['content-length'] ?? 0) > MAX_REQUEST_BYTES) {
        // Declared too large: refuse before reading, and close, as Kestrel does.
        res.writeHead(413, { Connection: 'close' }).end();
        return;
      }
      const streamed = streamedRequest(req, url, match.params);
      const started = performance.now();
      let result: HttpResponseInit | HttpResponse | undefined;
      try {
        result = (await match.route.target.handler(streamed.request, invocationContext(match.route.target, this.log))) as typeof result;
      } catch (error) {
        if (!streamed.tooLarge()) throw error;
      } finally {
        streamed.discardRest();
      }
      if (streamed.tooLarge()) {
        res.writeHead(413).end();
        return;
      }
      const response = result instanceof HttpResponse ? result : new HttpResponse(result ?? {});
      const payload = Buffer.from(await response.arrayBuffer());
      const headers: Record<string, string> = {};
      response.headers.forEach((value, key) => {
        headers[key] = value;
      });
      res.writeHead(response.status, headers).end(req.method === 'HEAD' ? undefined : payload);
      this.log('debug', `${req.method} ${url.pathname} → ${response.status} (${(performance.now() - started).toFixed(1)} ms)`);
    } catch (error) {
      // The Functions host answers 500 with no body when a handler throws past its wrapper.
      this.log('error', `unhandled error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      if (!res.headersSent) res.writeHead(500);
      res.end();
    }
  }
}
