import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { app } from '@azure/functions';
import { container } from '../shared/azure/cosmos';
import { installFunctionsCore } from '../local/functions-core';

/**
 * The catalogue point read with less around it, served from the host's own process, so the API's
 * ratio over a direct SDK read splits into what the platform costs and what the app adds:
 *   - behind `node:http` alone: one HTTP hop in front of the SDK read, no Functions library, no app;
 *   - in an empty Functions handler on the development host: the same routing, `HttpRequest` and
 *     `HttpResponse` the API pays (the Node worker builds them the same way), no app code.
 * Whatever the API costs above the second is ours.
 */

/** The Functions floor's route below the host's `api/` prefix. */
export const FUNCTIONS_FLOOR_PATH = 'api/bench/floor/catalogue';

/** The catalogue is partitioned by id: a point read names the id twice. */
async function pointRead(id: string): Promise<{ resource: unknown; etag: string }> {
  const { resource, etag } = await container('catalogue').item(id, id).read();
  return { resource, etag };
}

/** Registers the empty handler with the development host; call before the stack loads the app. */
export function registerFunctionsFloor(): void {
  installFunctionsCore();
  app.http('benchCatalogueFloor', {
    methods: ['GET'],
    authLevel: 'anonymous',
    route: `${FUNCTIONS_FLOOR_PATH.replace(/^api\//, '')}/{id}`,
    handler: async (request) => {
      const { resource, etag } = await pointRead(request.params.id ?? '');
      return { jsonBody: resource, headers: { ETag: etag } };
    },
  });
}

/** A bare `node:http` server answering `GET /{id}` with the document; resolves to its base URL. */
export async function startBareFloor(): Promise<{ url: string; close: () => void }> {
  const server = http.createServer((req, res) => {
    const id = decodeURIComponent((req.url ?? '/').slice(1));
    pointRead(id).then(
      ({ resource, etag }) => res.writeHead(200, { 'Content-Type': 'application/json', ETag: etag }).end(JSON.stringify(resource)),
      () => res.writeHead(500).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() };
}
