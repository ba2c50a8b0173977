import { errors, isAppError } from '../errors';
import { IDEMPOTENCY_KEY_PATH } from '../idempotency/idempotency.service';

const POINTER = '/headers/idempotency-key';

/**
 * The key from an `Idempotency-Key` header (draft-ietf-httpapi-idempotency-key-header): a
 * structured-field string (`"8e03…"`) or, leniently, a bare token; undefined without the header.
 * 400 naming the header for anything that is not 1–255 printable ASCII characters.
 *
 * @example parseIdempotencyKey('"8e03978e-40d5-43e8-bc93-6894a57f9324"') // '8e03978e-40d5-43e8-bc93-6894a57f9324'
 */
export function parseIdempotencyKey(header: string | null): string | undefined {
  if (header === null) return undefined;
  const trimmed = header.trim();
  const quoted = /^"((?:[^"\\]|\\.)*)"$/.exec(trimmed);
  const key = quoted ? (quoted[1] ?? '').replace(/\\(.)/g, '$1') : trimmed;
  if (key.length < 1 || key.length > 255 || !/^[\x20-\x7e]+$/.test(key)) {
    throw errors.invalidField(POINTER, 'must be 1–255 printable ASCII characters (a quoted string, e.g. "3f6c…")');
  }
  return key;
}

/**
 * Calls a service with the key of the request's `Idempotency-Key` header (see `parseIdempotencyKey`)
 * and places the errors the service reports about its `idempotencyKey` at the header, where the
 * caller sent it (other errors go on to the route wrapper as they are).
 *
 * @example const result = await withIdempotencyKey(request.headers, (key) => createApiKeyIdempotently(principal, body, key));
 */
export async function withIdempotencyKey<T>(headers: Headers, call: (key: string | undefined) => Promise<T>): Promise<T> {
  try {
    return await call(parseIdempotencyKey(headers.get('idempotency-key')));
  } catch (error) {
    const aboutTheKey = isAppError(error) && error.inputRelative && error.errors?.every(({ pointer }) => pointer === IDEMPOTENCY_KEY_PATH);
    throw aboutTheKey ? error.withPointers(() => POINTER) : error;
  }
}
