import { createHash, randomUUID } from 'node:crypto';
import type { z } from 'zod';
import type { Principal } from '../auth/auth.schema';
import { hasAnyRole, isAdmin } from '../auth/auth.service';
import { cosmosStatus } from '../azure/cosmos';
import { config } from '../config';
import { AppError, errors, type FieldError } from '../errors';
import { decodeCursor } from '../http/pagination';
import {
  type ClaimDocument,
  countEntries,
  deleteDocument,
  deletedBefore,
  type EntryFilters,
  insertClaim,
  insertEntry,
  queryEntries,
  readClaim,
  readEntry,
  replaceClaim,
  replaceEntry,
  type StoredEntry,
  type Versioned,
  type Visibility,
} from './catalogue.repository';
import { type CountQuery, type ExportProfile, type ListQuery, SERVER_FIELDS } from './catalogue.schema';
import { type CatalogueEntry, type CatalogueTypeName, catalogueType, catalogueTypes, type EntryOf } from './catalogue.types';
import { croissantExport } from './export/croissant.export';
import { dcatExport } from './export/dcat.export';
import { schemaOrgExport } from './export/schemaorg.export';

export type { CatalogueEntry, CatalogueTypeName, DatasetEntry, EntryOf, ModelEntry } from './catalogue.types';

type Definition = NonNullable<ReturnType<typeof catalogueType>>;
type Fields = Record<string, unknown>;

/** An entry with the ETag of its stored version (`If-Match` for the next write). */
export interface VersionedEntry<T = CatalogueEntry> {
  entry: T;
  etag: string;
}

// ---------------------------------------------------------------------------------------------
// Types, validation and views
// ---------------------------------------------------------------------------------------------

function definitionOf(type: string): Definition {
  const definition = catalogueType(type);
  if (!definition) throw errors.notFound('catalogue type', type);
  return definition;
}

function pointer(location: string, path: readonly PropertyKey[]): string {
  return `/${[location, ...path.map((part) => String(part).replace(/~/g, '~0').replace(/\//g, '~1'))].join('/')}`;
}

/** Validates with zod and reports like the route wrapper does: 400 with a JSON pointer per problem. */
function parseInput(definition: Definition, value: unknown, location = 'body'): Fields {
  const result = (definition.input as z.ZodType).safeParse(value);
  if (result.success) return result.data as Fields;
  const fieldErrors: FieldError[] = result.error.issues.map((issue) => ({ pointer: pointer(location, issue.path), message: issue.message }));
  throw errors.validation(fieldErrors, fieldErrors.map((e) => `${e.pointer}: ${e.message}`).join('; '));
}

const INTERNAL_FIELDS = new Set(['docType', 'deletedAt', 'deletedBy']);

/** What callers see of a stored entry. */
function toView(doc: StoredEntry): CatalogueEntry {
  const view: Fields = {};
  for (const [key, value] of Object.entries(doc)) if (!INTERNAL_FIELDS.has(key)) view[key] = value;
  return view as CatalogueEntry;
}

function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  return at <= 0 ? '***' : `${email[0]}***${email.slice(at)}`;
}

/** Every `email` member anywhere in the entry (contacts, creators, a person's own), masked. */
function maskEmails<T>(value: T): T {
  if (Array.isArray(value)) return value.map(maskEmails) as T;
  if (value && typeof value === 'object') {
    const out: Fields = {};
    for (const [key, inner] of Object.entries(value)) {
      out[key] = key === 'email' && typeof inner === 'string' ? maskEmail(inner) : maskEmails(inner);
    }
    return out as T;
  }
  return value;
}

/** The entry as this caller may see it: anonymous callers get emails masked. */
function present(doc: StoredEntry, principal: Principal | undefined): CatalogueEntry {
  const view = toView(doc);
  return principal ? view : maskEmails(view);
}

