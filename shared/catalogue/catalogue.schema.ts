import { z } from 'zod';
import type { Role } from '../auth/auth.schema';
import { MAX_QUERY_WORDS, words } from './catalogue.search';

/**
 * The fields every catalogue asset has (after the AIoD metadata model: name, description,
 * distributions, creators, … plus an entry record), and `defineCatalogueType`, which turns a type's
 * own fields into its request and response schemas. A type is one file in `types/` plus one line in
 * `catalogue.types.ts`.
 */

export const shortText = (max = 256) => z.string().trim().min(1).max(max);
export const httpUrl = z.url({ protocol: /^https?$/ }).max(2048);
/** A date (`2024-05-01`) or a date-time with offset (`2024-05-01T12:00:00Z`). */
export const DateOrDateTime = z.union([z.iso.date(), z.iso.datetime({ offset: true })]);

export const EntryStatus = z
  .enum(['draft', 'published', 'rejected'])
  .meta({ id: 'CatalogueEntryStatus', description: 'draft: visible to its owner and admins. published: visible to everyone. rejected: set by an admin.' });
export type EntryStatus = z.infer<typeof EntryStatus>;

/** Catalogue ids are server-generated UUIDs; seeded and connector entries may use other fixed ids of the same alphabet. */
export const EntryId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'is not a catalogue id');

/** A platform's name in the registry (`openml`, `huggingface`, `zenodo`). */
export const PlatformName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'a platform name is lower-case letters, digits, ".", "_" or "-" (at most 64)');

export const PlatformResourceIdentifier = z
  .string()
  .min(1)
  .max(512)
  .regex(/^[^\s]+$/, 'must not contain white space');

export const Description = z
  .strictObject({
    plain: z.string().max(20_000).optional(),
    html: z.string().max(40_000).optional(),
  })
  .refine((value) => value.plain !== undefined || value.html !== undefined, 'give `plain`, `html` or both')
  .meta({ id: 'CatalogueDescription' });

/** Names of the defined catalogue types; `defineCatalogueType` adds each (no I/O, just a set). */
const definedTypes = new Set<string>();

/** A reference to another catalogue entry. */
export const EntryRef = z
  .strictObject({
    type: z.string().refine((type) => definedTypes.has(type), 'is not a catalogue type'),
    id: EntryId,
  })
  .meta({ id: 'CatalogueEntryRef' });
export type EntryRef = z.infer<typeof EntryRef>;

/**
 * A creator or contact: a person or organisation, by catalogue id, inline (name, email, url), or
 * both. Emails are masked for anonymous callers.
 */
export const AgentRef = z
  .strictObject({
    type: z.enum(['persons', 'organisations']),
    id: EntryId.optional(),
    name: shortText().optional(),
    email: z.email().max(320).optional(),
    url: httpUrl.optional(),
  })
  .refine((value) => value.id !== undefined || value.name !== undefined, 'give the `id` of a catalogue entry, a `name`, or both')
  .meta({ id: 'CatalogueAgentRef' });
export type AgentRef = z.infer<typeof AgentRef>;

export const ChecksumAlgorithm = z.enum(['md5', 'sha1', 'sha256', 'sha512']);

export const Distribution = z
  .strictObject({
    contentUrl: httpUrl,
    name: shortText().optional(),
    description: z.string().max(2_000).optional(),
    contentSizeBytes: z.number().int().min(0).optional(),
    encodingFormat: z
      .string()
      .regex(/^[\w.+-]+\/[\w.+-]+(?:\s*;.*)?$/, 'is not a media type such as text/csv')
      .max(200)
      .optional(),
    checksum: z.string().regex(/^[A-Fa-f0-9]{32,128}$/, 'is not a hex digest').optional(),
    checksumAlgorithm: ChecksumAlgorithm.optional(),
    datePublished: DateOrDateTime.optional(),
  })
  .superRefine((value, ctx) => {
    if ((value.checksum === undefined) !== (value.checksumAlgorithm === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['checksumAlgorithm'], message: 'give `checksum` and `checksumAlgorithm` together' });
    }
    const lengths = { md5: 32, sha1: 40, sha256: 64, sha512: 128 } as const;
    if (value.checksum && value.checksumAlgorithm && value.checksum.length !== lengths[value.checksumAlgorithm]) {
      ctx.addIssue({ code: 'custom', path: ['checksum'], message: `is not a ${value.checksumAlgorithm} digest` });
    }
  })
  .meta({ id: 'CatalogueDistribution' });
