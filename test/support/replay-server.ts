import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

/**
 * A local HTTP server that replays recorded platform answers (test/fixtures/connectors/…), so
 * connector tests and the bench never leave loopback. Routes match on path + query exactly; a route
 * given several answers plays them in order and then repeats the last. `{{base}}` in bodies and
 * headers becomes the server's own origin (for `Link` headers and `links.next`).
 *
 * @example const sut = await startReplayServer(); sut.route('/data/list/limit/2/offset/0', { body: fixture('openml', 'data-list-0.json') });
 */
export interface ReplayAnswer {
  status?: number;
  headers?: Record<string, string>;
  body?: unknown;
}

export interface ReplayServer {
  url: string;
  /** Every request path + query, in order. */
  requests: string[];
  route(pathAndQuery: string, ...answers: ReplayAnswer[]): void;
  /** A generated answer (the bench's 10,000 records). */
  handler(responder: (pathAndQuery: string) => ReplayAnswer | undefined): void;
  stop(): Promise<void>;
}

const FIXTURES = path.resolve(__dirname, '..', 'fixtures', 'connectors');

/** A fixture file's JSON (a copy: tests may change it). */
export function fixture<T = unknown>(platform: string, file: string): T {
  return JSON.parse(readFileSync(path.join(FIXTURES, platform, file), 'utf8')) as T;
}

export async function startReplayServer(): Promise<ReplayServer> {
  const routes = new Map<string, { answers: ReplayAnswer[]; played: number }>();
  const requests: string[] = [];
  let responder: ((pathAndQuery: string) => ReplayAnswer | undefined) | undefined;
  let origin = '';
  const server: Server = createServer((request, response) => {
    const key = request.url ?? '/';
    requests.push(key);
    const route = routes.get(key);
    let answer: ReplayAnswer | undefined;
    if (route) {
      answer = route.answers[Math.min(route.played, route.answers.length - 1)];
      route.played++;
    } else {
      answer = responder?.(key);
    }
    answer ??= { status: 404, body: { error: `no replay for ${key}` } };
    const fill = (text: string) => text.split('{{base}}').join(origin);
    const headers: Record<string, string> = { 'Content-Type': 'application/json' };
    for (const [name, value] of Object.entries(answer.headers ?? {})) headers[name] = fill(value);
    response.writeHead(answer.status ?? 200, headers);
    response.end(answer.body === undefined ? '' : fill(typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body)));
  });
  // Never close an idle connection under a client that may be reusing it (and send no timeout hint): the client closes them.
  server.keepAliveTimeout = 0;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: origin,
    requests,
    route(pathAndQuery, ...answers) {
      routes.set(pathAndQuery, { answers, played: 0 });
    },
    handler(next) {
      responder = next;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
