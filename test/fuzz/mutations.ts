import fc from 'fast-check';
import { branchOf, type Json, type JsonSchema } from './json-schema';

/**
 * One wrong field in an otherwise valid request: the request value (`{ query, body }`) is walked
 * with its schema, one place is picked and one thing is done to it. A place inside an array element
 * makes one bad element among good ones — where a bulk write that is not all-or-nothing would store
 * the good ones and refuse the request.
 */
export const MUTATIONS = ['wrong type', 'out of range', 'too long', 'required removed', 'unknown property', 'injection', 'deep nesting', 'hostile pattern'] as const;
export type Mutation = (typeof MUTATIONS)[number];
export type Kind = 'valid' | Mutation;

type Step = string | number;

/** Deeper than any request of the app needs and than its recursive code survives: refused at parse (400), never a stack overflow (500). */
export const DEEP_LEVELS = 2_000;

/**
 * JSON Schemas a contributor may write into a model (`inputSchema`, `outputSchema`): patterns that
 * backtrack exponentially on V8's engine (and the inputs that set them off are among the injections),
 * and patterns a linear-time engine cannot run at all (a backreference, lookarounds).
 */
export const HOSTILE_SCHEMAS: readonly Json[] = [
  { type: 'object', properties: { s: { type: 'string', pattern: '^(a+)+$' } } },
  { pattern: '^(a|aa)+$', additionalProperties: { pattern: '(a*)*b' }, items: { pattern: '^(\\w+\\s?)*$' } },
  { type: 'object', patternProperties: { '^(a+)+$': { type: 'string' } } },
  { type: 'string', pattern: '^(a)\\1$' },
  { type: 'object', patternProperties: { '(?<=x)y': {} }, properties: { s: { pattern: '^(?!a)' } } },
];

interface Place {
  path: Step[];
  value: Json;
  /** Undefined where the document gives no schema (rows of a dataset): only the value's own type is known. */
  schema: JsonSchema | undefined;
  /** A member its object must have: the schema says so, or there is no schema to say otherwise. */
  required: boolean;
  inElement: boolean;
  /** The value is itself a JSON Schema (a model's `inputSchema`): where a hostile pattern goes. */
  jsonSchema: boolean;
}

export interface Mutated<T> {
  value: T;
  kind: Kind;
  /** `/body/labels/3/xMax`: where the mutation is. */
  where: string;
  inElement: boolean;
}

const isObject = (value: Json): value is { [key: string]: Json } => typeof value === 'object' && value !== null && !Array.isArray(value);

function placesIn(value: Json, schema: JsonSchema | undefined, schemas: Record<string, JsonSchema>, path: Step[], inElement: boolean, required: boolean): Place[] {
  const branch = schema ? branchOf(schema, value, schemas) : undefined;
  const jsonSchema = schema?.$ref?.endsWith('/JsonSchemaObject') ?? false;
  const here: Place = { path, value, schema: branch, required, inElement, jsonSchema };
  if (Array.isArray(value)) {
    return [here, ...value.flatMap((item, index) => placesIn(item, branch?.items, schemas, [...path, index], true, false))];
  }
  if (isObject(value)) {
    const requiredNames = new Set(branch?.required ?? Object.keys(value));
    const inner = Object.entries(value).flatMap(([key, member]) => {
      const additional = typeof branch?.additionalProperties === 'object' ? branch.additionalProperties : undefined;
      return placesIn(member, branch?.properties?.[key] ?? additional, schemas, [...path, key], inElement, !branch || requiredNames.has(key));
    });
    return [here, ...inner];
  }
  return [here];
}

function hasBounds(place: Place): boolean {
  const schema = place.schema;
  if (!schema) return typeof place.value === 'number';
  if (typeof place.value === 'number') return schema.minimum !== undefined || schema.maximum !== undefined || schema.type === 'integer';
  if (typeof place.value === 'string') return (schema.minLength ?? 0) > 0 || schema.enum !== undefined || schema.const !== undefined || schema.pattern !== undefined || schema.format !== undefined;
  if (Array.isArray(place.value)) return (schema.minItems ?? 0) > 0 || (schema.maxItems ?? Infinity) <= 100;
  return false;
}

/**
 * An object that lists its members and takes no others (or has no schema to say): an unknown member
 * is wrong there. Not a map (`labelTranslations`), where any key is fine, nor a query with no
 * parameters at all, where an extra one is merely ignored.
 */
function isClosed(schema: JsonSchema | undefined): boolean {
  if (!schema) return true;
  const open = schema.additionalProperties === true || (typeof schema.additionalProperties === 'object' && schema.additionalProperties !== null);
  return !open && Object.keys(schema.properties ?? {}).length > 0;
}

