/**
 * What one platform connector provides: where its first page is, how to read a page of the
 * platform's API, and how to turn one record into a catalogue entry. The runner
 * (`connector.service.ts`) does the rest: paging, hashing, upserts, removals, checkpoints.
 */
export type ConnectorEntryType = 'datasets' | 'models';

export interface SourcePage {
  records: unknown[];
  /** The next page's URL (absolute, or a path below the base URL); undefined at the end. */
  next: string | undefined;
}

export interface ConvertedRecord {
  /** The record's stable id on its platform (`platformResourceIdentifier`). */
  identifier: string;
  /** The catalogue entry without `platform`, `platformResourceIdentifier`, `id` and `status` (the runner sets them). */
  entry: Record<string, unknown>;
}

export interface ConnectorSource {
  /** The first page: a path below the base URL. */
  first(pageSize: number): string;
  /** Reads one answer of the platform: its records and the next page (`cursor` is the page just fetched). */
  page(answer: { status: number; headers: Headers; body: unknown }, cursor: string, pageSize: number): SourcePage;
  /** One record as a catalogue entry; throws (with a short reason) for a record that cannot be one. */
  convert(record: unknown): ConvertedRecord;
}

/** Thrown for an answer the connector does not understand (not for one bad record). */
export class UnexpectedAnswerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnexpectedAnswerError';
  }
}

// --- small helpers for the converters -------------------------------------------------------

export type Json = Record<string, unknown>;

export function asObject(value: unknown): Json | undefined {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : undefined;
}

export function text(value: unknown, max: number): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  if (!trimmed) return undefined;
  return trimmed.length > max ? trimmed.slice(0, max) : trimmed;
}

/** Distinct non-empty strings, each at most `maxLength`, at most `maxItems`. */
export function texts(value: unknown, maxLength: number, maxItems: number): string[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const out: string[] = [];
  for (const item of value) {
    const t = text(item, maxLength);
    if (t && !out.includes(t)) out.push(t);
    if (out.length >= maxItems) break;
  }
  return out.length > 0 ? out : undefined;
}

export function identifierOf(value: unknown): string {
  const id = typeof value === 'number' && Number.isInteger(value) ? String(value) : typeof value === 'string' ? value.trim() : '';
  if (!id || /\s/.test(id) || id.length > 512) throw new Error('the record has no usable identifier');
  return id;
}

/** A date or date-time the catalogue accepts, or undefined. */
export function dateOf(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return value;
  const time = Date.parse(value);
  return Number.isNaN(time) ? undefined : new Date(time).toISOString();
}

/** Drops undefined members, so the hash and the stored entry do not depend on them. */
export function compact(entry: Json): Json {
  return Object.fromEntries(Object.entries(entry).filter(([, value]) => value !== undefined));
}

/** `<url>; rel="next"` from a `Link` header (RFC 8288). */
export function nextLink(header: string | null): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(/,(?=\s*<)/)) {
    const match = /<([^>]*)>\s*;(.*)$/.exec(part.trim());
    if (match && /\brel\s*=\s*"?next"?/i.test(match[2] ?? '')) return match[1];
  }
  return undefined;
}
