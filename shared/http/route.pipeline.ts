import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { z } from 'zod';
import { authenticate, hasAnyRole } from '../auth/auth.service';
import type { Principal } from '../auth/auth.schema';
import { config } from '../config';
import { type AppError, errors, type FieldError, listFields } from '../errors';
import { jsonPointer, unescapePointerPart } from '../json/pointer';
import { corsHeaders } from './cors';
import { matchesIfNoneMatch } from './etag';
import { nestsDeeperThan } from '../json/json-depth';
import { problemDocument, toAppError } from './problem';
import type { Reply } from './reply';
import type { RouteDefinition, RouteInput } from './route';

/**
 * What runs when a request arrives: auth, validation, the handler, errors as problem+json. Apart from
 * `route.ts` so that registering a route loads none of it (nor zod, nor the auth and config schemas):
 * a cold start pays for it on the first invocation.
 */

type Schema = z.ZodType<unknown, unknown>;

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
  throw errors.validation(fieldErrors, listFields);
}

/** The top-level fields an object schema declares (`z.strictObject`, through a `.transform()`); none for other schemas. */
function fieldsOf(schema: Schema | undefined): ReadonlySet<string> {
  const inner = schema instanceof z.ZodPipe ? schema.in : schema;
  return new Set(inner instanceof z.ZodObject ? Object.keys(inner.shape) : []);
}

/**
 * Where a path in a service's input is in the request: its first field where the route's schemas
 * declare it (an import's `addCategories` is in the query, the file it reads in the body), else the
 * body when the route takes one, else the query.
 */
function requestPart(definition: RouteDefinition, path: string): 'body' | 'query' {
  const takesBody = Boolean(definition.body || definition.rawBody);
  if (!takesBody) return 'query';
  const field = unescapePointerPart(path.split('/')[1] ?? '');
  return fieldsOf(definition.query).has(field) && !fieldsOf(definition.body).has(field) ? 'query' : 'body';
}

/**
 * `error` with input-relative pointers placed in the request (`/cursor` → `/query/cursor`, `''` →
 * `/body`); its detail, headers and extensions stay, a detail written from the pointers follows them.
 */
function placedInRequest(error: AppError, definition: RouteDefinition): AppError {
  if (!error.inputRelative) return error;
  return error.withPointers((path) => `/${requestPart(definition, path)}${path}`);
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
export function wrap(definition: RouteDefinition): (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit> {
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