/** Where each mutation can go: never the request's own `query`/`body` roots but for an unknown member. */
function applies(mutation: Mutation, place: Place): boolean {
  const root = place.path.length <= 1;
  switch (mutation) {
    case 'wrong type':
      return !root;
    case 'out of range':
      return !root && hasBounds(place);
    case 'too long':
    case 'injection':
      return !root && typeof place.value === 'string';
    case 'required removed':
      return !root && place.required && !Array.isArray(place.value) && typeof place.path.at(-1) === 'string';
    case 'unknown property':
      return isObject(place.value) && isClosed(place.schema);
    case 'deep nesting':
      return !root && typeof place.value === 'object' && place.value !== null;
    case 'hostile pattern':
      return place.jsonSchema;
  }
}

/** `[[[…]]]` or `{"a":{"a":…}}`, as the place's own kind of container. */
function deep(value: Json): Json {
  let nested: Json = Array.isArray(value) ? [] : {};
  for (let i = 0; i < DEEP_LEVELS; i++) nested = Array.isArray(value) ? [nested] : { a: nested };
  return nested;
}

function wrongType(value: Json): Json {
  if (typeof value === 'string') return 12_345;
  // Not `String(value)`: in a query that is the same number again.
  if (typeof value === 'number') return `${value}x`;
  if (typeof value === 'boolean') return 'yes';
  if (value === null) return 0;
  if (Array.isArray(value)) return { items: value.length };
  return [value];
}

function outOfRange(place: Place): Json {
  const { value, schema } = place;
  if (typeof value === 'number') {
    if (schema?.maximum !== undefined) return schema.maximum + 1;
    if (schema?.minimum !== undefined) return schema.minimum - 1;
    return value + 0.5;
  }
  if (typeof value === 'string') {
    if ((schema?.minLength ?? 0) > 0) return '';
    return schema?.enum || schema?.const !== undefined ? `not-${value}` : `not valid: ${value}`;
  }
  if (Array.isArray(value)) {
    if ((schema?.maxItems ?? Infinity) <= 100 && value.length > 0) return Array.from({ length: (schema?.maxItems ?? 0) + 1 }, (_, i) => value[i % value.length] ?? null);
    return [];
  }
  return value;
}

function setAt(root: Json, path: Step[], replace: (current: Json) => Json | undefined): Json {
  if (path.length === 0) return replace(root) ?? null;
  const [head, ...rest] = path;
  if (Array.isArray(root) && typeof head === 'number') {
    const copy = [...root];
    copy[head] = setAt(copy[head] ?? null, rest, replace);
    return copy;
  }
  if (isObject(root) && typeof head === 'string') {
    const copy = { ...root };
    const next = rest.length === 0 ? replace(copy[head] ?? null) : setAt(copy[head] ?? null, rest, replace);
    if (next === undefined) delete copy[head];
    else copy[head] = next;
    return copy;
  }
  return root;
}

function mutate(mutation: Mutation, place: Place, injection: string, pick: number): (current: Json) => Json | undefined {
  switch (mutation) {
    case 'wrong type':
      return wrongType;
    case 'out of range':
      return () => outOfRange(place);
    case 'too long':
      return () => 'x'.repeat((place.schema?.maxLength ?? 9_999) + 1);
    case 'injection':
      return () => injection;
    case 'required removed':
      return () => undefined;
    case 'unknown property':
      return (current) => (isObject(current) ? { ...current, unexpectedMember: 1 } : current);
    case 'deep nesting':
      return deep;
    case 'hostile pattern':
      return () => HOSTILE_SCHEMAS[pick % HOSTILE_SCHEMAS.length] ?? null;
  }
}

/**
 * Valid requests from `valid`, and each mutated in one place (or not at all, about one in four).
 * `schemaOf` gives the schema of each root member of the request value (`query`, `body`).
 */
export function nearValid<T extends Record<string, Json>>(
  valid: fc.Arbitrary<T>,
  schemaOf: (root: string, value: T) => JsonSchema | undefined,
  schemas: Record<string, JsonSchema>,
  injections: readonly string[],
): fc.Arbitrary<Mutated<T>> {
  return valid.chain((value) => {
    const places = Object.entries(value).flatMap(([root, member]) => placesIn(member, schemaOf(root, value), schemas, [root], false, false));
    const possible = MUTATIONS.filter((mutation) => places.some((place) => applies(mutation, place)));
    // One valid request in four; the rest wrong in one place.
    const kind = possible.length > 0 ? fc.oneof({ weight: 1, arbitrary: fc.constant<Kind>('valid') }, { weight: 3, arbitrary: fc.constantFrom<Kind>(...possible) }) : fc.constant<Kind>('valid');
    return fc.record({ kind, pick: fc.nat(), injection: fc.constantFrom(...injections) }).map(({ kind: chosen, pick, injection }) => {
      if (chosen === 'valid') return { value, kind: chosen, where: '', inElement: false };
      const candidates = places.filter((place) => applies(chosen, place));
      const place = candidates[pick % candidates.length] as Place;
      const mutated = setAt(value, place.path, mutate(chosen, place, injection, Math.floor(pick / candidates.length))) as T;
      return { value: mutated, kind: chosen, where: `/${place.path.join('/')}`, inElement: place.inElement };
    });
  });
}