export type Distribution = z.infer<typeof Distribution>;

function depthOf(value: unknown, limit: number, depth = 0): number {
  if (depth > limit || !value || typeof value !== 'object') return depth;
  let deepest = depth;
  for (const inner of Object.values(value)) deepest = Math.max(deepest, depthOf(inner, limit, depth + 1));
  return deepest;
}

/**
 * A JSON object whose inside is not validated (JSON Schemas, hosting info), nested at most
 * `maxDepth` levels: Cosmos DB refuses deeper documents, and that must be the caller's 400, not our 500.
 */
export const freeformObject = (maxDepth = 32) =>
  z.record(z.string(), z.unknown()).refine((value) => depthOf(value, maxDepth) <= maxDepth, `is nested more than ${maxDepth} levels deep`);

export const list = <T extends z.ZodType>(item: T, max = 100) => z.array(item).max(max);

/** Fields a caller writes, common to every type. */
export const commonFields = {
  name: shortText(256).describe('The asset’s name.'),
  description: Description.optional(),
  keywords: list(shortText(100), 100).optional(),
  alternateName: list(shortText(256), 20).optional(),
  sameAs: httpUrl.optional().describe('The asset’s page on its source platform.'),
  license: shortText(256).optional().describe('An SPDX identifier (`CC-BY-4.0`) or a licence URL.'),
  version: shortText(64).optional(),
  datePublished: DateOrDateTime.optional(),
  creators: list(AgentRef, 100).optional(),
  contacts: list(AgentRef, 20).optional(),
  distributions: list(Distribution, 100).optional(),
  relevantLinks: list(httpUrl, 50).optional(),
  applicationArea: list(shortText(200), 50).optional(),
  researchArea: list(shortText(200), 50).optional(),
  isPartOf: list(EntryRef, 100).optional(),
  hasPart: list(EntryRef, 1000).optional(),
  platform: PlatformName.optional().describe('The source platform in the platform registry (`openml`); with `platformResourceIdentifier`.'),
  platformResourceIdentifier: PlatformResourceIdentifier.optional().describe('The asset’s id on its platform; unique per platform.'),
  status: EntryStatus.optional().describe('Defaults to `draft`. Only admins set `rejected`.'),
};

/** The entry record: set by the server, echoed back in PUT bodies only unchanged. */
export const recordFields = {
  id: EntryId,
  owner: z.string().describe('The principal that created the entry.'),
  dateCreated: z.iso.datetime(),
  dateModified: z.iso.datetime(),
};
export const SERVER_FIELDS = ['id', 'type', 'owner', 'dateCreated', 'dateModified'] as const;

export interface CatalogueTypeOptions<N extends string, S extends z.ZodRawShape> {
  /** The path segment and the `type` of its entries: `datasets`. */
  name: N;
  /** Used in operation ids and schema names: `Dataset`. */
  singular: string;
  description: string;
  /** The type's own fields. */
  fields: S;
  /** Fields the platform maintains (written by the system, echoed unchanged by callers). */
  systemFields?: readonly (keyof S & string)[];
  /** Roles that may create entries of this type (admin always may). */
  writeRoles: readonly [Role, ...Role[]];
  /** Extra checks on a written entry. */
  refine?: (value: Record<string, unknown>, ctx: z.RefinementCtx) => void;
}

function bothOrNeither(value: Record<string, unknown>, ctx: z.RefinementCtx): void {
  if ((value.platform === undefined) !== (value.platformResourceIdentifier === undefined)) {
    ctx.addIssue({
      code: 'custom',
      path: [value.platform === undefined ? 'platform' : 'platformResourceIdentifier'],
      message: 'give `platform` and `platformResourceIdentifier` together, or neither',
    });
  }
}

/**
 * A catalogue type: its name, its request schema (`input`: strict, unknown fields are refused) and
 * its response schema (`entry`: the common fields, the entry record and the type's own fields).
 *
 * @example export const datasetType = defineCatalogueType({ name: 'datasets', singular: 'Dataset', fields: { … }, … });
 */