/** A representation's ETag: the stored version's, distinguished per variant (masked view, export profile). */
export function representationEtag(etag: string, variant: string | undefined): string {
  const inner = etag.replace(/^W\//, '').replace(/^"|"$/g, '');
  return variant ? `"${inner}-${variant}"` : `"${inner}"`;
}

function viewVariant(principal: Principal | undefined): string | undefined {
  return principal ? undefined : 'public';
}

function canSee(doc: StoredEntry, principal: Principal | undefined): boolean {
  if (doc.deletedAt) return false;
  if (doc.status === 'published') return true;
  return principal !== undefined && (isAdmin(principal) || doc.owner === principal.id);
}

function canWrite(definition: Definition, doc: StoredEntry, principal: Principal): boolean {
  if (isAdmin(principal)) return true;
  return hasAnyRole(principal, definition.writeRoles) && doc.owner === principal.id;
}

function assertMayCreate(definition: Definition, principal: Principal): void {
  if (!hasAnyRole(principal, definition.writeRoles)) {
    throw errors.forbidden(`Creating ${definition.name} needs one of the roles: ${definition.writeRoles.join(', ')}.`);
  }
}

function visibilityFor(principal: Principal | undefined): Visibility {
  if (!principal) return { kind: 'published' };
  if (isAdmin(principal)) return { kind: 'all' };
  return { kind: 'publishedOrOwn', owner: principal.id };
}

/** Stable JSON (keys sorted) for comparing contents. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Fields)
      .filter(([, inner]) => inner !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

const sameValue = (a: unknown, b: unknown) => canonical(a) === canonical(b);

/** The written fields without the echoed entry record. */
function contentOf(fields: Fields): Fields {
  const content: Fields = {};
  for (const [key, value] of Object.entries(fields)) {
    if (!(SERVER_FIELDS as readonly string[]).includes(key) && !INTERNAL_FIELDS.has(key) && value !== undefined) content[key] = value;
  }
  return content;
}

/** A body may echo the entry record and system fields (GET → PUT), but not change them. */
function assertEchoesUnchanged(definition: Definition, input: Fields, current: StoredEntry | undefined): void {
  const fieldErrors: FieldError[] = [];
  for (const field of [...SERVER_FIELDS, ...definition.systemFields]) {
    if (input[field] === undefined) continue;
    if (field === 'type') continue; // validated against the path already
    const stored = current ? (current as Fields)[field] : undefined;
    if (!current || !sameValue(input[field], stored)) {
      const message = current ? 'is read-only: it must equal the stored value or be left out' : 'is set by the server; leave it out';
      fieldErrors.push({ pointer: `/body/${field}`, message });
    }
  }
  if (fieldErrors.length > 0) throw errors.validation(fieldErrors, fieldErrors.map((e) => `${e.pointer}: ${e.message}`).join('; '));
}

/** Who may set which status, and who may point a model at a remote endpoint. */
function assertAllowedChange(input: Fields, current: StoredEntry | undefined, principal: Principal): void {
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

// ---------------------------------------------------------------------------------------------
// Unique keys (claims)
// ---------------------------------------------------------------------------------------------

/** The unique keys an entry holds: its platform identifier, and a platform's name in the registry. */
function uniqueKeys(doc: Fields & { type: string }): string[] {
  const keys: string[] = [];
  if (typeof doc.platform === 'string' && typeof doc.platformResourceIdentifier === 'string') {
    keys.push(platformKey(doc.platform, doc.platformResourceIdentifier));
  }
  if (doc.type === 'platforms' && typeof doc.name === 'string') keys.push(platformNameKey(doc.name));
  return keys;
}

const platformKey = (platform: string, identifier: string) => `platform:${platform}:${identifier}`;
const platformNameKey = (name: string) => `platformName:${name}`;

/** Claim ids are derived from the key (hashed: identifiers may hold `/`, which Cosmos ids may not). */
function claimId(key: string): string {
  return `claim-${createHash('sha256').update(key).digest('base64url')}`;
}

function conflictFor(key: string, existingId: string): AppError {
  if (key.startsWith('platformName:')) {
    return errors.conflict(`A platform named '${key.slice('platformName:'.length)}' exists: ${existingId}.`, { existingId });
  }
  return errors.conflict(`An entry with this platform and platformResourceIdentifier exists: ${existingId}.`, { existingId });
}

/**
 * Takes a unique key for an entry. The claim is written before the entry, so a crash in between
 * leaves at worst a claim whose entry does not exist or no longer holds the key: that claim is stale
 * and the next writer takes it over (guarded by its ETag). True when this call took the claim, false
 * when the entry held it already.
 */
async function acquire(type: string, key: string, entryId: string): Promise<boolean> {
  const claim: ClaimDocument = { id: claimId(key), type, docType: 'claim', entryId, key };
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      await insertClaim(claim);
      return true;
    } catch (error) {
      if (cosmosStatus(error) !== 409) throw error;
    }
    const existing = await readClaim(type, claim.id);
    if (!existing) continue;
    if (existing.doc.entryId === entryId) return false;
    const holder = await readEntry(type, existing.doc.entryId);
    if (holder && !holder.doc.deletedAt && uniqueKeys(holder.doc).includes(key)) throw conflictFor(key, holder.doc.id);
    try {
      await replaceClaim(claim, existing.etag);
      return true;
    } catch (error) {
      const status = cosmosStatus(error);
      if (status !== 412 && status !== 404) throw error;
    }
  }
  throw errors.unavailable('The unique key is contended; try again.', 1);
}

