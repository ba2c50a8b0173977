import { z } from 'zod';
import { ApiKey, ApiKeyParams, CreateApiKeyBody, CreatedApiKey } from './auth.schema';
import { API_KEY_REPLAY_WINDOW_SECONDS, createApiKeyIdempotently, getApiKey, listApiKeys, revokeApiKey } from './auth.service';
import { pageOf, pageReply } from '../http/pagination';
import { pageQuery } from '../query/cursor';
import { created, ok } from '../http/reply';
import { defineRoute } from '../http/route';
import { withIdempotencyKey } from '../http/idempotency-key';
import { IDEMPOTENCY_HEADER } from '../idempotency/idempotency.service';

/**
 * The API key routes' definitions, registered by `functions/apikeys.ts` from name, method, path and
 * access alone and loaded here on their first request: a cold start builds none of these schemas.
 */

const tags = ['api-keys'];

export const createApiKeyRoute = defineRoute({
  name: 'createApiKey',
  method: 'POST',
  path: 'v1/api-keys',
  summary: 'Create an API key (the secret is returned once)',
  description:
    `\`${IDEMPOTENCY_HEADER}\` (at least 16 characters, e.g. a UUID) makes retries safe: for ${API_KEY_REPLAY_WINDOW_SECONDS / 60} minutes ` +
    'the same caller with the same key and body gets the same key, with its secret, again (`Idempotent-Replayed: true`); ' +
    'the same key with another body is 422; a retry while the first request is still running is 409 with Retry-After. ' +
    'Until then the secret is kept only encrypted under a key derived from the Idempotency-Key, which is not stored.',
  tags,
  access: ['admin'],
  headers: { 'Idempotency-Key': 'optional' },
  body: CreateApiKeyBody,
  responses: {
    201: { description: 'The key, with its secret.', schema: CreatedApiKey },
    409: { description: 'A request with this `Idempotency-Key` is still being processed; retry after `Retry-After`.' },
    422: { description: 'This `Idempotency-Key` was already used for a different request.' },
  },
  handle: async ({ body, principal, request }) => {
    const { key, replayed } = await withIdempotencyKey(request.headers, (idempotencyKey) => createApiKeyIdempotently(principal, body, idempotencyKey));
    const reply = created(key, `/api/v1/api-keys/${key.id}`);
    return replayed ? { ...reply, headers: { ...reply.headers, 'Idempotent-Replayed': 'true' } } : reply;
  },
});

export const listApiKeysRoute = defineRoute({
  name: 'listApiKeys',
  method: 'GET',
  path: 'v1/api-keys',
  summary: 'List API keys (never their secrets)',
  tags,
  access: ['admin'],
  query: z.strictObject(pageQuery),
  responses: { 200: { description: 'A page of keys.', schema: pageOf(ApiKey, 'ApiKeyPage') } },
  handle: async ({ query, request }) => {
    const page = await listApiKeys(query.limit, query.cursor);
    return pageReply(page, request.url);
  },
});

export const getApiKeyRoute = defineRoute({
  name: 'getApiKey',
  method: 'GET',
  path: 'v1/api-keys/{keyId}',
  summary: 'Get one API key',
  tags,
  access: ['admin'],
  params: ApiKeyParams,
  responses: { 200: { description: 'The key.', schema: ApiKey } },
  handle: async ({ params }) => ok(await getApiKey(params.keyId)),
});

export const revokeApiKeyRoute = defineRoute({
  name: 'revokeApiKey',
  method: 'DELETE',
  path: 'v1/api-keys/{keyId}',
  summary: 'Revoke an API key; requests with it are refused from now on',
  tags,
  access: ['admin'],
  params: ApiKeyParams,
  responses: { 200: { description: 'The revoked key.', schema: ApiKey } },
  handle: async ({ params }) => ok(await revokeApiKey(params.keyId)),
});
