import type { Principal } from '../auth/auth.schema';
import { hasAnyRole, isAdmin } from '../auth/auth.service';
import type { Versioned } from '../azure/store';
import { errors } from '../errors';
import { readEntry, type StoredEntry, type Visibility } from './catalogue.repository';
import { type CatalogueEntry, catalogueType } from './catalogue.types';

// Who may see and change an entry, and what each caller sees of it (anonymous callers: no email addresses).

export type Definition = NonNullable<ReturnType<typeof catalogueType>>;
export type Fields = Record<string, unknown>;

export function definitionOf(type: string): Definition {
  const definition = catalogueType(type);
  if (!definition) throw errors.notFound('catalogue type', type);
  return definition;
}

export const INTERNAL_FIELDS = new Set(['docType', 'deletedAt', 'deletedBy', 'searchTokens']);

/** What callers see of a stored entry. */
export function toView(doc: StoredEntry): CatalogueEntry {
  const view: Fields = {};
  for (const [key, value] of Object.entries(doc)) if (!INTERNAL_FIELDS.has(key)) view[key] = value;
  return view as CatalogueEntry;
}

/**
 * Every `email` member anywhere in the entry (contacts, creators, a person's own), left out. Not
 * masked: `a***@example.org` is no email, so the answer broke its own schema (`format: email`), and
 * any string that did pass would be an address nobody owns. `email` is optional everywhere, so an
 * entry without it is exactly what the document describes.
 */
function withoutEmails<T>(value: T): T {
  if (Array.isArray(value)) return value.map(withoutEmails) as T;
  if (value && typeof value === 'object') {
    const out: Fields = {};
    for (const [key, inner] of Object.entries(value)) {
      if (key === 'email' && typeof inner === 'string') continue;
      out[key] = withoutEmails(inner);
    }
    return out as T;
  }
  return value;
}

/** The entry as this caller may see it: anonymous callers get it without email addresses. */
export function present(doc: StoredEntry, principal: Principal | undefined): CatalogueEntry {
  const view = toView(doc);
  return principal ? view : withoutEmails(view);
}

/** A representation's ETag: the stored version's, distinguished per variant (masked view, export profile). */
export function representationEtag(etag: string, variant: string | undefined): string {
  const inner = etag.replace(/^W\//, '').replace(/^"|"$/g, '');
  return variant ? `"${inner}-${variant}"` : `"${inner}"`;
}

export function viewVariant(principal: Principal | undefined): string | undefined {
  return principal ? undefined : 'public';
}

export function canSee(doc: StoredEntry, principal: Principal | undefined): boolean {
  if (doc.deletedAt) return false;
  if (doc.status === 'published') return true;
  return principal !== undefined && (isAdmin(principal) || doc.owner === principal.id);
}

export function canWrite(definition: Definition, doc: StoredEntry, principal: Principal): boolean {
  if (isAdmin(principal)) return true;
  return hasAnyRole(principal, definition.writeRoles) && doc.owner === principal.id;
}

export function assertMayCreate(definition: Definition, principal: Principal): void {
  if (!hasAnyRole(principal, definition.writeRoles)) {
    throw errors.forbidden(`Creating ${definition.name} needs one of the roles: ${definition.writeRoles.join(', ')}.`);
  }
}

export function visibilityFor(principal: Principal | undefined): Visibility {
  if (!principal) return { kind: 'published' };
  if (isAdmin(principal)) return { kind: 'all' };
  return { kind: 'publishedOrOwn', owner: principal.id };
}

export async function visibleEntry(type: string, id: string, principal: Principal | undefined): Promise<Versioned<StoredEntry>> {
  const found = await readEntry(type, id);
  if (!found || !canSee(found.doc, principal)) throw errors.notFound(singularOf(type), id);
  return found;
}

export function singularOf(type: string): string {
  return catalogueType(type)?.singular.toLowerCase() ?? 'entry';
}
