import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { z } from 'zod';
import { authenticate, hasAnyRole } from '../auth/auth.service';
import type { Principal, Role } from '../auth/auth.schema';
import { config } from '../config';
import { type AppError, errors, type FieldError } from '../errors';
import { jsonPointer } from '../json/pointer';
import { corsHeaders } from './cors';
import { matchesIfNoneMatch } from './etag';
import { nestsDeeperThan } from '../json/json-depth';
import { problemDocument, toAppError } from './problem';
import type { Reply } from './reply';
import { compileRoute, matchRoute } from './route-template';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD' | 'OPTIONS';

/**
 * Who may call a route, declared next to its path:
 * - `'public'`: no credentials looked at (health, OpenAPI, docs);
 * - `'optional'`: anonymous allowed, but credentials that are sent must be valid;
 * - a list of roles: authenticated, holding one of them (admin implies every role).
 */
export type Access = 'public' | 'optional' | readonly [Role, ...Role[]];

export interface ResponseSpec {
  description: string;
  schema?: z.ZodType;
  contentType?: string;
  /** Further media types the same answer may come in (negotiated by `Accept`): documented without a schema. */
  alsoAs?: string[];
  /** Media types the answer has by which resource is asked for (a file's own type), not by `Accept`: documented without a schema. */
  oneOf?: string[];
}

type Schema = z.ZodType<unknown, unknown>;

/** Routes that declare roles always have a caller; public and optional ones may not. */
export type CallerOf<A extends Access> = A extends 'public' | 'optional' ? Principal | undefined : Principal;

export interface RouteInput<P extends Schema, Q extends Schema, B extends Schema, A extends Access = Access> {
  params: z.output<P>;
  query: z.output<Q>;
  body: z.output<B>;
  /** The raw body, for routes declared with `rawBody` (CSV, NDJSON). */
  rawBody: Buffer;
  principal: CallerOf<A>;
  request: HttpRequest;
  context: InvocationContext;
}

export interface RouteDefinition<
  P extends Schema = Schema,
  Q extends Schema = Schema,
  B extends Schema = Schema,
  A extends Access = Access,
> {
  /** Function name and OpenAPI operationId. */
  name: string;
  method: HttpMethod;
  /** Route template after the `api/` prefix, in the Functions syntax: `v1/imagesets/{id}`. */
  path: string;
  summary: string;
  description?: string;
  tags: string[];
  access: A;
  params?: P;
  query?: Q;
  body?: B;
  /** Accept any body of `consumes` and pass it raw instead of parsing JSON. */
  rawBody?: boolean;
  consumes?: string[];
  bodyLimitBytes?: number;
  responses: Record<number, ResponseSpec>;
  /** Marks the operation deprecated: OpenAPI flag plus `Deprecation`/`Sunset` headers (RFC 9745, RFC 8594). */
  deprecated?: { since: Date; sunset: Date; successor?: string };
  handle(input: RouteInput<P, Q, B, A>): Promise<Reply>;
}

/** Every route registered in this process, in registration order: the OpenAPI document is built from it. */
export const registeredRoutes: RouteDefinition[] = [];
let streamsEnabled = false;

/**
 * HTTP streams: the host hands a request over with its body still arriving, so the caller is
 * authenticated, and a body over its limit refused, before it is read. Without them the host reads
 * up to 100 MB of anyone's body before the app sees the request. Set with the first registration,
 * not at import: `app.setup` looks for the host, which tools load only before registering.
 */
function enableHttpStreams(): void {
  if (streamsEnabled) return;
  streamsEnabled = true;
  app.setup({ enableHttpStream: true });
}

const JSON_TYPES = ['application/json'];

function pointer(location: string, path: readonly PropertyKey[]): string {
  return `/${location}${jsonPointer(path)}`;
}

function parseOrThrow<S extends Schema>(schema: S | undefined, value: unknown, location: string): z.output<S> {
  if (!schema) return undefined as z.output<S>;
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const fieldErrors: FieldError[] = result.error.issues.map((issue) => ({
    pointer: pointer(location, issue.path),
    message: issue.message,
  }));
  throw errors.validation(fieldErrors, fieldErrors.map((e) => `${e.pointer}: ${e.message}`).join('; '));
}

