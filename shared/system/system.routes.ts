import { z } from 'zod';
import { errors } from '../errors';
import { ASSET_MEDIA_TYPES, docsAsset, docsPage } from '../docs/docs.service';
import { Health } from '../health/health.schema';
import { checkHealth } from '../health/health.service';
import { raw } from '../http/reply';
import { allowedMethods, defineRoute } from '../http/route';
import { openApiDocument } from '../openapi/openapi.service';
import { version } from '../../package.json';

/**
 * The system area's route definitions, registered by `functions/system.ts` from name, method, path
 * and access alone and loaded here on their first request: a cold start builds none of these schemas.
 */

export const healthRoute = defineRoute({
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
    const result = await checkHealth(version);
    const ok = result.status === 'ok';
    // A 503 says when to look again, like every 503 of this API (a probe's own interval usually decides).
    const headers: Record<string, string> = ok ? { 'Cache-Control': 'no-store' } : { 'Cache-Control': 'no-store', 'Retry-After': '30' };
    return { status: ok ? 200 : 503, body: result, headers };
  },
});

export const openapiRoute = defineRoute({
  name: 'openapi',
  method: 'GET',
  path: 'openapi.json',
  summary: 'This OpenAPI 3.1 document',
  tags: ['system'],
  access: 'public',
  responses: { 200: { description: 'The document.', contentType: 'application/json' } },
  handle: async () => ({ status: 200, body: openApiDocument(), headers: { 'Cache-Control': 'no-cache' } }),
});

export const docsRoute = defineRoute({
  name: 'docs',
  method: 'GET',
  path: 'docs',
  summary: 'Swagger UI for this API',
  tags: ['system'],
  access: 'public',
  responses: { 200: { description: 'The page.', contentType: 'text/html' } },
  handle: async () => raw(docsPage(), 'text/html; charset=utf-8', { 'Cache-Control': 'no-cache' }),
});

export const docsAssetRoute = defineRoute({
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

/** Anything no route matches: 405 naming the allowed methods when the path exists, else 404. */
export const notFoundRoute = defineRoute({
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
});
