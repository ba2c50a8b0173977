import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import type { z } from 'zod';
import type { Principal, Role } from '../auth/auth.schema';
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

/** Request headers a handler reads, documented as its parameters (`Accept` and `Content-Type` are the HTTP layer's). */
export type RequestHeader = 'If-Match' | 'Idempotency-Key' | 'Prefer' | 'Cancel-After';

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
  /** The request headers the handler reads: `required` where a request without one is refused. */
  headers?: Partial<Record<RequestHeader, 'optional' | 'required'>>;
  responses: Record<number, ResponseSpec>;
  /** Marks the operation deprecated: OpenAPI flag plus `Deprecation`/`Sunset` headers (RFC 9745, RFC 8594). */
  deprecated?: { since: Date; sunset: Date; successor?: string };
  handle(input: RouteInput<P, Q, B, A>): Promise<Reply>;
}

/**
 * What the host needs to register a route, with who may call it: declared in the function file, with
 * no schema, so registering costs nothing on a cold start.
 */
export type RouteRegistration = Pick<RouteDefinition, 'name' | 'method' | 'path' | 'access'>;

/** A registered route; its definition (schemas, handler) is loaded on first use and kept. */
export interface RegisteredRoute extends RouteRegistration {
  definition(): RouteDefinition;
}

/** Every route registered in this process, in registration order: the OpenAPI document is built from it. */
export const registeredRoutes: RegisteredRoute[] = [];
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

type Pipeline = typeof import('./route.pipeline');
let pipeline: Pipeline | undefined;

/** auth → validate → run → map errors (`route.pipeline.ts`), loaded by the first request. */
export function wrap(definition: RouteDefinition): (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit> {
  let handler: ReturnType<Pipeline['wrap']> | undefined;
  return async (request, context) => {
    // Imported inside the handler: the bundle carries the module but runs it on this first call.
    pipeline ??= await import('./route.pipeline.js');
    handler ??= pipeline.wrap(definition);
    return handler(request, context);
  };
}

const registrationOf = ({ name, method, path, access }: RouteRegistration): string => JSON.stringify({ name, method, path, access });

/** `load`, called once; its definition must be the route registered (a mismatch is a programming error). */
function once(registration: RouteRegistration, load: () => RouteDefinition): () => RouteDefinition {
  let definition: RouteDefinition | undefined;
  return () => {
    if (definition) return definition;
    const loaded = load();
    if (registrationOf(registration) !== registrationOf(loaded)) {
      throw new Error(`Route ${registration.name} is registered as ${registrationOf(registration)} but defined as ${registrationOf(loaded)}`);
    }
    definition = loaded;
    return definition;
  };
}

/**
 * Declares an HTTP operation: records it for the OpenAPI document and registers it with the
 * Functions host (`app.http`), wrapped in auth → validate → run → map errors.
 *
 * Only the registration is read at import: the definition (its schemas, its service) loads with the
 * first request or the OpenAPI document, so a cold start builds no area's schemas.
 *
 * @example route({ name: 'health', method: 'GET', path: 'health', access: 'public' }, () => definitions().healthRoute)
 */
export function route(registration: RouteRegistration, load: () => RouteDefinition): void {
  const definition = once(registration, load);
  const { name, method, path, access } = registration;
  registeredRoutes.push({ name, method, path, access, definition });
  enableHttpStreams();
  let handler: ReturnType<typeof wrap> | undefined;
  app.http(name, {
    // Every GET answers HEAD too (RFC 9110 §9.3.2): the host only routes the methods registered.
    methods: method === 'GET' ? ['GET', 'HEAD'] : [method],
    route: path,
    authLevel: 'anonymous',
    handler: (request, context) => {
      handler ??= wrap(definition());
      return handler(request, context);
    },
  });
}

/**
 * Typed definitions for `route(registration, load)`, kept in a module loaded on first use: `const A`
 * keeps the access literal so a guarded handler's `principal` is a `Principal`.
 */
export function defineRoute<P extends Schema, Q extends Schema, B extends Schema, const A extends Access>(
  definition: RouteDefinition<P, Q, B, A>,
): RouteDefinition {
  return definition as unknown as RouteDefinition;
}

/** The methods registered routes serve at this request path (`/api/...`); empty when none match it. */
export function allowedMethods(pathname: string): string[] {
  const parts = pathname.split('/').filter(Boolean).slice(1);
  const methods = registeredRoutes
    .filter((definition) => matchRoute(compileRoute(definition.path, [definition.method], definition), parts))
    .flatMap((definition) => (definition.method === 'GET' ? ['GET', 'HEAD'] : [definition.method]));
  return [...new Set(methods)].sort();
}
