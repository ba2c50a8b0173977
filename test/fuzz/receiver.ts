import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The one place the app calls out to while the fuzzer runs: every generated URL (webhooks,
 * distributions, links) and the platform connectors' base URLs point here. Webhook POSTs are taken
 * at once (204), so no retry is scheduled to land in a later window; the connectors' GETs find
 * nothing (404), so a run ends at its first page instead of retrying the internet for half a minute.
 */
export interface Receiver {
  url: string;
  /** Requests received so far. */
  received: number;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  let received = 0;
  const server = createServer((request, response) => {
    received += 1;
    request.resume();
    request.on('end', () => {
      if (request.method === 'POST') response.writeHead(204).end();
      else response.writeHead(404, { 'Content-Type': 'application/json' }).end('{"error":"not here"}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get received() {
      return received;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
