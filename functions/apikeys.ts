import { z } from 'zod';
import { ApiKey, ApiKeyParams, CreateApiKeyBody, CreatedApiKey } from '../shared/auth/auth.schema';
import { createApiKey, getApiKey, listApiKeys, revokeApiKey } from '../shared/auth/auth.service';
import { pageOf, pageQuery, pageReply } from '../shared/http/pagination';
import { created, ok } from '../shared/http/reply';
import { route } from '../shared/http/route';

const tags = ['api-keys'];

route({
  name: 'createApiKey',
  method: 'POST',
  path: 'v1/api-keys',
  summary: 'Create an API key (the secret is returned once)',
  tags,
  access: ['admin'],
  body: CreateApiKeyBody,
  responses: { 201: { description: 'The key, with its secret.', schema: CreatedApiKey } },
  handle: async ({ body, principal }) => {
    const key = await createApiKey(body, principal.id);
    return created(key, `/api/v1/api-keys/${key.id}`);
  },
});

route({
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
    return pageReply(page.items, page.continuation, {}, request.url);
  },
});

route({
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

route({
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
