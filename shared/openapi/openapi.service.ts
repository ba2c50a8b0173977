import type { OpenAPIObject, OperationObject, ParameterObject, ResponseObject, SchemaObject } from 'openapi3-ts/oas31';
import { lazyRequire } from '../azure/load';
import { z } from 'zod';
import { type RequestHeader, type RouteDefinition, registeredRoutes } from '../http/route';
import { accessNote, catalogueHeaders, errorResponses, problemSchema, TAGS } from './openapi.responses';

type JsonSchema = Record<string, unknown>;

/** `v1/things/{id:int}` / `{id?}` / `{*rest}` → OpenAPI's `/api/v1/things/{id}`. */
export function openApiPath(routeTemplate: string): string {
  const path = routeTemplate.replace(/\{\*?([A-Za-z0-9_]+)(?::[^}?]*)?\??\}/g, '{$1}');
  return `/api/${path}`;
}

/** Converts a zod schema, hoisting its named parts (`.meta({ id })`) into components. */
function toSchema(schema: z.ZodType, components: Record<string, SchemaObject>, io: 'input' | 'output'): SchemaObject {
  const json = z.toJSONSchema(schema, { io, unrepresentable: 'any', reused: 'inline' }) as JsonSchema;
  const defs = (json.$defs ?? {}) as Record<string, JsonSchema>;
  delete json.$defs;
  delete json.$schema;
  const rewrite = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(rewrite);
    if (value && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [key, inner] of Object.entries(value)) {
        out[key] =
          key === '$ref' && typeof inner === 'string' ? inner.replace('#/$defs/', '#/components/schemas/') : rewrite(inner);
      }
      return out;
    }
    return value;
  };
  for (const [name, def] of Object.entries(defs)) components[name] = rewrite(def) as SchemaObject;
  const id = (z.globalRegistry.get(schema) as { id?: string } | undefined)?.id;
  const converted = rewrite(json) as SchemaObject;
  if (id) {
    const ref = `#/components/schemas/${id}`;
    // A named schema that contains other named ones comes back as a `$ref` to its own hoisted
    // definition: keep that definition rather than overwrite it with the reference.
    if ((converted as { $ref?: string }).$ref !== ref) components[id] = converted;
    return { $ref: ref };
  }
  return converted;
}

/** What each request header a route may read means, and the values it takes. */
const REQUEST_HEADERS: Record<RequestHeader, Pick<ParameterObject, 'description' | 'schema'>> = {
  'If-Match': {
    description:
      'The ETag of the version this write is based on, or a comma-separated list of them (RFC 9110 13.1.1): the write goes ahead only if one of ' +
      'the strong ETags listed is the current one (a weak `W/` tag never matches); `*` for any current version. 412 otherwise.',
    schema: { type: 'string' },
  },
  'Idempotency-Key': {
    description:
      'A key of your choosing that makes retrying this request safe (draft-ietf-httpapi-idempotency-key-header): printable ASCII, best a ' +
      'quoted UUID, at most 255 characters (the operation may ask for more; see its description). The same key with the same body ' +
      'answers the first result again (`Idempotent-Replayed: true`), with another body 422.',
    schema: { type: 'string', minLength: 1, maxLength: 257 },
  },
  Prefer: {
    description: '`wait` or `wait=n` (n seconds, 1–60; RFC 7240): wait for the job to end and answer it finished if it does.',
    schema: { type: 'string' },
  },
  'Cancel-After': {
    description:
      'A deadline for the job to start by, else it ends `canceled`: `90s`, `5m`, `1h30m`, `500ms`, seconds, an ISO 8601 duration or instant, within 7 days. ' +
      'The same as the body\'s `cancelAfter`; give one of the two.',
    schema: { type: 'string' },
  },
};