async function release(type: string, key: string, entryId: string): Promise<void> {
  const existing = await readClaim(type, claimId(key));
  if (existing?.doc.entryId === entryId) await deleteDocument(type, existing.doc.id);
}

async function releaseQuietly(type: string, keys: string[], entryId: string): Promise<void> {
  // A claim left behind is stale and re-claimable, so a failure here loses nothing.
  await Promise.all(keys.map((key) => release(type, key, entryId).catch(() => undefined)));
}

async function findByKey(type: string, key: string): Promise<Versioned<StoredEntry> | undefined> {
  const claim = await readClaim(type, claimId(key));
  if (!claim) return undefined;
  const entry = await readEntry(type, claim.doc.entryId);
  if (!entry || entry.doc.deletedAt || !uniqueKeys(entry.doc).includes(key)) return undefined;
  return entry;
}

/** The live registry entry of a platform, if there is one. */
async function registeredPlatform(name: string): Promise<Versioned<StoredEntry> | undefined> {
  return findByKey('platforms', platformNameKey(name));
}

async function assertPlatformRegistered(platform: unknown, before: unknown): Promise<void> {
  if (typeof platform !== 'string' || platform === before) return;
  if (!(await registeredPlatform(platform))) {
    throw errors.invalidField('/body/platform', `is not a platform of the registry (GET /api/v1/catalogue/platforms)`);
  }
}

// ---------------------------------------------------------------------------------------------
// Writes
// ---------------------------------------------------------------------------------------------

interface EntryRecord {
  id: string;
  owner: string;
  dateCreated: string;
  dateModified: string;
  status: unknown;
}

/** The stored document: id and type first, the caller's content, then the entry record. */
function buildDoc(type: string, content: Fields, record: EntryRecord): StoredEntry {
  const { id, status, owner, dateCreated, dateModified } = record;
  return { id, type, ...content, status, owner, dateCreated, dateModified, docType: 'entry' } as StoredEntry;
}

/** Store answers that are the caller's doing: a changed ETag, a document over Cosmos DB's 2 MB. */
function storeError(error: unknown): unknown {
  const status = cosmosStatus(error);
  if (status === 412) return errors.preconditionFailed();
  if (status === 413) return errors.payloadTooLarge(2 * 1024 * 1024);
  return error;
}

/** Writes a new entry: claims first, then the entry; on failure the claims are released. */
async function insertWithClaims(doc: StoredEntry, replaceDeleted: Versioned<StoredEntry> | undefined): Promise<Versioned<StoredEntry>> {
  // Only claims taken here are released on failure: one this entry id already held (a concurrent
  // writer of the same id) is not ours to drop.
  const taken: string[] = [];
  for (const key of uniqueKeys(doc)) if (await acquire(doc.type, key, doc.id)) taken.push(key);
  try {
    return replaceDeleted ? await replaceEntry(doc, replaceDeleted.etag) : await insertEntry(doc);
  } catch (error) {
    await releaseQuietly(doc.type, taken, doc.id);
    throw storeError(error);
  }
}

/** Replaces an entry: new keys are claimed before, keys it no longer holds released after. */
async function replaceWithClaims(next: StoredEntry, current: Versioned<StoredEntry>): Promise<Versioned<StoredEntry>> {
  const before = uniqueKeys(current.doc);
  const after = uniqueKeys(next);
  const added = after.filter((key) => !before.includes(key));
  const removed = current.doc.deletedAt ? [] : before.filter((key) => !after.includes(key));
  const taken: string[] = [];
  for (const key of added) if (await acquire(next.type, key, next.id)) taken.push(key);
  let written: Versioned<StoredEntry>;
  try {
    // The version read (and checked against If-Match) is the one replaced: a change in between is a 412.
    written = await replaceEntry(next, current.etag);
  } catch (error) {
    await releaseQuietly(next.type, taken, next.id);
    if (cosmosStatus(error) === 404) throw errors.notFound(singularOf(next.type), next.id);
    throw storeError(error);
  }
  await releaseQuietly(next.type, removed, next.id);
  return written;
}

