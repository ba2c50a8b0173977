import type { z } from 'zod';
import type { Principal } from '../auth/auth.schema';
import { isAdmin } from '../auth/auth.service';
import { pinsVersion, type VersionCondition } from '../azure/condition';
import { RETRY, retryOnConflict } from '../azure/store';
import { AppError, errors, type FieldError } from '../errors';
import { canonicalJson } from '../json/canonical';
import { jsonPointer } from '../json/pointer';
import { type Definition, type Fields, INTERNAL_FIELDS } from './catalogue.access';
import type { StoredEntry } from './catalogue.repository';
import { SERVER_FIELDS } from './catalogue.schema';

// What every write, the caller's or the platform's, is checked against and how it builds the stored document.

/**
 * Validates with zod: 400 with a JSON pointer per problem. A caller's body is reported by paths in it
 * (the route wrapper places them under `/body`); the platform's own writes name where the value came
 * from (`entry`, `patch`), since their errors end up in a connector run's text, not a request.
 */
export function parseInput(definition: Definition, value: unknown, location?: 'entry' | 'patch'): Fields {
  const result = (definition.input as z.ZodType).safeParse(value);
  if (result.success) return result.data as Fields;
  const fieldErrors: FieldError[] = result.error.issues.map((issue) => ({ pointer: jsonPointer(issue.path), message: issue.message }));
  const refused = errors.invalidInputs(fieldErrors);
  throw location ? refused.withPointers((path) => `/${location}${path}`) : refused;
}

/** Compares contents, whatever the order of their keys. */
export const sameValue = (a: unknown, b: unknown) => canonicalJson(a) === canonicalJson(b);

/** The written fields without the echoed entry record. */
export function contentOf(fields: Fields): Fields {
  const content: Fields = {};
  for (const [key, value] of Object.entries(fields)) {
    if (!(SERVER_FIELDS as readonly string[]).includes(key) && !INTERNAL_FIELDS.has(key) && value !== undefined) content[key] = value;
  }
  return content;
}

/** A body may echo the entry record and system fields (GET → PUT), but not change them. */
export function assertEchoesUnchanged(definition: Definition, input: Fields, current: StoredEntry | undefined): void {
  const fieldErrors: FieldError[] = [];
  for (const field of [...SERVER_FIELDS, ...definition.systemFields]) {
    if (input[field] === undefined) continue;
    if (field === 'type') continue; // validated against the path already
    const stored = current ? (current as Fields)[field] : undefined;
    if (!current || !sameValue(input[field], stored)) {
      const message = current ? 'is read-only: it must equal the stored value or be left out' : 'is set by the server; leave it out';
      fieldErrors.push({ pointer: `/${field}`, message });
    }
  }
  if (fieldErrors.length > 0) throw errors.invalidInputs(fieldErrors);
}

/** Who may set which status, and who may point a model at a remote endpoint. */
export function assertAllowedChange(input: Fields, current: StoredEntry | undefined, principal: Principal): void {
  if (isAdmin(principal)) return;
  if (input.status === 'rejected' && current?.status !== 'rejected') {
    throw errors.forbidden('Only admins reject entries.');
  }
  if (current?.status === 'rejected' && input.status === 'published') {
    throw errors.forbidden('A rejected entry is published again only by an admin.');
  }
  const runtime = input.runtime as { kind?: string } | undefined;
  const before = current ? (current as Fields).runtime : undefined;
  // An http runtime makes the platform send a key or an Entra token to its URL: only admins set one.
  if (runtime?.kind === 'http' && !sameValue(runtime, before)) {
    throw errors.forbidden('Only admins configure an http runtime: the platform sends credentials to its URL.');
  }
}

/**
 * What DCAT-AP 3 makes mandatory and only the caller can give, required when an entry is (or stays)
 * published: a dataset's description (dct:description), a data service's endpoint (dcat:endpointURL),
 * and a name for every creator (foaf:name of the dct:creator agent). Drafts may lack them.
 */
export function assertPublishable(type: string, input: Fields, status: unknown): void {
  if (status !== 'published') return;
  const fieldErrors: FieldError[] = [];
  if (type === 'datasets' && input.description === undefined) {
    fieldErrors.push({ pointer: '/description', message: 'a published dataset needs a description (DCAT-AP: dct:description)' });
  }
  if (type === 'services' && input.endpointUrl === undefined) {
    fieldErrors.push({ pointer: '/endpointUrl', message: 'a published service needs its endpoint URL (DCAT-AP: dcat:endpointURL)' });
  }
  const creators = Array.isArray(input.creators) ? (input.creators as { name?: unknown }[]) : [];
  creators.forEach((creator, index) => {
    if (creator.name === undefined) {
      fieldErrors.push({ pointer: `/creators/${index}/name`, message: 'a published entry names its creators (DCAT-AP: foaf:name)' });
    }
  });
  if (fieldErrors.length > 0) throw errors.invalidInputs(fieldErrors);
}

export interface EntryRecord {
  id: string;
  owner: string;
  dateCreated: string;
  dateModified: string;
  status: unknown;
}

/** The stored document: id and type first, the caller's content, then the entry record. */
export function buildDoc(type: string, content: Fields, record: EntryRecord): StoredEntry {
  const { id, status, owner, dateCreated, dateModified } = record;
  return { id, type, ...content, status, owner, dateCreated, dateModified, docType: 'entry' } as StoredEntry;
}

/**
 * Runs a read-modify-write `step` that returns `RETRY` when the entry changed under it. With the
 * caller's If-Match, that change is theirs to see (412); without, the step runs again
 * (retryOnConflict: 503 when it keeps losing, never a 412 for a precondition the caller never set).
 */
export async function withRetry<T>(ifMatch: VersionCondition | undefined, step: () => Promise<T | typeof RETRY>): Promise<T> {
  return retryOnConflict(async () => {
    const result = await step();
    if (result === RETRY && pinsVersion(ifMatch)) throw errors.preconditionFailed();
    return result;
  }, 'The entry');
}

/** RFC 7396: objects merge member by member, `null` removes, anything else replaces. */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!patch || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const result: Fields = target && typeof target === 'object' && !Array.isArray(target) ? { ...(target as Fields) } : {};
  for (const [key, value] of Object.entries(patch as Fields)) {
    if (value === null) delete result[key];
    else result[key] = applyMergePatch(result[key], value);
  }
  return result;
}