export function defineCatalogueType<const N extends string, const S extends z.ZodRawShape>(options: CatalogueTypeOptions<N, S>) {
  const { name, singular, fields, refine } = options;
  definedTypes.add(name);
  const input = z
    .strictObject({
      ...commonFields,
      ...fields,
      // Echoes of the entry record, so that a GET body can be PUT back; they must match the stored values.
      id: EntryId.optional(),
      type: z.literal(name).optional(),
      owner: z.string().optional(),
      dateCreated: z.string().optional(),
      dateModified: z.string().optional(),
    })
    .superRefine((value, ctx) => {
      bothOrNeither(value as Record<string, unknown>, ctx);
      refine?.(value as Record<string, unknown>, ctx);
    })
    .meta({ id: `Catalogue${singular}Input`, description: `A ${singular.toLowerCase()} as written by a caller.` });
  const entry = z
    .object({
      ...commonFields,
      ...fields,
      ...recordFields,
      type: z.literal(name),
      status: EntryStatus,
    })
    .meta({ id: `Catalogue${singular}`, description: options.description });
  return {
    name,
    singular,
    description: options.description,
    writeRoles: options.writeRoles,
    systemFields: (options.systemFields ?? []) as readonly string[],
    input,
    entry,
  };
}

export type CatalogueTypeDefinition = ReturnType<typeof defineCatalogueType<string, z.ZodRawShape>>;

/** `2024-05-01` or `2024-05-01T12:00:00+02:00` → the same instant as stored (`toISOString`). */
const instant = DateOrDateTime.transform((text) => new Date(text).toISOString());

/** A query parameter that may be repeated (`?keyword=a&keyword=b`). */
const repeated = <T extends z.ZodType>(item: T) =>
  z.union([item, z.array(item).max(10)]).transform((value) => (Array.isArray(value) ? value : [value]));

export const EXPORT_PROFILES = ['schema.org', 'dcat-ap', 'dcat-ap-2', 'croissant'] as const;
export const ExportProfile = z
  .enum(EXPORT_PROFILES)
  .describe('The profile of an export: `dcat-ap` is DCAT-AP 3, `dcat-ap-2` DCAT-AP 2.1.1 for harvesters that still read 2.x.');
export type ExportProfile = z.infer<typeof ExportProfile>;

/** The facets a list can count (`?facets=license,keyword`). */
export const MAX_FACET_VALUES = 50;
export const FACET_NAMES = ['type', 'keyword', 'platform', 'license', 'status'] as const;

/** `a,b` (or the parameter repeated) → distinct names, each one of `names`. */
const commaList = <const T extends readonly [string, ...string[]]>(names: T) =>
  z
    .union([z.string(), z.array(z.string()).max(10)])
    .transform((value) => [...new Set((Array.isArray(value) ? value : [value]).flatMap((part) => part.split(',')).map((part) => part.trim()))])
    .pipe(z.array(z.enum(names)).max(names.length));

const before = (after: string | undefined, until: string | undefined) => !after || !until || after < until;

