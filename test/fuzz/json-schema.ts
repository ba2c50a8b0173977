import fc from 'fast-check';

/**
 * Valid values for the JSON Schemas zod writes into the OpenAPI document — the keywords it emits
 * (`$ref`, `type`, `enum`, `const`, `format`, `pattern`, lengths, bounds, item counts, `properties`,
 * `required`, `additionalProperties`, `propertyNames`, `anyOf`/`oneOf`) and nothing more: this is
 * not a general JSON Schema faker. Every value is a fast-check arbitrary, so a run is reproduced by
 * its seed.
 */
export interface JsonSchema {
  $ref?: string;
  type?: string;
  enum?: unknown[];
  const?: unknown;
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  propertyNames?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  default?: unknown;
  description?: string;
}

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * Things that exist, in tiers by how likely they are to be right: those around what the path names
 * (the vocabulary of the campaign a label goes to), those the app recently accepted a write on (the
 * campaign just activated), seeded ones (whole: the seeded imageset is ready and has images), any.
 */
export interface Tiers<T> {
  around: T[];
  recent: T[];
  seeded: T[];
  all: T[];
}
export type KnownValues = Tiers<string>;

export const NO_VALUES: KnownValues = { around: [], recent: [], seeded: [], all: [] };

/** Where generated values come from besides the schema: ids of things that exist, and a URL to call. */
export interface ValueSources {
  /** Values known to exist for a string called `name` or typed by the component `ref` (`ImagesetId`). */
  known(name: string | undefined, ref: string | undefined): KnownValues;
  /** A URL on the test's own receiver: webhooks and anything else the app may call answer at once. */
  url(path: string): string;
}

export interface SchemaContext {
  schemas: Record<string, JsonSchema>;
  sources: ValueSources;
}

/** A schema with its `$ref`s followed (sibling keywords such as `default` kept), and the component it named. */
export interface Resolved {
  schema: JsonSchema;
  ref: string | undefined;
}

export function resolve(schema: JsonSchema, schemas: Record<string, JsonSchema>): Resolved {
  let current = schema;
  let ref: string | undefined;
  for (let hops = 0; current.$ref && hops < 10; hops++) {
    const name = current.$ref.replace('#/components/schemas/', '');
    const target = schemas[name];
    if (!target) throw new Error(`${current.$ref} is not in components.schemas`);
    const { $ref: _followed, ...siblings } = current;
    ref = name;
    current = { ...target, ...siblings };
  }
  return { schema: current, ref };
}

/** Deeper than this, objects get their required members only and unions their non-recursive branches. */
const MAX_DEPTH = 3;
/**
 * Short words every plain string may be: values meant to match each other (a campaign's labels and
 * the labels sent to it) then sometimes do; and a flag and a number, which loosely typed query
 * controls (`_count`, `_size`) carry as text.
 */
