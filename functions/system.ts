import { app } from '@azure/functions';
import { z } from 'zod';
import { disposeBlobServiceClient } from '../shared/azure/blob';
import { disposeOutboundClient } from '../shared/outbound/outbound.client';
import { disposeCosmosClient } from '../shared/azure/cosmos';
import { disposeQueueSender } from '../shared/azure/queue';
import { resetConfig } from '../shared/config';
import { errors } from '../shared/errors';
import { ASSET_MEDIA_TYPES, docsAsset, docsPage } from '../shared/docs/docs.service';
import { Health } from '../shared/health/health.schema';
import { checkHealth } from '../shared/health/health.service';
import { preflightHeaders } from '../shared/http/cors';
import { raw } from '../shared/http/reply';
import { allowedMethods, route, wrap } from '../shared/http/route';
import { missingJobHandlers } from '../shared/jobs/job.handlers';
import { JobKind } from '../shared/jobs/job.schema';
import { openApiDocument } from '../shared/openapi/openapi.service';
import { version } from '../package.json';

route({
  name: 'health',
  method: 'GET',
  path: 'health',
  summary: 'Liveness and a check of each dependency',
  tags: ['system'],
  access: 'public',
  responses: {
    200: { description: 'Every dependency answered.', schema: Health },
    503: { description: 'At least one dependency failed; `checks` says which.', schema: Health },
  },
  handle: async () => {
    const health = await checkHealth(version);
    const ok = health.status === 'ok';
    // A 503 says when to look again, like every 503 of this API (a probe's own interval usually decides).
    const headers: Record<string, string> = ok ? { 'Cache-Control': 'no-store' } : { 'Cache-Control': 'no-store', 'Retry-After': '30' };
    return { status: ok ? 200 : 503, body: health, headers };
  },
});

route({
  name: 'openapi',
  method: 'GET',
  path: 'openapi.json',
  summary: 'This OpenAPI 3.1 document',
  tags: ['system'],
  access: 'public',
  responses: { 200: { description: 'The document.', contentType: 'application/json' } },
  handle: async () => ({ status: 200, body: openApiDocument(), headers: { 'Cache-Control': 'no-cache' } }),
});

route({
  name: 'docs',
  method: 'GET',
  path: 'docs',
  summary: 'Swagger UI for this API',
  tags: ['system'],
  access: 'public',
  responses: { 200: { description: 'The page.', contentType: 'text/html' } },
  handle: async () => raw(docsPage(), 'text/html; charset=utf-8', { 'Cache-Control': 'no-cache' }),
});

route({
  name: 'docsAsset',
  method: 'GET',
  path: 'docs/{file}',
  summary: 'A Swagger UI asset (served locally, no CDN)',
  tags: ['system'],
  access: 'public',
  params: z.strictObject({ file: z.string().max(100) }),
  responses: { 200: { description: 'The file, in its own media type.', oneOf: ASSET_MEDIA_TYPES } },
  handle: async ({ params }) => {
    const asset = await docsAsset(params.file);
    return raw(asset.body, asset.contentType, { 'Cache-Control': 'public, max-age=86400' });
  },
});

// CORS preflight for every route. Azure's platform CORS answers these when it is configured; the
// app answers them itself so the same origins work under `func start` and the development host.
app.http('corsPreflight', {
  methods: ['OPTIONS'],
  route: '{*path}',
  authLevel: 'anonymous',
  handler: async (request) => ({ status: 204, headers: preflightHeaders(request.headers.get('origin')) }),
});

// Anything no route matches: 405 naming the allowed methods when the path exists, else 404 — as
// problem+json, like every other error, instead of the host's empty 404.
app.http('notFound', {
  methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD'],
  route: '{*path}',
  authLevel: 'anonymous',
  handler: wrap({
    name: 'notFound',
    method: 'GET',
    path: '{*path}',
    summary: 'Fallback for unknown routes',
    tags: ['system'],
    access: 'public',
    responses: {},
    handle: async ({ request }) => {
      const allowed = allowedMethods(new URL(request.url).pathname);
      throw allowed.length > 0 ? errors.methodNotAllowed(allowed) : errors.notFound('route', new URL(request.url).pathname);
    },
  }),
});

// Every job kind needs a handler, registered by the area that owns it; the host has loaded every
// function file before it runs this, so a kind nobody handles fails the start instead of
// dead-lettering its first message.
app.hook.appStart(() => {
  const unhandled = missingJobHandlers(JobKind.options);
  if (unhandled.length > 0) throw new Error(`No handler registered for job kinds: ${unhandled.join(', ')}`);
});

// The host is shutting down (a scale-in, a restart, the development host's stop): close the clients
// so sockets and timers do not outlive the app, and forget the parsed settings, so an app started
// again in the same process (the development host's restart) reads them afresh.
app.hook.appTerminate(async () => {
  resetConfig();
  disposeCosmosClient();
  disposeBlobServiceClient();
  await disposeQueueSender();
  await disposeOutboundClient();
});