export const ListQuery = z
  .strictObject({
    limit: z.coerce.number().int().min(1).max(100).default(20).describe('Items per page (1–100).'),
    cursor: z.string().min(1).max(8192).optional().describe('The `nextCursor` of the previous page.'),
    q: z
      .string()
      .trim()
      .min(1)
      .max(200)
      .refine((q) => words(q).length > 0, 'has no word to search for (letters or digits)')
      .optional()
      .describe(
        `Free text: entries whose name, alternate names, keywords or plain description have every word of it (at most ${MAX_QUERY_WORDS}) ` +
          'as a word or the start of a word; case and accents are ignored (`cafe` finds `Café`).',
      ),
    keyword: repeated(shortText(100)).optional().describe('Entries having this keyword; repeat for all of several.'),
    platform: PlatformName.optional(),
    status: EntryStatus.optional().describe('Drafts and rejected entries are listed only to their owners and admins.'),
    license: shortText(256).optional().describe('Entries with exactly this license (`CC-BY-4.0`).'),
    createdAfter: instant.optional().describe('Entries created after this date or instant.'),
    createdBefore: instant.optional().describe('Entries created before this date or instant.'),
    modifiedAfter: instant.optional().describe('Entries last modified after this date or instant.'),
    modifiedBefore: instant.optional().describe('Entries last modified before this date or instant.'),
    sort: z
      .enum(['dateModified', '-dateModified', 'name', '-name'])
      .default('-dateModified')
      .describe('Field to sort by; a leading `-` sorts descending.'),
    facets: commaList(FACET_NAMES)
      .optional()
      .describe(
        `Facets to count over every entry that matches the filters (not only this page), comma-separated, of ${FACET_NAMES.join(', ')}: \`facets=license,keyword\`. ` +
          'The answer then has `facets`: per facet the values with their counts, largest first. `type` counts the same filters in every type.',
      ),
  })
  .refine((query) => before(query.modifiedAfter, query.modifiedBefore), { path: ['modifiedBefore'], message: 'must be after modifiedAfter' })
  .refine((query) => before(query.createdAfter, query.createdBefore), { path: ['createdBefore'], message: 'must be after createdAfter' });
export type ListQuery = z.infer<typeof ListQuery>;

export const FacetValue = z.object({ value: z.string(), count: z.number().int().min(1) }).meta({ id: 'CatalogueFacetValue' });
export const FacetCounts = z
  .object(Object.fromEntries(FACET_NAMES.map((name) => [name, z.array(FacetValue).optional()])) as Record<(typeof FACET_NAMES)[number], z.ZodOptional<z.ZodArray<typeof FacetValue>>>)
  .meta({
    id: 'CatalogueFacets',
    description: `Per facet asked for, the values of the matching entries with their counts, largest first (at most ${MAX_FACET_VALUES}).`,
  });
export type FacetCounts = z.infer<typeof FacetCounts>;

export const CountQuery = z.strictObject({
  platform: PlatformName.optional().describe('Count only the entries of this platform.'),
  perPlatform: z
    .enum(['true', 'false'])
    .default('false')
    .transform((value) => value === 'true')
    .describe('Also count per platform of the registry.'),
  status: EntryStatus.optional(),
});
export type CountQuery = z.infer<typeof CountQuery>;

export const EntryCount = z
  .object({
    type: z.string(),
    count: z.number().int(),
    platforms: z.record(z.string(), z.number().int()).optional().describe('Per platform of the registry (with `perPlatform=true`).'),
  })
  .meta({ id: 'CatalogueCount' });

/**
 * The `{type}` path segment. Any text is accepted here and an unknown type answers 404 (a collection
 * that does not exist), not 400; `enum` only documents the types in OpenAPI.
 */
export const typeParam = (names: readonly string[]) =>
  z.string().max(64).meta({ enum: [...names], description: 'The resource type.' });

export const entryParams = (names: readonly string[]) => z.strictObject({ type: typeParam(names), id: EntryId });
export const typeParams = (names: readonly string[]) => z.strictObject({ type: typeParam(names) });
export const platformLookupParams = (names: readonly string[]) =>
  z.strictObject({ platform: PlatformName, type: typeParam(names), platformResourceIdentifier: PlatformResourceIdentifier });
export const GetQuery = z.strictObject({ profile: ExportProfile.optional() });
export const ContentQuery = z.strictObject({
  distribution: z.coerce.number().int().min(0).max(99).default(0).describe('Which distribution (0 = the first).'),
});
/** A JSON merge patch (RFC 7396): members to set, `null` to remove. */
export const MergePatch = z.record(z.string(), z.unknown()).meta({ id: 'CatalogueMergePatch', description: 'RFC 7396 JSON merge patch.' });

/** A request body of the type named in the path: validated against that type’s schema by the service. */
export const EntryInputBody = z
  .record(z.string(), z.unknown())
  .meta({
    id: 'CatalogueEntryInput',
    description:
      'The fields of an entry of the type in the path: CatalogueDatasetInput, CatalogueModelInput, CataloguePublicationInput, ' +
      'CatalogueServiceInput, CatalogueExperimentInput, CatalogueOrganisationInput, CataloguePersonInput or CataloguePlatformInput. ' +
      'Unknown fields are refused.',
  });
