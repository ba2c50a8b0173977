import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback server that answers every request 200 and then streams JSON-looking bytes until the
 * client goes away or `limitBytes` have gone out: a hostile webhook receiver or scoring endpoint.
 * `sent()` is what the client was made to accept before it hung up.
 */
export interface StreamingServer {
  url: string;
  requests: number;
  sent(): number;
  /** Resolves once the current answer has ended (client closed or limit reached). */
  finished(): Promise<void>;
  close(): Promise<void>;
}

export async function startStreamingServer(limitBytes: number): Promise<StreamingServer> {
  const chunk = Buffer.alloc(64 * 1024, 'a');
  let sent = 0;
  let requests = 0;
  let done: Promise<void> = Promise.resolve();
  const server = http.createServer((req, res) => {
    requests++;
    req.resume();
    done = new Promise<void>((resolve) => {
      res.on('close', () => resolve());
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write('["');
      const pump = () => {
        while (!res.destroyed && sent < limitBytes) {
          sent += chunk.length;
          if (!res.write(chunk)) {
            res.once('drain', pump);
            return;
          }
        }
        if (!res.destroyed) res.end('"]');
      };
      pump();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/stream`,
    get requests() {
      return requests;
    },
    sent: () => sent,
    finished: () => done,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
