import { errors } from '../errors';

/** Replicate's cap on a synchronous wait (`Prefer: wait=n`, n at most 60). */
export const MAX_WAIT_SECONDS = 60;

/**
 * The wait a `Prefer` header asks for, in seconds (RFC 7240; Replicate's sync mode): `wait` alone
 * is the cap, `wait=n` is n capped at 60; undefined without a `wait` preference. Other preferences
 * are ignored as RFC 7240 says; a `wait` that is not a whole number of seconds from 1 is refused.
 *
 * @example preferredWait('respond-async, wait=5') // 5
 */
export function preferredWait(header: string | null): number | undefined {
  if (header === null) return undefined;
  for (const preference of header.split(',')) {
    const [name = '', ...rest] = preference.split(';')[0]?.split('=') ?? [];
    if (name.trim().toLowerCase() !== 'wait') continue;
    if (rest.length === 0) return MAX_WAIT_SECONDS;
    const text = rest.join('=').trim().replace(/^"(.*)"$/, '$1');
    if (!/^\d+$/.test(text) || Number(text) < 1) throw errors.invalidField('/headers/prefer', `wait is a whole number of seconds from 1 to ${MAX_WAIT_SECONDS}`);
    return Math.min(Number(text), MAX_WAIT_SECONDS);
  }
  return undefined;
}
