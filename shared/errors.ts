/**
 * The error catalogue: every failure the API reports is one of these codes, built by one factory
 * below and rendered as RFC 9457 problem+json in exactly one place (`shared/http/problem.ts`).
 *
 * @example throw errors.notFound('imageset', id)
 */
export const ErrorCode = {
  ValidationFailed: 'validation-failed',
  Unauthenticated: 'unauthenticated',
  Forbidden: 'forbidden',
  NotFound: 'not-found',
  MethodNotAllowed: 'method-not-allowed',
  NotAcceptable: 'not-acceptable',
  Conflict: 'conflict',
  PreconditionFailed: 'precondition-failed',
  PreconditionRequired: 'precondition-required',
  PayloadTooLarge: 'payload-too-large',
  UnsupportedMediaType: 'unsupported-media-type',
  Unprocessable: 'unprocessable',
  TooManyRequests: 'too-many-requests',
  ServiceUnavailable: 'service-unavailable',
  InsufficientStorage: 'insufficient-storage',
  Internal: 'internal',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/**
 * Status, title and the headers each problem carries, per code: the factories below build from it and
 * the OpenAPI document describes each status from it, so the two cannot disagree.
 */
export const problemCatalogue = {
  [ErrorCode.ValidationFailed]: { status: 400, title: 'Validation failed', headers: [] },
  [ErrorCode.Unauthenticated]: { status: 401, title: 'Unauthenticated', headers: ['WWW-Authenticate'] },
  [ErrorCode.Forbidden]: { status: 403, title: 'Forbidden', headers: [] },
  [ErrorCode.NotFound]: { status: 404, title: 'Not found', headers: [] },
  [ErrorCode.MethodNotAllowed]: { status: 405, title: 'Method not allowed', headers: ['Allow'] },
  [ErrorCode.NotAcceptable]: { status: 406, title: 'Not acceptable', headers: [] },
  [ErrorCode.Conflict]: { status: 409, title: 'Conflict', headers: [] },
  [ErrorCode.PreconditionFailed]: { status: 412, title: 'Precondition failed', headers: [] },
  [ErrorCode.PreconditionRequired]: { status: 428, title: 'Precondition required', headers: [] },
  [ErrorCode.PayloadTooLarge]: { status: 413, title: 'Payload too large', headers: [] },
  [ErrorCode.UnsupportedMediaType]: { status: 415, title: 'Unsupported media type', headers: ['Accept-Post'] },
  [ErrorCode.Unprocessable]: { status: 422, title: 'Unprocessable content', headers: [] },
  [ErrorCode.TooManyRequests]: { status: 429, title: 'Too many requests', headers: ['Retry-After'] },
  [ErrorCode.ServiceUnavailable]: { status: 503, title: 'Service unavailable', headers: ['Retry-After'] },
  [ErrorCode.InsufficientStorage]: { status: 507, title: 'Insufficient storage', headers: [] },
  [ErrorCode.Internal]: { status: 500, title: 'Internal error', headers: [] },
} as const satisfies Record<ErrorCode, { status: number; title: string; headers: readonly string[] }>;

const catalogued = (code: ErrorCode) => ({ code, status: problemCatalogue[code].status, title: problemCatalogue[code].title });

/**
 * One field-level problem: `pointer` is a JSON pointer into the request (`/body/name`,
 * `/query/limit`) or, in an error a service raises (`inputRelative`), into the input it was handed
 * (`/name`, `/limit`, `''` for the whole of it).
 */
export interface FieldError {
  pointer: string;
  message: string;
}

/** Writes a detail from field errors: `/limit: is too big; /cursor: is not a cursor`. */
export type DescribeFields = (fieldErrors: readonly FieldError[]) => string;

/** `pointer: message` per field, `; `-separated; a problem with the whole input is its message alone. */
export const listFields: DescribeFields = (fieldErrors) =>
  fieldErrors.map(({ pointer, message }) => (pointer === '' ? message : `${pointer}: ${message}`)).join('; ');

interface AppErrorInit {
  code: ErrorCode;
  status: number;
  title: string;
  /** Text, or written from the field errors, so that it quotes them wherever they are placed (`withPointers`). */
  detail: string | DescribeFields;
  errors?: FieldError[];
  headers?: Record<string, string>;
  /** Extra members of the problem document (RFC 9457 extension members), e.g. `existingId`. */
  extensions?: Record<string, unknown>;
  /** The pointers are paths in the input a service was handed; the route wrapper places them in the request. */
  inputRelative?: boolean;
  cause?: unknown;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly title: string;
  readonly detail: string;
  readonly errors: FieldError[] | undefined;
  readonly headers: Record<string, string>;
  readonly extensions: Record<string, unknown>;
  readonly inputRelative: boolean;
  readonly #init: AppErrorInit;

  constructor(init: AppErrorInit) {
    const detail = typeof init.detail === 'string' ? init.detail : init.detail(init.errors ?? []);
    super(detail, { cause: init.cause });
    this.name = 'AppError';
    this.#init = init;
    this.code = init.code;
    this.status = init.status;
    this.title = init.title;
    this.detail = detail;
    this.errors = init.errors;
    this.headers = init.headers ?? {};
    this.extensions = init.extensions ?? {};
    this.inputRelative = init.inputRelative ?? false;
  }

  /**
   * The same problem (detail, headers, extensions, cause) with each field pointer moved by `place`,
   * no longer input-relative; a detail written from the field errors is written again from the moved ones.
   *
   * @example error.withPointers((path) => `/body${path}`)
   */
  withPointers(place: (pointer: string) => string): AppError {
    const moved = this.errors?.map(({ pointer, message }) => ({ pointer: place(pointer), message }));
    return new AppError({ ...this.#init, errors: moved, inputRelative: false });
  }
}

export const errors = {
  validation(fieldErrors: FieldError[], detail: string | DescribeFields = 'The request is not valid.'): AppError {
    return new AppError({
      ...catalogued(ErrorCode.ValidationFailed),
      detail,
      errors: fieldErrors,
    });
  },
  /** A field by its place in the request (`/headers/prefer`): for the HTTP edge; services use `invalidInput`. */
  invalidField(pointer: string, message: string): AppError {
    return errors.validation([{ pointer, message }], listFields);
  },
  /**
   * A field of the input a service was handed, by its path in that input (`''` for the whole of it);
   * an HTTP caller sees it in the request (`/query/cursor`, `/body/labels/3/box`, `/body`).
   *
   * @example throw errors.invalidInput('/cursor', 'is not a cursor this API issued')
   */
  invalidInput(path: string, message: string): AppError {
    return errors.invalidInputs([{ pointer: path, message }]);
  },
  /**
   * Several fields of the input a service was handed, by their paths in that input (see
   * `invalidInput`), with a detail of its own or one written from them wherever they end up.
   *
   * @example throw errors.invalidInputs(problems, (placed) => `The filter is not valid: ${listFields(placed)}`)
   */
  invalidInputs(fieldErrors: FieldError[], detail: string | DescribeFields = listFields): AppError {
    return new AppError({
      ...catalogued(ErrorCode.ValidationFailed),
      detail,
      errors: fieldErrors,
      inputRelative: true,
    });
  },
  unauthenticated(detail = 'Credentials are missing or not valid.'): AppError {
    return new AppError({
      ...catalogued(ErrorCode.Unauthenticated),
      detail,
      headers: { 'WWW-Authenticate': 'Bearer, ApiKey header="X-API-Key"' },
    });
  },
  forbidden(detail = 'You are not allowed to do this.'): AppError {
    return new AppError({ ...catalogued(ErrorCode.Forbidden), detail });
  },
  notFound(resource: string, id?: string): AppError {
    const detail = id === undefined ? `No such ${resource}.` : `No ${resource} with id '${id}'.`;
    return new AppError({ ...catalogued(ErrorCode.NotFound), detail });
  },
  methodNotAllowed(allowed: string[]): AppError {
    return new AppError({
      ...catalogued(ErrorCode.MethodNotAllowed),
      detail: `Allowed methods: ${allowed.join(', ')}.`,
      headers: { Allow: allowed.join(', ') },
    });
  },
  notAcceptable(offered: string[]): AppError {
    return new AppError({
      ...catalogued(ErrorCode.NotAcceptable),
      detail: `This resource is available as: ${offered.join(', ')}.`,
    });
  },
  conflict(detail: string, extensions?: Record<string, unknown>): AppError {
    return new AppError({ ...catalogued(ErrorCode.Conflict), detail, extensions });
  },
  preconditionFailed(detail = 'The resource has changed since you read it (If-Match does not match its ETag).'): AppError {
    return new AppError({ ...catalogued(ErrorCode.PreconditionFailed), detail });
  },
  preconditionRequired(detail = 'Send If-Match with the ETag you read: this write must not overwrite a change you have not seen.'): AppError {
    return new AppError({ ...catalogued(ErrorCode.PreconditionRequired), detail });
  },
  payloadTooLarge(limitBytes: number): AppError {
    return new AppError({
      ...catalogued(ErrorCode.PayloadTooLarge),
      detail: `The request body exceeds the limit of ${limitBytes} bytes.`,
      extensions: { limitBytes },
    });
  },
  unsupportedMediaType(accepted: string[]): AppError {
    return new AppError({
      ...catalogued(ErrorCode.UnsupportedMediaType),
      detail: `Send the body as one of: ${accepted.join(', ')}.`,
      headers: { 'Accept-Post': accepted.join(', ') },
    });
  },
  /** A document this request would store is over Cosmos DB's item limit (413 RequestEntityTooLarge). */
  documentTooLarge(limitBytes: number, detail = `A document this request would store exceeds Cosmos DB's item limit of ${limitBytes} bytes; nothing was stored.`): AppError {
    return new AppError({ ...catalogued(ErrorCode.PayloadTooLarge), detail, extensions: { limitBytes } });
  },
  /** The logical partition a write goes to holds all Cosmos DB allows (403, substatus 1014): retrying will not help. */
  storageFull(detail: string, limitBytes: number): AppError {
    return new AppError({ ...catalogued(ErrorCode.InsufficientStorage), detail, extensions: { limitBytes } });
  },
  unprocessable(detail: string): AppError {
    return new AppError({ ...catalogued(ErrorCode.Unprocessable), detail });
  },
  tooManyRequests(detail: string, retryAfterSeconds: number, extensions?: Record<string, unknown>): AppError {
    return new AppError({
      ...catalogued(ErrorCode.TooManyRequests),
      detail,
      headers: { 'Retry-After': String(Math.max(1, Math.ceil(retryAfterSeconds))) },
      extensions,
    });
  },
  /** Always with Retry-After: the OpenAPI document promises it on every 503. */
  unavailable(detail: string, retryAfterSeconds: number): AppError {
    return new AppError({
      ...catalogued(ErrorCode.ServiceUnavailable),
      detail,
      headers: { 'Retry-After': String(Math.max(1, Math.ceil(retryAfterSeconds))) },
    });
  },
  internal(cause: unknown): AppError {
    return new AppError({
      ...catalogued(ErrorCode.Internal),
      detail: 'Something went wrong on our side. It has been logged.',
      cause,
    });
  },
};

export function isAppError(value: unknown): value is AppError {
  return value instanceof AppError;
}
