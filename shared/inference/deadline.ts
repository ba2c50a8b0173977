import { type AppError, errors } from '../errors';

/** A deadline may lie at most this far ahead. */
const MAX_DEADLINE_MS = 7 * 86_400_000;

/**
 * An ISO 8601 duration in days, hours, minutes and seconds (`PT1H`, `P1DT2H`, `PT0.5S`), in ms, or
 * undefined. Years and months have no fixed length, so they are not durations a deadline can use.
 */
function isoDurationMs(text: string): number | undefined {
  const match = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(text);
  if (!match || text === 'P' || text.endsWith('T')) return undefined;
  const [, d, h, m, s] = match;
  return ((Number(d ?? 0) * 24 + Number(h ?? 0)) * 3600 + Number(m ?? 0) * 60 + Number(s ?? 0)) * 1000;
}

/** `90s`, `5m`, `1h30m`, `2h`, `500ms` in ms, or undefined. */
function shortDurationMs(text: string): number | undefined {
  const match = /^(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+(?:\.\d+)?)s)?(?:(\d+)ms)?$/.exec(text);
  if (!match || text === '') return undefined;
  const [, h, m, s, ms] = match;
  return (Number(h ?? 0) * 3600 + Number(m ?? 0) * 60 + Number(s ?? 0)) * 1000 + Number(ms ?? 0);
}

/**
 * A job's deadline as a caller writes it (the `cancelAfter` field or the `Cancel-After` header): `90s`, `5m`, `1h30m`, `2h`, `500ms`, a bare number
 * of seconds, an ISO 8601 duration (`PT1H`) or an ISO 8601 instant. 400 naming `pointer` for
 * anything else or a deadline that is not in the next 7 days: a path in a service's input, or with
 * `refuse = errors.invalidField` a place in the request (`/headers/cancel-after`).
 */
export function deadlineOf(text: string, pointer: string, now = Date.now(), refuse: (pointer: string, message: string) => AppError = errors.invalidInput): Date {
  const trimmed = text.trim();
  let at: number;
  if (/^\d{4}-\d{2}-\d{2}T/.test(trimmed)) {
    at = Date.parse(trimmed);
  } else if (/^\d+(\.\d+)?$/.test(trimmed)) {
    at = now + Number(trimmed) * 1000;
  } else {
    const ms = trimmed.startsWith('P') ? isoDurationMs(trimmed) : shortDurationMs(trimmed);
    if (ms === undefined) {
      throw refuse(pointer, 'must be a duration (90s, 5m, 1h30m, or ISO 8601 such as PT1H) or an ISO 8601 instant');
    }
    at = now + ms;
  }
  if (!Number.isFinite(at)) throw refuse(pointer, 'is not a valid instant');
  if (at <= now) throw refuse(pointer, 'must be in the future');
  if (at > now + MAX_DEADLINE_MS) throw refuse(pointer, 'must be at most 7 days ahead');
  return new Date(at);
}

/** A deadline given beside the body (the `Cancel-After` header): when it falls, and the words it was given in. */
export interface Deadline {
  at: Date;
  /** What the caller wrote (`5m`): a retry with the same words is the same request, whenever it comes. */
  asWritten: string;
}