/** Runs a read-modify-write; without the caller's If-Match, a concurrent change makes it start again. */
async function withRetry<T>(ifMatch: string | undefined, operation: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await operation();
    } catch (error) {
      const retry = ifMatch === undefined && error instanceof AppError && error.status === 412 && attempt < 3;
      if (!retry) throw error;
    }
  }
}

async function visibleEntry(type: string, id: string, principal: Principal | undefined): Promise<Versioned<StoredEntry>> {
  const found = await readEntry(type, id);
  if (!found || !canSee(found.doc, principal)) throw errors.notFound(singularOf(type), id);
  return found;
}

function singularOf(type: string): string {
  return catalogueType(type)?.singular.toLowerCase() ?? 'entry';
}

async function writableEntry(definition: Definition, id: string, principal: Principal, ifMatch: string | undefined): Promise<Versioned<StoredEntry>> {
  const current = await visibleEntry(definition.name, id, principal);
  if (!canWrite(definition, current.doc, principal)) {
    throw errors.forbidden(`Only the owner of this ${singularOf(definition.name)} or an admin may change it.`);
  }
  if (ifMatch !== undefined && representationEtag(ifMatch, undefined) !== representationEtag(current.etag, undefined)) {
    throw errors.preconditionFailed();
  }
  return current;
}

/** Creates an entry owned by the caller; status `draft` unless the body says otherwise. */
export async function createEntry(type: string, body: unknown, principal: Principal): Promise<VersionedEntry> {
  const definition = definitionOf(type);
  assertMayCreate(definition, principal);
  const input = parseInput(definition, body);
  assertEchoesUnchanged(definition, input, undefined);
  assertAllowedChange(input, undefined, principal);
  await assertPlatformRegistered(input.platform, undefined);
  const now = new Date().toISOString();
  const record = { id: randomUUID(), owner: principal.id, dateCreated: now, dateModified: now, status: input.status ?? 'draft' };
  const doc = buildDoc(type, contentOf(input), record);
  const written = await insertWithClaims(doc, undefined);
  return { entry: present(written.doc, principal), etag: representationEtag(written.etag, undefined) };
}

async function replaceFrom(definition: Definition, current: Versioned<StoredEntry>, input: Fields, principal: Principal): Promise<VersionedEntry> {
  assertEchoesUnchanged(definition, input, current.doc);
  assertAllowedChange(input, current.doc, principal);
  await assertPlatformRegistered(input.platform, current.doc.platform);
  if (definition.name === 'platforms' && input.name !== current.doc.name) await assertPlatformUnused(current.doc.name);
  const content = contentOf(input);
  for (const field of definition.systemFields) {
    const kept = (current.doc as Fields)[field];
    if (kept !== undefined) content[field] = kept;
  }
  const next = buildDoc(definition.name, content, {
    id: current.doc.id,
    owner: current.doc.owner,
    dateCreated: current.doc.dateCreated,
    dateModified: new Date().toISOString(),
    status: input.status ?? current.doc.status,
  });
  const written = await replaceWithClaims(next, current);
  return { entry: present(written.doc, principal), etag: representationEtag(written.etag, undefined) };
}

