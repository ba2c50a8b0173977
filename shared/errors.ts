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
  Internal: 'internal',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** One field-level problem: `pointer` is a JSON pointer into the request (`/body/name`, `/query/limit`). */
export interface FieldError {
  pointer: string;
  message: string;
}

interface AppErrorInit {
  code: ErrorCode;
  status: number;
  title: string;
  detail: string;
  errors?: FieldError[];
  headers?: Record<string, string>;
  /** Extra members of the problem document (RFC 9457 extension members), e.g. `existingId`. */
  extensions?: Record<string, unknown>;
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

  constructor(init: AppErrorInit) {
    super(init.detail, { cause: init.cause });
    this.name = 'AppError';
    this.code = init.code;
    this.status = init.status;
    this.title = init.title;
    this.detail = init.detail;
    this.errors = init.errors;
    this.headers = init.headers ?? {};
    this.extensions = init.extensions ?? {};
  }
}

export const errors = {
  validation(fieldErrors: FieldError[], detail = 'The request is not valid.'): AppError {
    return new AppError({
      code: ErrorCode.ValidationFailed,
      status: 400,
      title: 'Validation failed',
      detail,
      errors: fieldErrors,
    });
  },
  invalidField(pointer: string, message: string): AppError {
    return errors.validation([{ pointer, message }], `${pointer}: ${message}`);
  },
  unauthenticated(detail = 'Credentials are missing or not valid.'): AppError {
    return new AppError({
      code: ErrorCode.Unauthenticated,
      status: 401,
      title: 'Unauthenticated',
      detail,
      headers: { 'WWW-Authenticate': 'Bearer, ApiKey header="X-API-Key"' },
    });
  },
  forbidden(detail = 'You are not allowed to do this.'): AppError {
    return new AppError({ code: ErrorCode.Forbidden, status: 403, title: 'Forbidden', detail });
  },
  notFound(resource: string, id?: string): AppError {
    const detail = id === undefined ? `No such ${resource}.` : `No ${resource} with id '${id}'.`;
    return new AppError({ code: ErrorCode.NotFound, status: 404, title: 'Not found', detail });
  },
  methodNotAllowed(allowed: string[]): AppError {
    return new AppError({
      code: ErrorCode.MethodNotAllowed,
      status: 405,
      title: 'Method not allowed',
      detail: `Allowed methods: ${allowed.join(', ')}.`,
      headers: { Allow: allowed.join(', ') },
    });
  },
  notAcceptable(offered: string[]): AppError {
    return new AppError({
      code: ErrorCode.NotAcceptable,
      status: 406,
      title: 'Not acceptable',
      detail: `This resource is available as: ${offered.join(', ')}.`,
    });
  },
  conflict(detail: string, extensions?: Record<string, unknown>): AppError {
    return new AppError({ code: ErrorCode.Conflict, status: 409, title: 'Conflict', detail, extensions });
  },
  preconditionFailed(detail = 'The resource has changed since you read it (If-Match does not match its ETag).'): AppError {
    return new AppError({ code: ErrorCode.PreconditionFailed, status: 412, title: 'Precondition failed', detail });
  },
  payloadTooLarge(limitBytes: number): AppError {
    return new AppError({
      code: ErrorCode.PayloadTooLarge,
      status: 413,
      title: 'Payload too large',
      detail: `The request body exceeds the limit of ${limitBytes} bytes.`,
      extensions: { limitBytes },
    });
  },
  unsupportedMediaType(accepted: string[]): AppError {
    return new AppError({
      code: ErrorCode.UnsupportedMediaType,
      status: 415,
      title: 'Unsupported media type',
      detail: `Send the body as one of: ${accepted.join(', ')}.`,
      headers: { 'Accept-Post': accepted.join(', ') },
    });
  },
  unprocessable(detail: string): AppError {
    return new AppError({ code: ErrorCode.Unprocessable, status: 422, title: 'Unprocessable content', detail });
  },
  tooManyRequests(detail: string, retryAfterSeconds: number, extensions?: Record<string, unknown>): AppError {
    return new AppError({
      code: ErrorCode.TooManyRequests,
      status: 429,
      title: 'Too many requests',
      detail,
      headers: { 'Retry-After': String(Math.max(1, Math.ceil(retryAfterSeconds))) },
      extensions,
    });
  },
  unavailable(detail: string, retryAfterSeconds?: number): AppError {
    return new AppError({
      code: ErrorCode.ServiceUnavailable,
      status: 503,
      title: 'Service unavailable',
      detail,
      headers: retryAfterSeconds === undefined ? {} : { 'Retry-After': String(Math.ceil(retryAfterSeconds)) },
    });
  },
  internal(cause: unknown): AppError {
    return new AppError({
      code: ErrorCode.Internal,
      status: 500,
      title: 'Internal error',
      detail: 'Something went wrong on our side. It has been logged.',
      cause,
    });
  },
};

export function isAppError(value: unknown): value is AppError {
  return value instanceof AppError;
}