function parametersOf(definition: RouteDefinition, components: Record<string, SchemaObject>): ParameterObject[] {
  const result: ParameterObject[] = [];
  const add = (schema: z.ZodType | undefined, where: 'path' | 'query') => {
    if (!schema) return;
    const json = toSchema(schema, components, 'input') as {
      properties?: Record<string, SchemaObject>;
      required?: string[];
      additionalProperties?: SchemaObject | boolean;
      description?: string;
    };
    for (const [name, property] of Object.entries(json.properties ?? {})) {
      const { description, ...rest } = property as SchemaObject & { description?: string };
      result.push({
        name,
        in: where,
        required: where === 'path' || (json.required ?? []).includes(name),
        schema: rest,
        ...(description ? { description } : {}),
      });
    }
    // A query that takes names of the caller's choosing (`<column>__<op>=` filters) says so as one
    // exploded object: each of its properties is a parameter of its own in the URL.
    if (where === 'query' && typeof json.additionalProperties === 'object') {
      result.push({
        name: 'otherParameters',
        in: 'query',
        style: 'form',
        explode: true,
        schema: { type: 'object', additionalProperties: json.additionalProperties },
        description: json.description ?? 'Any other parameter.',
      });
    }
  };
  add(definition.params, 'path');
  add(definition.query, 'query');
  for (const [name, presence] of Object.entries(definition.headers ?? {})) {
    result.push({ name, in: 'header', required: presence === 'required', ...REQUEST_HEADERS[name as RequestHeader] });
  }
  // Path parameters a route has without a params schema still belong in the document.
  for (const match of definition.path.matchAll(/\{\*?([A-Za-z0-9_]+)/g)) {
    const name = match[1] ?? '';
    if (!result.some((p) => p.in === 'path' && p.name === name)) {
      result.push({ name, in: 'path', required: true, schema: { type: 'string' } });
    }
  }
  return result;
}

interface Components {
  schemas: Record<string, SchemaObject>;
  responses: Record<string, ResponseObject>;
}

function operationOf(definition: RouteDefinition, components: Components): OperationObject {
  const responses: OperationObject['responses'] = {};
  let mediaTypes = 0;
  for (const [status, spec] of Object.entries(definition.responses)) {
    const failure = Number(status) >= 400;
    // Failures are the catalogue's problems (below), unless the route answers one with a body of its own.
    if (failure && !spec.schema) continue;
    const negotiated = [...(spec.schema || spec.contentType ? [spec.contentType ?? 'application/json'] : []), ...(spec.alsoAs ?? [])];
    // Only a choice made by `Accept` can be refused with 406; a file's own type is no choice.
    mediaTypes = Math.max(mediaTypes, negotiated.length);
    const types = [...negotiated, ...(spec.oneOf ?? [])];
    const headers = failure ? catalogueHeaders(Number(status)) : undefined;
    responses[status] = {
      description: spec.description,
      ...(headers ? { headers } : {}),
      ...(types.length > 0
        ? {
            content: Object.fromEntries(
              types.map((type, i) => [type, i === 0 && spec.schema ? { schema: toSchema(spec.schema, components.schemas, 'output') } : {}]),
            ),
          }
        : {}),
    };
  }
  // The wrapper answers If-None-Match itself whenever a GET's answer carries an ETag.
  if (definition.method === 'GET') responses['304'] = { description: 'Not modified: the ETag in `If-None-Match` is current.' };
  Object.assign(responses, errorResponses(definition, mediaTypes, components.responses));
  responses.default = {
    description: 'An unexpected failure on our side, as RFC 9457 problem details.',
    content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
  };
  const security: OperationObject['security'] =
    definition.access === 'public'
      ? []
      : definition.access === 'optional'
        ? [{}, { apiKey: [] }, { bearer: [] }]
        : [{ apiKey: [] }, { bearer: [] }];
  const operation: OperationObject = {
    operationId: definition.name,
    summary: definition.summary,
    tags: definition.tags,
    parameters: parametersOf(definition, components.schemas),
    responses,
    security,
    'x-roles': Array.isArray(definition.access) ? [...definition.access] : definition.access,
  };
  operation.description = `${definition.description ?? `${definition.summary}.`} ${accessNote(definition)}`;
  if (definition.deprecated) operation.deprecated = true;
  if (definition.body || definition.rawBody) {
    const types = definition.consumes ?? ['application/json'];
    operation.requestBody = {
      required: definition.body ? !definition.body.safeParse(undefined).success : true,
      content: Object.fromEntries(
        types.map((type) => [type, definition.body ? { schema: toSchema(definition.body, components.schemas, 'input') } : {}]),
      ),
    };
  }
  return operation;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([k, v]) => [k, sortKeys(v)]),
    );
  }
  return value;
}