/** PUT: replaces every field the caller writes (a left-out status stays as it is). */
export async function replaceEntryFields(
  type: string,
  id: string,
  body: unknown,
  principal: Principal,
  ifMatch: string | undefined,
): Promise<VersionedEntry> {
  const definition = definitionOf(type);
  const input = parseInput(definition, body);
  return withRetry(ifMatch, async () => replaceFrom(definition, await writableEntry(definition, id, principal, ifMatch), input, principal));
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

/** PATCH with a JSON merge patch: applied to the stored entry, then validated as a whole. */
export async function patchEntry(type: string, id: string, patch: Fields, principal: Principal, ifMatch: string | undefined): Promise<VersionedEntry> {
  const definition = definitionOf(type);
  return withRetry(ifMatch, async () => {
    const current = await writableEntry(definition, id, principal, ifMatch);
    const merged = applyMergePatch(toView(current.doc), patch);
    return replaceFrom(definition, current, parseInput(definition, merged), principal);
  });
}

async function assertPlatformUnused(platform: string): Promise<void> {
  for (const definition of catalogueTypes) {
    const count = await countEntries(definition.name, { platform }, { kind: 'all' });
    if (count > 0) {
      throw errors.conflict(`The platform '${platform}' still has ${count} ${definition.name}; delete or move them first.`);
    }
  }
}

/** Soft delete: the entry disappears at once and is purged after the retention; its unique keys are freed. */
export async function deleteEntry(type: string, id: string, principal: Principal, ifMatch: string | undefined): Promise<void> {
  const definition = definitionOf(type);
  await withRetry(ifMatch, async () => {
    const current = await writableEntry(definition, id, principal, ifMatch);
    if (definition.name === 'platforms') await assertPlatformUnused(current.doc.name);
    const now = new Date().toISOString();
    const next: StoredEntry = { ...current.doc, deletedAt: now, deletedBy: principal.id };
    try {
      await replaceEntry(next, current.etag);
    } catch (error) {
      if (cosmosStatus(error) === 412) throw errors.preconditionFailed();
      throw error;
    }
    await releaseQuietly(type, uniqueKeys(current.doc), id);
  });
}

/**
 * Creates or updates an entry on behalf of the platform (seeders, platform connectors): no role
 * checks. It finds the entry by `platform` + `platformResourceIdentifier`, else by `id`; unchanged
 * content writes nothing. A platform missing from the registry is registered.
 *
 * @example const { id, changed } = await upsertEntryAsSystem('datasets', { id: 'seed-iris', name: 'Iris', status: 'published' });
 */
export async function upsertEntryAsSystem(type: string, entry: Record<string, unknown>): Promise<{ id: string; changed: boolean }> {
  try {
    return await upsertOnce(type, entry);
  } catch (error) {
    // Two writers created the same id at once: the loser updates what the winner wrote.
    if (cosmosStatus(error) === 409) return upsertOnce(type, entry);
    throw error;
  }
}

async function upsertOnce(type: string, entry: Record<string, unknown>): Promise<{ id: string; changed: boolean }> {
  const definition = definitionOf(type);
  const input = parseInput(definition, entry, 'entry');
  const givenId = typeof input.id === 'string' ? input.id : undefined;
  const byKey =
    typeof input.platform === 'string' && typeof input.platformResourceIdentifier === 'string'
      ? await findByKey(type, platformKey(input.platform, input.platformResourceIdentifier))
      : undefined;
  if (byKey && givenId && byKey.doc.id !== givenId) {
    throw conflictFor(platformKey(String(input.platform), String(input.platformResourceIdentifier)), byKey.doc.id);
  }
  const byId = byKey ?? (givenId ? await readEntry(type, givenId) : undefined);
  if (typeof input.platform === 'string' && type !== 'platforms') await registerPlatform(input.platform);
  const content = contentOf(input);
  const now = new Date().toISOString();
  const live = byId && !byId.doc.deletedAt ? byId : undefined;
  if (!live) {
    const doc = buildDoc(type, content, {
      id: givenId ?? randomUUID(),
      owner: typeof input.owner === 'string' ? input.owner : 'system',
      dateCreated: now,
      dateModified: now,
      status: input.status ?? 'published',
    });
    const written = await insertWithClaims(doc, byId);
    return { id: written.doc.id, changed: true };
  }
  for (const field of definition.systemFields) {
    const kept = (live.doc as Fields)[field];
    if (content[field] === undefined && kept !== undefined) content[field] = kept;
  }
  const next = buildDoc(type, content, {
    id: live.doc.id,
    owner: typeof input.owner === 'string' ? input.owner : live.doc.owner,
    dateCreated: live.doc.dateCreated,
    dateModified: now,
    status: input.status ?? live.doc.status,
  });
  const comparable = (doc: StoredEntry) => ({ ...contentOf(doc), status: doc.status, owner: doc.owner });
  if (sameValue(comparable(next), comparable(live.doc))) return { id: live.doc.id, changed: false };
  await replaceWithClaims(next, live);
  return { id: live.doc.id, changed: true };
}

/**
 * Changes some fields of a live entry on behalf of the platform, with a JSON merge patch and no role
 * checks: how other areas maintain system fields such as a dataset's `hosting`. 404 if the entry is
 * absent or deleted; validated like any write.
 *
 * @example await patchEntryAsSystem('datasets', datasetId, { hosting: { records: 150, columns: [...] } });
 */
export async function patchEntryAsSystem(type: string, id: string, patch: Record<string, unknown>): Promise<{ id: string; changed: boolean }> {
  const definition = definitionOf(type);
  return withRetry(undefined, async () => {
    const current = await readEntry(type, id);
    if (!current || current.doc.deletedAt) throw errors.notFound(singularOf(type), id);
    const merged = applyMergePatch(toView(current.doc), patch) as Fields;
    const input = parseInput(definition, merged, 'patch');
    const next = buildDoc(type, contentOf(input), {
      id,
      owner: current.doc.owner,
      dateCreated: current.doc.dateCreated,
      dateModified: new Date().toISOString(),
      status: input.status ?? current.doc.status,
    });
    const comparable = (doc: StoredEntry) => ({ ...contentOf(doc), status: doc.status });
    if (sameValue(comparable(next), comparable(current.doc))) return { id, changed: false };
    if (typeof input.platform === 'string' && type !== 'platforms') await registerPlatform(input.platform);
    await replaceWithClaims(next, current);
    return { id, changed: true };
  });
}

/**
 * Soft-deletes an entry on behalf of the platform (a connector whose source no longer has the item):
 * no role checks; `by` is recorded as `deletedBy`. False when it is absent or deleted already.
 *
 * @example await deleteEntryAsSystem('datasets', 'openml-datasets-61', 'connector:openml-datasets');
 */
export async function deleteEntryAsSystem(type: string, id: string, by: string): Promise<boolean> {
  definitionOf(type);
  return withRetry(undefined, async () => {
    const current = await readEntry(type, id);
    if (!current || current.doc.deletedAt) return false;
    try {
      await replaceEntry({ ...current.doc, deletedAt: new Date().toISOString(), deletedBy: by }, current.etag);
    } catch (error) {
      throw storeError(error);
    }
    await releaseQuietly(type, uniqueKeys(current.doc), id);
    return true;
  });
}

/** Registers a platform a connector names for the first time; concurrent first uses register it once. */
async function registerPlatform(name: string): Promise<void> {
  if (await registeredPlatform(name)) return;
  try {
    await upsertEntryAsSystem('platforms', { id: `platform-${name}`, name, status: 'published' });
  } catch (error) {
    const conflict = cosmosStatus(error) === 409 || (error instanceof AppError && error.status === 409);
    if (!conflict || !(await registeredPlatform(name))) throw error;
  }
}

/** Deletes entries soft-deleted longer ago than the configured retention; returns how many. */
export async function purgeDeletedEntries(now = new Date()): Promise<number> {
  const cutoff = new Date(now.getTime() - config().catalogue.deletedRetentionSeconds * 1000).toISOString();
  let purged = 0;
  for (const definition of catalogueTypes) {
    for (;;) {
      const batch = await deletedBefore(definition.name, cutoff, 100);
      for (const { doc } of batch) {
        await releaseQuietly(doc.type, uniqueKeys(doc), doc.id);
        await deleteDocument(doc.type, doc.id);
      }
      purged += batch.length;
      if (batch.length < 100) break;
    }
  }
  return purged;
}

// ---------------------------------------------------------------------------------------------
// Reads
// ---------------------------------------------------------------------------------------------

/**
 * One entry as `principal` may see it: 404 if it does not exist, is deleted, or is a draft of
 * someone else. Anonymous callers get contact emails masked.
 *
 * @example const model = await getEntry('models', id, principal); // EntryOf<'models'>: model.runtime
 */
export async function getEntry<T extends string>(type: T, id: string, principal: Principal | undefined): Promise<EntryOf<T>> {
  return (await getVersionedEntry(type, id, principal)).entry as EntryOf<T>;
}

/** `getEntry` plus the ETag of this caller's representation. */
export async function getVersionedEntry(type: string, id: string, principal: Principal | undefined): Promise<VersionedEntry> {
  definitionOf(type);
  const found = await visibleEntry(type, id, principal);
  return { entry: present(found.doc, principal), etag: representationEtag(found.etag, viewVariant(principal)) };
}

/** The entry that holds `platformResourceIdentifier` on `platform`. */
export async function getEntryByPlatformId(type: string, platform: string, identifier: string, principal: Principal | undefined): Promise<VersionedEntry> {
  definitionOf(type);
  const found = await findByKey(type, platformKey(platform, identifier));
  if (!found || !canSee(found.doc, principal)) throw errors.notFound(singularOf(type), `${platform}:${identifier}`);
  return { entry: present(found.doc, principal), etag: representationEtag(found.etag, viewVariant(principal)) };
}

function filtersOf(query: Pick<ListQuery, 'q' | 'keyword' | 'platform' | 'status' | 'modifiedAfter' | 'modifiedBefore'>): EntryFilters {
  return {
    q: query.q,
    keywords: query.keyword,
    platform: query.platform,
    status: query.status,
    modifiedAfter: query.modifiedAfter,
    modifiedBefore: query.modifiedBefore,
  };
}

export interface EntryPage {
  items: CatalogueEntry[];
  continuation: string | undefined;
  /** What the cursor is bound to: the filters, the sort and who is looking. */
  cursorScope: unknown;
  etag: string;
}

/** One page of the entries of a type this caller may see, filtered and sorted. */
export async function listEntries(type: string, query: ListQuery, principal: Principal | undefined): Promise<EntryPage> {
  definitionOf(type);
  const filters = filtersOf(query);
  const visibility = visibilityFor(principal);
  const cursorScope = { type, filters, sort: query.sort, viewer: principal?.id ?? null };
  const continuation = decodeCursor(query.cursor, cursorScope);
  const descending = query.sort.startsWith('-');
  const field = (descending ? query.sort.slice(1) : query.sort) as 'dateModified' | 'name';
  let page;
  try {
    page = await queryEntries(type, filters, visibility, { field, descending }, { limit: query.limit, continuation });
  } catch (error) {
    // A continuation the store cannot use (tampered with, or from before a change) is the caller's cursor problem.
    if (continuation !== undefined && cosmosStatus(error) === 400) throw errors.invalidField('/query/cursor', 'is not a cursor this API issued');
    throw error;
  }
  const items = page.items.map(({ doc }) => present(doc, principal));
  const etag = `"${createHash('sha256')
    .update(canonical({ etags: page.items.map((item) => item.etag), next: page.continuation ?? null, variant: viewVariant(principal) ?? null }))
    .digest('base64url')
    .slice(0, 27)}"`;
  return { items, continuation: page.continuation, cursorScope, etag };
}

/** How many entries of a type the caller may see; per platform of the registry on request. */
export async function countEntriesOf(
  type: string,
  query: CountQuery,
  principal: Principal | undefined,
): Promise<{ type: string; count: number; platforms?: Record<string, number> }> {
  definitionOf(type);
  const visibility = visibilityFor(principal);
  const filters: EntryFilters = { platform: query.platform, status: query.status };
  const count = await countEntries(type, filters, visibility);
  if (!query.perPlatform) return { type, count };
  const platforms: Record<string, number> = {};
  // No GROUP BY on every Cosmos flavour: one COUNT per platform of the registry (a short list).
  for (const name of await platformNames()) {
    if (query.platform === undefined || query.platform === name) platforms[name] = await countEntries(type, { ...filters, platform: name }, visibility);
  }
  return { type, count, platforms };
}

async function platformNames(): Promise<string[]> {
  const names: string[] = [];
  let continuation: string | undefined;
  do {
    const page = await queryEntries('platforms', {}, { kind: 'all' }, { field: 'name', descending: false }, { limit: 100, continuation });
    names.push(...page.items.map((item) => item.doc.name));
    continuation = page.continuation;
  } while (continuation);
  return names;
}

/** The content URL of one of the entry's distributions (for a 303). */
export async function contentUrlOf(type: string, id: string, index: number, principal: Principal | undefined): Promise<string> {
  const { entry } = await getVersionedEntry(type, id, principal);
  const distribution = entry.distributions?.[index];
  if (!distribution) throw errors.notFound('distribution', `${id}/${index}`);
  return distribution.contentUrl;
}

/** Which profiles an entry of this type can be exported as. */
export function profilesFor(type: string): ExportProfile[] {
  return type === 'datasets' ? ['schema.org', 'dcat-ap', 'croissant'] : ['schema.org', 'dcat-ap'];
}

/** The entry as JSON-LD in one of the export profiles; `baseUrl` is the API's origin (for `@id`s). */
export async function exportEntry(
  type: string,
  id: string,
  profile: ExportProfile,
  principal: Principal | undefined,
  baseUrl: string,
): Promise<{ document: Record<string, unknown>; etag: string }> {
  definitionOf(type);
  if (!profilesFor(type).includes(profile)) throw errors.notAcceptable(profilesFor(type).map((p) => `application/ld+json (profile=${p})`));
  const found = await visibleEntry(type, id, principal);
  const entry = present(found.doc, principal);
  const options = { baseUrl };
  const document =
    profile === 'croissant' && entry.type === 'datasets'
      ? croissantExport(entry, options)
      : profile === 'dcat-ap'
        ? dcatExport(entry, options)
        : schemaOrgExport(entry, options);
  return { document, etag: representationEtag(found.etag, `${profile}${principal ? '' : '-public'}`) };
}

// ---------------------------------------------------------------------------------------------
// Representations (content negotiation)
// ---------------------------------------------------------------------------------------------

/** Profile URIs a client may name in `Accept: application/ld+json; profile="…"`. */
const PROFILE_URIS: Record<string, ExportProfile> = {
  'https://schema.org': 'schema.org',
  'https://schema.org/': 'schema.org',
  'http://schema.org/': 'schema.org',
  'http://data.europa.eu/r5r/': 'dcat-ap',
  'https://semiceu.github.io/DCAT-AP/': 'dcat-ap',
  'http://mlcommons.org/croissant/1.0': 'croissant',
};

interface MediaRange {
  type: string;
  q: number;
  profile: string | undefined;
}

function mediaRanges(accept: string | null): MediaRange[] {
  if (!accept?.trim()) return [{ type: '*/*', q: 1, profile: undefined }];
  return accept.split(',').flatMap((part) => {
    const [type, ...params] = part.split(';').map((piece) => piece.trim());
    if (!type) return [];
    let q = 1;
    let profile: string | undefined;
    for (const param of params) {
      const [name, raw] = param.split('=').map((piece) => piece.trim());
      const value = raw?.replace(/^"|"$/g, '');
      if (name?.toLowerCase() === 'q') q = Number.isFinite(Number(value)) ? Number(value) : 0;
      if (name?.toLowerCase() === 'profile') profile = value;
    }
    return [{ type: type.toLowerCase(), q, profile }];
  });
}

/** The quality the client gives a media type: the most specific matching range wins (RFC 9110 12.5.1). */
function quality(ranges: MediaRange[], type: string): { q: number; profile: string | undefined } {
  const [major] = type.split('/');
  const exact = ranges.find((range) => range.type === type);
  const partial = ranges.find((range) => range.type === `${major}/*`);
  const any = ranges.find((range) => range.type === '*/*');
  const chosen = exact ?? partial ?? any;
  return { q: chosen?.q ?? 0, profile: exact?.profile };
}

export type Representation = { kind: 'json' } | { kind: 'jsonld'; profile: ExportProfile };

const JSON_TYPE = 'application/json';
const JSONLD_TYPE = 'application/ld+json';

/**
 * Chooses JSON or a JSON-LD export from `Accept` and `?profile=`: JSON-LD when the client prefers
 * `application/ld+json` or names a profile; JSON otherwise; 406 when it accepts neither.
 */
export function negotiate(type: string, accept: string | null, profile: ExportProfile | undefined): Representation {
  const ranges = mediaRanges(accept);
  const json = quality(ranges, JSON_TYPE);
  const jsonld = quality(ranges, JSONLD_TYPE);
  const offered = [JSON_TYPE, ...profilesFor(type).map((p) => `${JSONLD_TYPE} (profile=${p})`)];
  if (profile !== undefined) {
    if (jsonld.q <= 0) throw errors.notAcceptable(offered);
    return { kind: 'jsonld', profile };
  }
  if (jsonld.q > 0 && jsonld.q > json.q) {
    return { kind: 'jsonld', profile: (jsonld.profile && PROFILE_URIS[jsonld.profile]) || 'schema.org' };
  }
  if (json.q > 0) return { kind: 'json' };
  throw errors.notAcceptable(offered);
}

/** GET of one entry in the representation the client negotiated. */
export async function readRepresentation(
  type: string,
  id: string,
  principal: Principal | undefined,
  representation: Representation,
  baseUrl: string,
): Promise<{ body: unknown; contentType: string; etag: string }> {
  if (representation.kind === 'json') {
    const { entry, etag } = await getVersionedEntry(type, id, principal);
    return { body: entry, contentType: 'application/json; charset=utf-8', etag };
  }
  const { document, etag } = await exportEntry(type, id, representation.profile, principal, baseUrl);
  return { body: document, contentType: 'application/ld+json; charset=utf-8', etag };
}
