import type { HeaderObject, ReferenceObject, ResponseObject, SchemaObject, TagObject } from 'openapi3-ts/oas31';
import { type ErrorCode, problemCatalogue } from '../errors';
import type { RouteDefinition } from '../http/route';

/**
 * What the document says beyond each route's own success responses, derived from the registration
 * (access, parameters, body, method) and the one error catalogue — so a new route is documented with
 * every status the wrapper and the services can answer without anyone writing it down.
 */

/** Every tag a route may use, with what it groups: a route with another tag fails the document's test. */
export const TAGS: TagObject[] = [
  { name: 'api-keys', description: 'API keys: create, list and revoke the `X-API-Key` credentials of callers (admins).' },
  { name: 'campaigns', description: 'Labelling campaigns: their lifecycle, labellers and exports.' },
  { name: 'catalogue', description: 'The catalogue of AI assets (datasets, models, platforms, …) with JSON-LD exports.' },
  { name: 'connectors', description: 'Connectors that import catalogue entries from other platforms, run as jobs.' },
  { name: 'imagesets', description: 'Image sets: upload tokens (SAS), images and stored predictions.' },
  { name: 'inference', description: 'Inference: submit jobs to models and manage access grants.' },
  { name: 'jobs', description: 'Asynchronous jobs: status, listing and cancellation.' },
  { name: 'labels', description: 'Labels of campaign images, predictions and the review queue.' },
  { name: 'records', description: 'Hosted tabular datasets: schema, ingest, query, statistics and browsing (CSV, NDJSON).' },
  { name: 'system', description: 'Health, this document and its browsable rendering.' },
];

const problemContent = { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } };

/** The headers of the catalogue's problems: each factory in `shared/errors.ts` always sets its own, so they are required. */
const HEADERS: Record<string, HeaderObject> = {
  'Retry-After': { description: 'Seconds to wait before trying again.', required: true, schema: { type: 'integer', minimum: 1 } },
  'WWW-Authenticate': { description: 'The accepted authentication schemes.', required: true, schema: { type: 'string' } },
  Allow: { description: 'The methods this resource answers.', required: true, schema: { type: 'string' } },
  'Accept-Post': { description: 'The media types a body may have.', required: true, schema: { type: 'string' } },
};

const DESCRIPTIONS: Partial<Record<ErrorCode, string>> = {
  'validation-failed': 'A parameter or the body is not valid; `errors` points at each field.',
  unauthenticated: 'Credentials are missing (where required) or not valid.',
  forbidden: 'The caller lacks a role this operation needs, or may not touch this resource.',
  'not-found': 'No such resource (or it is not visible to the caller).',
  'not-acceptable': 'None of the media types (or JSON-LD profiles) in `Accept` is available.',
  conflict: 'The request conflicts with the current state of the resource.',
  'precondition-failed': '`If-Match` does not match the current ETag.',
  'payload-too-large': 'The body is over the size limit of this operation.',
  'unsupported-media-type': 'The body is not of a media type this operation accepts.',
  unprocessable: 'The request is well-formed but cannot be carried out (e.g. an `Idempotency-Key` reused for another body).',
  'too-many-requests': 'A rate or quota limit was reached; retry after `Retry-After` seconds.',
  'service-unavailable': 'A dependency is down or busy; retry after `Retry-After` seconds.',
};

const codeByStatus = new Map<number, ErrorCode>(
  Object.entries(problemCatalogue).map(([code, entry]) => [entry.status, code as ErrorCode]),
);

const componentName = (code: ErrorCode) => problemCatalogue[code].title.replace(/[^A-Za-z]/g, '');

/**
 * The error statuses every operation of its kind can answer, from what its registration declares:
 * the wrapper's own (validation, credentials, roles, body limits, negotiation). A service's refusals
 * that only some routes make — 409, 412, 422 — are listed where the route declares them in
 * `responses`, not on every write.
 */
function errorCodes(definition: RouteDefinition, mediaTypes: number): ErrorCode[] {
  const codes: ErrorCode[] = ['service-unavailable'];
  const authenticated = definition.access !== 'public';
  const hasBody = Boolean(definition.body || definition.rawBody);
  if (definition.params || definition.query || hasBody) codes.push('validation-failed');
  if (authenticated) codes.push('unauthenticated', 'forbidden', 'too-many-requests');
  if (definition.path.includes('{')) codes.push('not-found');
  if (definition.method === 'GET' && mediaTypes > 1) codes.push('not-acceptable');
  if (hasBody) codes.push('payload-too-large', 'unsupported-media-type');
  return codes;
}

/** The headers the catalogue promises with this status (`Retry-After` on 429 and 503), whatever the body. */
export function catalogueHeaders(status: number): Record<string, HeaderObject> | undefined {
  const code = codeByStatus.get(status);
  const names = code ? problemCatalogue[code].headers : [];
  return names.length > 0 ? Object.fromEntries(names.map((name) => [name, HEADERS[name] ?? {}])) : undefined;
}

/** The shared error responses (`#/components/responses/…`) an operation refers to. */
export function errorResponses(
  definition: RouteDefinition,
  mediaTypes: number,
  components: Record<string, ResponseObject>,
): Record<string, ResponseObject | ReferenceObject> {
  const result: Record<string, ResponseObject | ReferenceObject> = {};
  const declared = Object.keys(definition.responses).map(Number).filter((status) => status >= 400);
  const codes = new Set(errorCodes(definition, mediaTypes));
  for (const status of declared) {
    const code = codeByStatus.get(status);
    if (code) codes.add(code);
  }
  for (const code of codes) {
    const { status } = problemCatalogue[code];
    const own = definition.responses[status];
    // A route that answers this status with a body of its own (health's report) documents it itself.
    if (own?.schema) continue;
    const headers = catalogueHeaders(status);
    const response: ResponseObject = {
      description: own?.description ?? DESCRIPTIONS[code] ?? problemCatalogue[code].title,
      content: problemContent,
      ...(headers ? { headers } : {}),
    };
    if (own) {
      // The route says more than the catalogue about this status (which conflict, which precondition).
      result[status] = response;
    } else {
      components[componentName(code)] = response;
      result[status] = { $ref: `#/components/responses/${componentName(code)}` };
    }
  }
  return result;
}

/** Who may call the operation, said in words in its description (the roles are also in `x-roles`). */
export function accessNote(definition: RouteDefinition): string {
  if (definition.access === 'public') return 'No credentials needed.';
  if (definition.access === 'optional') return 'Anonymous callers are allowed; credentials that are sent must be valid.';
  return `Needs one of the roles: ${definition.access.join(', ')} (admin implies every role).`;
}

export const problemSchema: SchemaObject = {
  type: 'object',
  required: ['type', 'title', 'status', 'detail'],
  properties: {
    type: { type: 'string', description: '`urn:mlassets:problem:<code>`, one per entry of the error catalogue.' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    instance: { type: 'string' },
    errors: {
      type: 'array',
      items: {
        type: 'object',
        required: ['pointer', 'message'],
        properties: { pointer: { type: 'string' }, message: { type: 'string' } },
      },
    },
  },
};