/**
 * The input a service is handed: the body when the route takes one, else the query. A field error a
 * service reports by its path in that input (`errors.invalidInput('/cursor', …)`) is placed there.
 */
function serviceInput(definition: RouteDefinition): 'body' | 'query' {
  return definition.body || definition.rawBody ? 'body' : 'query';
}

/** `error` with input-relative pointers placed in the request (`/cursor` → `/query/cursor`). */
function placedInRequest(error: AppError, definition: RouteDefinition): AppError {
  if (!error.inputRelative || !error.errors) return error;
  const location = serviceInput(definition);
  const fieldErrors = error.errors.map(({ pointer: path, message }) => ({ pointer: `/${location}${path}`, message }));
  return errors.validation(fieldErrors, fieldErrors.map((e) => `${e.pointer}: ${e.message}`).join('; '));
}

/** URLSearchParams → object; a repeated key becomes an array. */
function queryObject(params: URLSearchParams): Record<string, string | string[]> {
  const result: Record<string, string | string[]> = {};
  for (const [key, value] of params) {
    const existing = result[key];
    result[key] = existing === undefined ? value : Array.isArray(existing) ? [...existing, value] : [existing, value];
  }
  return result;
}

function mediaType(header: string | null): string | undefined {
  return header?.split(';')[0]?.trim().toLowerCase() || undefined;
}

/** The body, read only up to the limit: past it the rest is left unread (the host drops it). */
async function readBody(request: HttpRequest, limit: number): Promise<Buffer> {
  const declared = Number(request.headers.get('content-length') ?? '0');
  if (declared > limit) throw errors.payloadTooLarge(limit);
  if (!request.body) return Buffer.alloc(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = request.body.getReader();
  for (let next = await reader.read(); !next.done; next = await reader.read()) {
    size += next.value.length;
    if (size > limit) {
      await reader.cancel();
      throw errors.payloadTooLarge(limit);
    }
    chunks.push(next.value);
  }
  return Buffer.concat(chunks);
}

async function bodyOf(definition: RouteDefinition, request: HttpRequest): Promise<{ parsed: unknown; raw: Buffer }> {
  if (!definition.body && !definition.rawBody) return { parsed: undefined, raw: Buffer.alloc(0) };
  const limit = definition.bodyLimitBytes ?? config().http.maxBodyBytes;
  const accepted = definition.consumes ?? JSON_TYPES;
  const raw = await readBody(request, limit);
  const type = mediaType(request.headers.get('content-type'));
  if (raw.length === 0 && definition.body?.safeParse(undefined).success) return { parsed: undefined, raw };
  if (!type || !accepted.includes(type)) throw errors.unsupportedMediaType(accepted);
  if (definition.rawBody) return { parsed: undefined, raw };
  const text = raw.toString('utf8');
  const { maxJsonDepth } = config().http;
  if (nestsDeeperThan(text, maxJsonDepth)) {
    throw errors.invalidField('/body', `is nested more than ${maxJsonDepth} levels deep (objects and arrays inside one another)`);
  }
  try {
    return { parsed: JSON.parse(text), raw };
  } catch {
    throw errors.invalidField('/body', 'is not valid JSON');
  }
}

async function principalFor(definition: RouteDefinition, request: HttpRequest): Promise<Principal | undefined> {
  if (definition.access === 'public') return undefined;
  const principal = await authenticate(request.headers);
  if (definition.access === 'optional') return principal;
  if (!principal) throw errors.unauthenticated();
  if (!hasAnyRole(principal, definition.access)) {
    throw errors.forbidden(`This operation needs one of the roles: ${definition.access.join(', ')}.`);
  }
  // A key scoped to one campaign is refused on any other campaign's routes before anything else runs.
  const campaignId = request.params.campaignId;
  if (principal.scope && campaignId !== undefined && campaignId !== principal.scope.campaignId) {
    throw errors.forbidden('This key is limited to another campaign.');
  }
  return principal;
}

function deprecationHeaders(definition: RouteDefinition): Record<string, string> {
  if (!definition.deprecated) return {};
  const { since, sunset, successor } = definition.deprecated;
  return {
    Deprecation: `@${Math.floor(since.getTime() / 1000)}`,
    Sunset: sunset.toUTCString(),
    ...(successor ? { Link: `<${successor}>; rel="successor-version"` } : {}),
  };
}

function toResponse(reply: Reply, extraHeaders: Record<string, string>): HttpResponseInit {
  const headers: Record<string, string> = { ...extraHeaders, ...reply.headers };
  if (reply.body === undefined) return { status: reply.status, headers };
  if (typeof reply.body === 'string' || Buffer.isBuffer(reply.body)) {
    return { status: reply.status, headers, body: reply.body };
  }
  headers['Content-Type'] ??= 'application/json; charset=utf-8';
  return { status: reply.status, headers, body: JSON.stringify(reply.body) };
}

/** auth → validate → run → map errors: the one handler wrapper every HTTP route goes through. */
export function wrap(definition: RouteDefinition) {
  return async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    const common = { ...corsHeaders(request.headers.get('origin')), ...deprecationHeaders(definition) };
    try {
      const principal = await principalFor(definition, request);
      const params = parseOrThrow(definition.params, request.params, 'path');
      const query = parseOrThrow(definition.query, queryObject(request.query), 'query');
      const { parsed, raw } = await bodyOf(definition, request);
      const body = parseOrThrow(definition.body, parsed, 'body');
      const input = { params, query, body, rawBody: raw, principal, request, context };
      const reply = await definition.handle(input as RouteInput<Schema, Schema, Schema>);
      const etag = reply.headers?.ETag;
      if (etag && (request.method === 'GET' || request.method === 'HEAD') && reply.status === 200) {
        if (matchesIfNoneMatch(request.headers.get('if-none-match'), etag)) {
          return { status: 304, headers: { ...common, ETag: etag, ...pick(reply.headers, 'Cache-Control', 'Vary') } };
        }
      }
      const response = toResponse(reply, common);
      // HEAD is the GET without its body: same status and headers.
      return request.method === 'HEAD' ? { status: response.status, headers: response.headers } : response;
    } catch (error) {
      const appError = placedInRequest(toAppError(error), definition);
      if (appError.status >= 500) {
        context.error(`${definition.name} failed`, appError.cause ?? appError);
      }
      const headers = { ...common, ...appError.headers, 'Content-Type': 'application/problem+json; charset=utf-8' };
      if (request.method === 'HEAD') return { status: appError.status, headers };
      return { status: appError.status, headers, body: JSON.stringify(problemDocument(appError, new URL(request.url).pathname)) };
    }
  };
}