export const VOCABULARY = ['bottle', 'can', 'net', 'rope', 'true', '10'];
const ALPHANUMERIC = [...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'];
/** Numbers near the lower bound most of the time: boxes must fit inside the images (160×120 the smallest seeded), limits are small. */
const NEAR_LOW_END = 100;
/**
 * Member pairs whose first must not exceed the second: zod refinements the document cannot show
 * (`xMin < xMax`, `startDate <= endDate`, `modifiedAfter < modifiedBefore`, `south <= north`).
 */
const ORDERED_SUFFIXES: [string, string][] = [
  ['Min', 'Max'],
  ['After', 'Before'],
];
const ORDERED_NAMES: [string, string][] = [
  ['startDate', 'endDate'],
  ['south', 'north'],
];

const DAY_MS = 86_400_000;

/** Today, to the day: a run repeats its dates within a day. */
const TODAY = Math.floor(Date.now() / DAY_MS) * DAY_MS;

function isoDateTime(): fc.Arbitrary<string> {
  // Deadlines and expiry dates must be in the future; three years ahead at most.
  return fc.integer({ min: 2 * DAY_MS, max: 3 * 365 * DAY_MS }).map((ms) => new Date(TODAY + Math.floor(ms / 1000) * 1000).toISOString());
}

function isoDate(): fc.Arbitrary<string> {
  return isoDateTime().map((text) => text.slice(0, 10));
}

function word(minLength: number, maxLength: number): fc.Arbitrary<string> {
  const unit = fc.constantFrom(...ALPHANUMERIC);
  return fc.string({ unit, minLength, maxLength });
}

function fits(text: string, schema: JsonSchema): boolean {
  if (schema.minLength !== undefined && text.length < schema.minLength) return false;
  if (schema.maxLength !== undefined && text.length > schema.maxLength) return false;
  return schema.pattern === undefined || new RegExp(schema.pattern, 'u').test(text);
}

/**
 * A string of this schema's format or pattern, else plain words (sometimes a shared word); never a
 * known id (see `stringValue`). URLs point at the test's receiver: the app may call them.
 */
function freshString(schema: JsonSchema, sources: ValueSources): fc.Arbitrary<string> {
  const min = schema.minLength ?? 0;
  const max = schema.maxLength ?? 10_000;
  const bounded = (arbitrary: fc.Arbitrary<string>) => arbitrary.filter((text) => text.length >= min && text.length <= max);
  switch (schema.format) {
    case 'date-time':
      return bounded(isoDateTime());
    case 'date':
      return bounded(isoDate());
    case 'email':
      return bounded(word(1, 12).map((local) => `${local}@example.com`));
    case 'uri':
    case 'url':
      return bounded(word(1, 12).map((path) => sources.url(path)));
    case 'uuid':
      return fc.uuid();
  }
  if (schema.pattern !== undefined) return bounded(fc.stringMatching(new RegExp(schema.pattern, 'u')));
  // At least 6 characters where allowed, so that names which must be unique rarely collide.
  const low = Math.min(max, Math.max(min, min > 0 ? 6 : 0));
  const high = Math.min(max, low + 24);
  const words = VOCABULARY.filter((entry) => entry.length >= min && entry.length <= max);
  return words.length > 0 ? fc.oneof({ weight: 2, arbitrary: word(low, high) }, { weight: 1, arbitrary: fc.constantFrom(...words) }) : word(low, high);
}

/** Things that exist where there are any, the likeliest most often, and fresh ones now and then (an id of nothing, a new name). */
export function knownOrFresh<T>(known: Tiers<T>, fresh: fc.Arbitrary<T>, fitting: (value: T) => boolean = () => true): fc.Arbitrary<T> {
  const tiers = [
    { weight: 8, values: known.around.filter(fitting) },
    { weight: 6, values: known.recent.filter(fitting) },
    { weight: 4, values: known.seeded.filter(fitting) },
    { weight: 2, values: known.all.filter(fitting) },
  ].filter((tier) => tier.values.length > 0);
  if (tiers.length === 0) return fresh;
  return fc.oneof(...tiers.map((tier) => ({ weight: tier.weight, arbitrary: fc.constantFrom(...tier.values) })), { weight: 1, arbitrary: fresh });
}

function stringValue(schema: JsonSchema, ref: string | undefined, name: string | undefined, sources: ValueSources): fc.Arbitrary<string> {
  return knownOrFresh(sources.known(name, ref), freshString(schema, sources), (value) => fits(value, schema));
}

function numberValue(schema: JsonSchema): fc.Arbitrary<number> {
  const low = Math.max(schema.minimum ?? -1_000, -1_000_000);
  const high = Math.min(schema.maximum ?? 1_000_000, 1_000_000);
  const nearLow = Math.min(high, low + NEAR_LOW_END);
  const whole = (min: number, max: number) => fc.integer({ min: Math.ceil(min), max: Math.floor(max) });
  if (schema.type === 'integer') return fc.oneof({ weight: 9, arbitrary: whole(low, nearLow) }, { weight: 1, arbitrary: whole(low, high) });
  // Hundredths, not the extremes of floating point (5e-324): the app's own checks are what is under test.
  const fraction = (min: number, max: number) => whole(min * 100, max * 100).map((n) => n / 100);
  return fc.oneof({ weight: 9, arbitrary: fraction(low, nearLow) }, { weight: 1, arbitrary: fraction(low, high) });
}

function arrayValue(schema: JsonSchema, context: SchemaContext, depth: number, name: string | undefined): fc.Arbitrary<Json[]> {
  const item = schema.items ? validValue(schema.items, context, depth + 1, singular(name)) : fc.constant<Json>('x');
  const minLength = schema.minItems ?? 0;
  const elementType = schema.items ? resolve(schema.items, context.schemas).schema.type : undefined;
  if (elementType === 'object' || elementType === 'array') {
    // Room for several elements, so that a mutation can put one bad element among good ones.
    return fc.array(item, { minLength, maxLength: Math.min(schema.maxItems ?? 6, minLength + 6) });
  }
  // Few and distinct: lists of ids and names are refused with a duplicate (`imagesetIds must be unique`).
  return fc.uniqueArray(item, { minLength, maxLength: Math.min(schema.maxItems ?? 3, minLength + 2), selector: (value) => JSON.stringify(value) });
}

/** `imagesetIds` → `imagesetId`: an array's elements are known by the singular of its name. */
function singular(name: string | undefined): string | undefined {
  return name?.endsWith('s') ? name.slice(0, -1) : name;
}

const ABSENT = Symbol('absent');

/** Puts each ordered pair of members (`xMin`/`xMax`) in order; equal numbers are pulled apart. */
function orderPairs(value: Record<string, Json>): Record<string, Json> {
  const pairs: [string, string][] = [...ORDERED_NAMES];
  for (const key of Object.keys(value)) {
    for (const [low, high] of ORDERED_SUFFIXES) if (key.endsWith(low)) pairs.push([key, key.slice(0, -low.length) + high]);
  }
  const ordered = { ...value };
  for (const [low, high] of pairs) {
    const a = ordered[low];
    const b = ordered[high];
    if (typeof a === 'number' && typeof b === 'number') {
      ordered[low] = Math.min(a, b);
      ordered[high] = a === b ? b + 1 : Math.max(a, b);
    } else if (typeof a === 'string' && typeof b === 'string' && a > b) {
      ordered[low] = b;
      ordered[high] = a;
    }
  }
  return ordered;
}

/**
 * Required members and about a third of the optional ones (a fifth below the top: every element of
 * an array must be valid for the array to be); an object of optional members only gets
 * one or two of them: refinements often ask for exactly one form (a filter is `and`, `or`, `not` or a
 * column test) or at least one member (`give plain, html or both`), and a patch changes a few.
 */
function objectValue(schema: JsonSchema, context: SchemaContext, depth: number): fc.Arbitrary<Record<string, Json>> {
  const properties = schema.properties ?? {};
  const required = new Set(schema.required ?? []);
  // An empty schema (`page: {}`) says nothing of what is valid: such a member is left out unless required.
  const names = Object.keys(properties).filter((key) => required.has(key) || (depth < MAX_DEPTH && Object.keys(properties[key] ?? {}).length > 0));
  const member = (key: string) => validValue(properties[key] ?? {}, context, depth + 1, key);
  const members =
    required.size === 0 && names.length > 0
      ? fc.subarray(names, { minLength: 1, maxLength: Math.min(2, names.length) }).chain((chosen) => fc.record(Object.fromEntries(chosen.map((key) => [key, member(key)]))))
      : fc.record(
          Object.fromEntries(
            names.map((key) => [key, required.has(key) ? member(key) : fc.oneof({ weight: depth === 0 ? 2 : 4, arbitrary: fc.constant(ABSENT) }, { weight: 1, arbitrary: member(key) })]),
          ),
        );
  const extra =
    typeof schema.additionalProperties === 'object' && Object.keys(properties).length === 0 && depth < MAX_DEPTH
      ? fc.dictionary(
          schema.propertyNames ? validValue(schema.propertyNames, context, depth + 1).map(String) : word(1, 10),
          validValue(schema.additionalProperties, context, depth + 1),
          { maxKeys: 3 },
        )
      : fc.constant({});
  return fc.record({ members, extra }).map(({ members: chosen, extra: more }) => {
    const value: Record<string, Json> = { ...(more as Record<string, Json>) };
    for (const [key, given] of Object.entries(chosen as Record<string, Json | typeof ABSENT>)) if (given !== ABSENT) value[key] = given;
    return orderPairs(value);
  });
}

function isRecursive(schema: JsonSchema): boolean {
  return schema.$ref !== undefined || schema.type === 'array' || schema.type === 'object';
}

/** A valid value of `schema`; `name` is the member or parameter it is for (known ids are found by it). */
export function validValue(schema: JsonSchema, context: SchemaContext, depth = 0, name?: string): fc.Arbitrary<Json> {
  const { schema: resolved, ref } = resolve(schema, context.schemas);
  const branches = resolved.anyOf ?? resolved.oneOf;
  if (branches) {
    const usable = depth >= MAX_DEPTH && branches.some((branch) => !isRecursive(branch)) ? branches.filter((branch) => !isRecursive(branch)) : branches;
    return fc.oneof(...usable.map((branch) => validValue(branch, context, depth, name)));
  }
  if (resolved.const !== undefined) return fc.constant(resolved.const as Json);
  if (resolved.enum) return fc.constantFrom(...(resolved.enum as Json[]));
  switch (resolved.type) {
    case 'string':
      return stringValue(resolved, ref, name, context.sources);
    case 'number':
    case 'integer':
      return numberValue(resolved);
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array':
      return arrayValue(resolved, context, depth, name);
    case 'object':
      return objectValue(resolved, context, depth);
    default:
      // `{}`: any JSON at all.
      return fc.jsonValue({ maxDepth: 1 }) as fc.Arbitrary<Json>;
  }
}

/** The branch of a union that `value` was generated from: the first whose type fits. */
export function branchOf(schema: JsonSchema, value: unknown, schemas: Record<string, JsonSchema>): JsonSchema {
  const { schema: resolved } = resolve(schema, schemas);
  const branches = resolved.anyOf ?? resolved.oneOf;
  if (!branches) return resolved;
  const fitting = branches.map((branch) => resolve(branch, schemas).schema).find((branch) => typeFits(branch, value, schemas));
  return fitting ? branchOf(fitting, value, schemas) : resolved;
}

function typeFits(schema: JsonSchema, value: unknown, schemas: Record<string, JsonSchema>): boolean {
  if (schema.anyOf || schema.oneOf) return branchOf(schema, value, schemas) !== schema;
  if (schema.const !== undefined) return schema.const === value;
  if (schema.enum) return schema.enum.includes(value);
  switch (schema.type) {
    case 'string':
      return typeof value === 'string';
    case 'number':
      return typeof value === 'number';
    case 'integer':
      return Number.isInteger(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'null':
      return value === null;
    case 'array':
      return Array.isArray(value);
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
    default:
      return true;
  }
}
