import { AppError, errors, isAppError } from '../errors';

export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  errors?: { pointer: string; message: string }[];
  [extension: string]: unknown;
}

/** Network failures of a dependency: the connection was refused, reset or timed out. */
const NETWORK_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ESOCKETTIMEDOUT',
  'UND_ERR_SOCKET',
  'REQUEST_SEND_ERROR',
  // @azure/cosmos: a try that outlived `connectionPolicy.requestTimeout`.
  'TimeoutError',
]);

/**
 * A dependency (Cosmos DB, Blob storage) that is down, overloaded or too slow, after the SDK's own
 * retries: the client should retry later (503 with Retry-After), not be told our code broke (500).
 * Duck-typed, so the SDKs stay lazily loaded.
 */
function dependencyUnavailable(error: unknown): AppError | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, statusCode, name, retryAfterInMs } = error as { code?: unknown; statusCode?: unknown; name?: unknown; retryAfterInMs?: unknown };
  const status = typeof code === 'number' ? code : typeof statusCode === 'number' ? statusCode : undefined;
  if (status === 429) {
    const seconds = typeof retryAfterInMs === 'number' ? Math.max(1, retryAfterInMs / 1000) : 5;
    return errors.unavailable('The database is busy; try again shortly.', seconds);
  }
  if (status === 503 || status === 408) return errors.unavailable('A service this API depends on is not available; try again shortly.', 5);
  const timedOut = name === 'TimeoutError' || name === 'AbortError';
  if (timedOut || (typeof code === 'string' && NETWORK_ERROR_CODES.has(code))) {
    return errors.unavailable('A service this API depends on did not answer in time; try again shortly.', 5);
  }
  return undefined;
}

/** Azure Cosmos DB's limits (learn.microsoft.com/azure/cosmos-db/concepts-limits): an item, a logical partition. */
const COSMOS_ITEM_LIMIT_BYTES = 2 * 1024 * 1024;
const COSMOS_PARTITION_LIMIT_BYTES = 20 * 1024 ** 3;

/**
 * Cosmos DB's storage limits, as its REST reference answers them (http-status-codes-for-cosmosdb):
 * 413 for a document over 2 MB, 403 substatus 1014 for a write to a logical partition at 20 GB.
 * Neither is our code failing (500) nor passes by retrying (503): 413 names the document limit, 507
 * Insufficient Storage (RFC 4918) says the service cannot store more there.
 */
function storageLimit(error: unknown): AppError | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, substatus } = error as { code?: unknown; substatus?: unknown };
  if (code === 413) return errors.documentTooLarge(COSMOS_ITEM_LIMIT_BYTES);
  if (code === 403 && substatus === 1014) {
    return errors.storageFull(`The storage this write goes to holds the ${COSMOS_PARTITION_LIMIT_BYTES} bytes Cosmos DB allows one logical partition; nothing was stored.`, COSMOS_PARTITION_LIMIT_BYTES);
  }
  return undefined;
}

/** Any thrown value as the AppError the client will see: a dependency outage is 503, a storage limit 413 or 507, anything else unknown a bare 500. */
export function toAppError(error: unknown): AppError {
  if (isAppError(error)) return error;
  const known = dependencyUnavailable(error) ?? storageLimit(error);
  // Keep the SDK error as the cause: the route logs it for 5xx answers.
  if (known) return new AppError({ ...known, cause: error });
  return errors.internal(error);
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