function pick(headers: Record<string, string> | undefined, ...names: string[]): Record<string, string> {
  const result: Record<string, string> = {};
  for (const name of names) {
    const value = headers?.[name];
    if (value !== undefined) result[name] = value;
  }
  return result;
}

/**
 * Declares an HTTP operation: records it for the OpenAPI document and registers it with the
 * Functions host (`app.http`), wrapped in auth → validate → run → map errors.
 *
 * @example route({ name: 'getThing', method: 'GET', path: 'v1/things/{id}', access: ['reader'], … })
 */
export function route<P extends Schema, Q extends Schema, B extends Schema, const A extends Access>(
  definition: RouteDefinition<P, Q, B, A>,
): void {
  const erased = definition as unknown as RouteDefinition;
  registeredRoutes.push(erased);
  enableHttpStreams();
  app.http(definition.name, {
    // Every GET answers HEAD too (RFC 9110 §9.3.2): the host only routes the methods registered.
    methods: definition.method === 'GET' ? ['GET', 'HEAD'] : [definition.method],
    route: definition.path,
    authLevel: 'anonymous',
    handler: wrap(erased),
  });
}

/** The methods registered routes serve at this request path (`/api/...`); empty when none match it. */
export function allowedMethods(pathname: string): string[] {
  const parts = pathname.split('/').filter(Boolean).slice(1);
  const methods = registeredRoutes
    .filter((definition) => matchRoute(compileRoute(definition.path, [definition.method], definition), parts))
    .flatMap((definition) => (definition.method === 'GET' ? ['GET', 'HEAD'] : [definition.method]));
  return [...new Set(methods)].sort();
}
