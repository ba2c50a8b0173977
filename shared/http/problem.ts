import { type AppError, errors, isAppError } from '../errors';

export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  errors?: { pointer: string; message: string }[];
  [extension: string]: unknown;
}

/** Any thrown value as the AppError the client will see: unknown errors become a bare 500. */
export function toAppError(error: unknown): AppError {
  return isAppError(error) ? error : errors.internal(error);
}

/** The one place an error becomes RFC 9457 problem+json. */
export function problemDocument(error: AppError, instance?: string): ProblemDocument {
  return {
    ...error.extensions,
    type: `urn:mlassets:problem:${error.code}`,
    title: error.title,
    status: error.status,
    detail: error.detail,
    ...(instance ? { instance } : {}),
    ...(error.errors ? { errors: error.errors } : {}),
  };
}