let cached: { routeCount: number; document: OpenAPIObject } | undefined;

/** The document of the registered routes, built once (routes do not change after start-up). */
export function openApiDocument(): OpenAPIObject {
  if (cached?.routeCount !== registeredRoutes.length) {
    // Loads every route's definition: the document needs each schema.
    cached = { routeCount: registeredRoutes.length, document: buildOpenApiDocument(registeredRoutes.map((registered) => registered.definition())) };
  }
  return cached.document;
}

/** The OpenAPI 3.1 document of every registered route, keys sorted so the committed copy diffs cleanly. */
export function buildOpenApiDocument(routes: readonly RouteDefinition[]): OpenAPIObject {
  const components: Components = { schemas: { Problem: problemSchema }, responses: {} };
  // Loaded on the first request for the document, not on every cold start (it pulls in a YAML parser).
  const { OpenApiBuilder } = lazyRequire<typeof import('openapi3-ts/oas31')>('openapi3-ts/oas31');
  const builder = OpenApiBuilder.create()
    .addOpenApiVersion('3.1.0')
    .addTitle('ML asset platform API')
    .addVersion('1.0.0')
    .addDescription(
      'Catalogue of AI assets, label store, tabular queries and inference jobs. ' +
        'Authenticate with `X-API-Key: <keyId>.<secret>` or `Authorization: Bearer <JWT>`. ' +
        'Errors are RFC 9457 problem details; lists are cursor-paginated. Every GET also answers HEAD.',
    )
    .addLicense({ name: 'Proprietary', url: 'https://choosealicense.com/no-permission/' })
    .addContact({ name: 'ML asset platform team (issues go to the repository this document was built from)' })
    .addServer({ url: '/', description: 'The deployment serving this document (paths start with `/api`).' })
    .addSecurityScheme('apiKey', { type: 'apiKey', in: 'header', name: 'X-API-Key' })
    .addSecurityScheme('bearer', { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
  const known = new Set(TAGS.map((tag) => tag.name));
  for (const tag of TAGS) builder.addTag(tag);
  const paths = new Map<string, Record<string, OperationObject>>();
  for (const definition of routes) {
    const unknown = definition.tags.filter((tag) => !known.has(tag));
    if (unknown.length > 0) throw new Error(`${definition.name}: tag ${unknown.join(', ')} is not defined in shared/openapi/openapi.responses.ts TAGS`);
    const path = openApiPath(definition.path);
    const item = paths.get(path) ?? {};
    const operation = operationOf(definition, components);
    item[definition.method.toLowerCase()] = operation;
    if (definition.method === 'GET') item.head = headOf(operation);
    paths.set(path, item);
  }
  for (const [path, item] of paths) builder.addPath(path, item);
  for (const [name, schema] of Object.entries(components.schemas)) builder.addSchema(name, schema);
  for (const [name, response] of Object.entries(components.responses)) builder.addResponse(name, response);
  return sortKeys(builder.getSpec()) as OpenAPIObject;
}

/** HEAD of a GET operation: the same statuses and headers, never a body (the wrapper drops it). */
function headOf(get: OperationObject): OperationObject {
  const responses: OperationObject['responses'] = {};
  for (const [status, response] of Object.entries(get.responses ?? {})) {
    const { content: _body, ...rest } = response as ResponseObject;
    responses[status] = '$ref' in rest ? response : rest;
  }
  return {
    ...get,
    operationId: `${String(get.operationId)}Head`,
    summary: `Headers of: ${String(get.summary)}`,
    description: `The headers of the GET, without its body. ${String(get.description)}`,
    responses,
  };
}
