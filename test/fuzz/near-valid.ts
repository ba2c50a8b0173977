import fc from 'fast-check';
import type { Operation } from '../support/openapi';
import { type Json, type JsonSchema, type KnownValues, knownOrFresh, NO_VALUES, resolve, type SchemaContext, type Tiers, validValue } from './json-schema';
import { type Binding, concretePath, KnownResources, type ListOperation, parameterName, pathParameters, segmentsOf } from './known-resources';
import { type Kind, nearValid } from './mutations';

/**
 * Near-valid requests for any operation of the OpenAPI document: path parameters that name things
 * that exist (found with the document's own list operations), a query and a body valid for their
 * schemas, then one field made wrong — or none. They get past validation, so the handlers' deeper
 * checks run: the service-level refusals after partial work, where a write could slip out.
 */

export interface OpenApiOperation {
  parameters?: { name: string; in: string; required?: boolean; schema?: JsonSchema }[];
  requestBody?: { content: Record<string, { schema?: JsonSchema }> };
  responses?: Record<string, { content?: Record<string, { schema?: JsonSchema }> }>;
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, OpenApiOperation>>;
  components: { schemas: Record<string, JsonSchema> };
}

/** The fuzzer's request shape: path parameters, query pairs and a raw body with its content type. */
export interface FuzzRequest {
  path: Record<string, string>;
  query: [string, string][];
  body: { body: string | undefined; contentType: string | undefined };
  /** Values for the operation's header parameters (`If-Match`, `Idempotency-Key`, …). */
  headers?: Record<string, string>;
}

export interface NearValidRequest {
  request: FuzzRequest;
  kind: Kind;
  /** Where the one wrong field is (`/body/labels/2/xMax`), empty for a valid request. */
  where: string;
  inElement: boolean;
}

/**
 * Members the server sets, left out of bodies borrowed from responses and of examples: the document
 * does not mark them read-only (`CatalogueEntryInput` is an open object whose real schema is the
 * entry's own; a dataset's rows come back with their `_id`).
 */
const SERVER_SET = new Set(['_id', 'id', 'type', 'owner', 'dateCreated', 'dateModified', 'hosting']);

const JSON_TYPES = ['application/json', 'application/merge-patch+json'];
const NDJSON = 'application/x-ndjson';

type RequestValue = { query: Json; body: Json };

function isOpaqueObject(schema: JsonSchema): boolean {
  const open = schema.additionalProperties === undefined || schema.additionalProperties === true || (typeof schema.additionalProperties === 'object' && Object.keys(schema.additionalProperties).length === 0);
  return schema.type === 'object' && Object.keys(schema.properties ?? {}).length === 0 && open;
}

function withoutServerMembers(schema: JsonSchema, patch: boolean): JsonSchema {
  const properties = Object.fromEntries(Object.entries(schema.properties ?? {}).filter(([name]) => !SERVER_SET.has(name)));
  return { ...schema, properties, required: patch ? [] : (schema.required ?? []).filter((name) => !SERVER_SET.has(name)), additionalProperties: false };
}

function stripServerMembers(item: Record<string, unknown>): Json {
  return Object.fromEntries(Object.entries(item).filter(([name]) => !SERVER_SET.has(name))) as Json;
}

function queryPairs(query: Json): [string, string][] {
  if (typeof query !== 'object' || query === null || Array.isArray(query)) return [];
  return Object.entries(query).flatMap(([name, value]): [string, string][] => {
    const text = (item: Json) => (typeof item === 'string' ? item : item === null ? '' : typeof item === 'object' ? JSON.stringify(item) : String(item));
    return Array.isArray(value) ? value.map((item) => [name, text(item)]) : [[name, text(value)]];
  });
}

function serialised(body: Json, contentType: string): string {
  return contentType === NDJSON && Array.isArray(body) ? body.map((row) => JSON.stringify(row)).join('\n') : JSON.stringify(body);
}

export class NearValidRequests {
  private readonly schemas: Record<string, JsonSchema>;
  /** Component names of path parameters (`ImagesetId` → `imagesetId`): body members of that type get known ids too. */
  private readonly parametersByRef = new Map<string, Set<string>>();

  constructor(
    private readonly document: OpenApiDocument,
    readonly known: KnownResources,
    private readonly receiverUrl: string,
  ) {
    this.schemas = document.components.schemas;
    for (const operation of this.operationObjects()) {
      for (const parameter of operation.parameters ?? []) {
        const ref = parameter.schema?.$ref?.replace('#/components/schemas/', '');
        if (ref) this.parametersByRef.set(ref, new Set([...(this.parametersByRef.get(ref) ?? []), parameter.name]));
      }
    }
  }

  private operationObjects(): OpenApiOperation[] {
    return Object.values(this.document.paths).flatMap((item) => Object.values(item));
  }

  private operationObject(op: Operation): OpenApiOperation {
    return this.document.paths[op.path]?.[op.method.toLowerCase()] ?? {};
  }

  /** Contexts for generated values: with known values around `binding`, or fresh ones only (a valid-looking id of nothing). */
  private context(binding: Binding | undefined): SchemaContext {
    return {
      schemas: this.schemas,
      sources: {
        known: (name, ref) => (binding ? this.knownValues(name, ref, binding) : NO_VALUES),
        url: (path) => `${this.receiverUrl}/${path}`,
      },
    };
  }

  private knownValues(name: string | undefined, ref: string | undefined, binding: Binding): KnownValues {
    const names = [...new Set([...(ref ? (this.parametersByRef.get(ref) ?? []) : []), ...(name ? [name] : [])])];
    const tiers = names.map((each) => this.known.valuesNamed(each, binding));
    const merged = (tier: keyof KnownValues) => [...new Set(tiers.flatMap((values) => values[tier]))];
    return { around: merged('around'), recent: merged('recent'), seeded: merged('seeded'), all: merged('all') };
  }

  /** GETs answering a page (`{ items: [...] }`), with the parameter their items fill below them. */
  listOperations(): ListOperation[] {
    const paths = Object.keys(this.document.paths);
    return Object.entries(this.document.paths).flatMap(([path, item]): ListOperation[] => {
      const schema = item.get?.responses?.['200']?.content?.['application/json']?.schema;
      if (!schema || !resolve(schema, this.schemas).schema.properties?.items) return [];
      const depth = segmentsOf(path).length;
      const below = paths.map((other) => segmentsOf(other)).find((segments) => segments.length > depth && `/${segments.slice(0, depth).join('/')}` === path && parameterName(segments[depth] ?? ''));
      return [{ path, itemParameter: below ? parameterName(below[depth] ?? '') : undefined }];
    });
  }

  /**
   * Lists every list operation under a few known parents each (the seeded data and the latest),
   * shallow paths first so that the deeper ones find their parents. `get` answers a path's JSON, or
   * undefined when the path is not there.
   */
  async discover(get: (path: string) => Promise<unknown>): Promise<void> {
    // Lists whose items name something (their parameter) or are examples of a body; not exports, jobs, predictions.
    const lists = this.listOperations().filter((list) => list.itemParameter !== undefined || this.takesExamples(list.path));
    const depths = [...new Set(lists.map((list) => pathParameters(list.path).length))].sort((a, b) => a - b);
    for (const depth of depths) {
      // Lists of one depth at once; a deeper one needs the parents these find.
      const listing = lists.filter((list) => pathParameters(list.path).length === depth).flatMap((list) => {
        const limit = this.parameter(list.path, 'get', 'limit')?.schema?.maximum;
        return this.known.parentsAmong(this.parentsOf(list.path), 10).map(async (parent) => ({ list, parent, page: await get(`${concretePath(list.path, parent)}${limit ? `?limit=${limit}` : ''}`) }));
      });
      for (const { list, parent, page } of await Promise.all(listing)) {
        const items = typeof page === 'object' && page !== null && 'items' in page && Array.isArray(page.items) ? page.items : [];
        this.known.add(list, parent, items.filter((entry): entry is Record<string, unknown> => typeof entry === 'object' && entry !== null));
      }
    }
    this.known.seal();
  }

  /** Some operation on `path` takes a body the document does not describe: what the path lists are its examples. */
  private takesExamples(path: string): boolean {
    return Object.values(this.document.paths[path] ?? {}).some((operation) =>
      Object.values(operation.requestBody?.content ?? {}).some((entry) => !entry.schema || isOpaqueObject(resolve(entry.schema, this.schemas).schema)),
    );
  }

  private parameter(path: string, method: string, name: string) {
    return this.document.paths[path]?.[method]?.parameters?.find((parameter) => parameter.name === name);
  }

  /** Known bindings of the path's parameters, plus every combination of parameters that are enums (`{type}`). */
  private parentsOf(path: string): Binding[] {
    const names = pathParameters(path);
    if (names.length === 0) return [{}];
    const enums = names.map((name) => (this.parameter(path, 'get', name)?.schema?.enum ?? []).map(String));
    const combinations = enums.every((values) => values.length > 0)
      ? enums.reduce<Binding[]>((partial, values, index) => partial.flatMap((binding) => values.map((value) => ({ ...binding, [names[index] ?? '']: value }))), [{}])
      : [];
    const parents = [...this.known.bindingsFor(path).all, ...combinations];
    return [...new Map(parents.map((parent) => [JSON.stringify(parent), parent])).values()];
  }

  /** False for an operation with nothing to vary (no parameters, no body): one request says all. */
  hasVariables(op: Operation): boolean {
    return op.parameters.length > 0 || op.requestBody !== undefined;
  }

  arbitrary(op: Operation): fc.Arbitrary<NearValidRequest> {
    const querySchema = this.querySchema(op);
    return fc.tuple(this.bindingArbitrary(op), this.contentTypeArbitrary(op)).chain(([binding, contentType]) => {
      const bodySchema = this.bodySchema(op, binding, contentType);
      const context = this.context(binding);
      const valid = fc.record({ query: this.queryValue(querySchema, context), body: this.bodyValue(op, binding, bodySchema, contentType) });
      return nearValid<RequestValue>(valid, (root) => (root === 'query' ? querySchema : bodySchema), this.schemas, INJECTIONS).map(
        (mutated): NearValidRequest => ({
          request: {
            path: binding,
            query: queryPairs(mutated.value.query),
            body: op.requestBody && contentType ? { body: serialised(mutated.value.body, contentType), contentType } : { body: undefined, contentType: undefined },
          },
          kind: mutated.kind,
          where: mutated.where,
          inElement: mutated.inElement,
        }),
      );
    });
  }

  /** Each parameter (a required one always) with a chance of one in three, independently: combinations of controls meet. */
  private queryValue(schema: JsonSchema, context: SchemaContext): fc.Arbitrary<Json> {
    const required = new Set(schema.required ?? []);
    const members = Object.entries(schema.properties ?? {}).map(([name, member]) => {
      const value = validValue(member, context, 1, name).map((generated): [string, Json] => [name, generated]);
      return required.has(name) ? value : fc.option(value, { freq: 2, nil: undefined });
    });
    return fc.tuple(...members).map((pairs) => Object.fromEntries(pairs.filter((pair) => pair !== undefined)) as Json);
  }

  /** The query as one object: each parameter a member, unknown ones refused unless an exploded object parameter takes them. */
  private querySchema(op: Operation): JsonSchema {
    const query = op.parameters.filter((parameter) => parameter.in === 'query');
    const parameters = query.filter((parameter) => !parameter.explode);
    const others = query.find((parameter) => parameter.explode)?.schema?.additionalProperties as JsonSchema | undefined;
    return {
      type: 'object',
      properties: Object.fromEntries(parameters.map((parameter) => [parameter.name, (parameter.schema ?? {}) as JsonSchema])),
      required: parameters.filter((parameter) => parameter.required).map((parameter) => parameter.name),
      additionalProperties: others ?? false,
    };
  }

  private contentTypeArbitrary(op: Operation): fc.Arbitrary<string | undefined> {
    const types = Object.keys(op.requestBody?.content ?? {});
    const usable = types.filter((type) => JSON_TYPES.includes(type) || type === NDJSON);
    return usable.length > 0 ? fc.constantFrom(...usable) : fc.constant(undefined);
  }

  /**
   * The body's schema: the document's, except where it is an open object (`CatalogueEntryInput`):
   * then the schema of what the operation answers, narrowed to the branch whose constants agree
   * with the path (`type: "models"`), without the members the server sets. Undefined: no schema at all.
   */
  private bodySchema(op: Operation, binding: Binding, contentType: string | undefined): JsonSchema | undefined {
    const given = contentType ? op.requestBody?.content[contentType]?.schema : undefined;
    if (!given) return undefined;
    const resolved = resolve(given, this.schemas).schema;
    if (!isOpaqueObject(resolved)) return given;
    const answered = this.answerSchema(op);
    if (!answered) return given;
    const branch = this.branchFor(answered, binding);
    return withoutServerMembers(branch, contentType === 'application/merge-patch+json');
  }

  private answerSchema(op: Operation): JsonSchema | undefined {
    const responses = this.operationObject(op).responses ?? {};
    const success = Object.keys(responses).filter((code) => code.startsWith('2')).sort();
    return success.map((code) => responses[code]?.content?.['application/json']?.schema).find((schema) => schema !== undefined);
  }

  private branchFor(schema: JsonSchema, binding: Binding): JsonSchema {
    const resolved = resolve(schema, this.schemas).schema;
    const branches = (resolved.anyOf ?? resolved.oneOf ?? [resolved]).map((branch) => resolve(branch, this.schemas).schema);
    const agrees = (branch: JsonSchema) =>
      Object.entries(branch.properties ?? {}).every(([name, member]) => member.const === undefined || binding[name] === undefined || member.const === binding[name]);
    return branches.find(agrees) ?? branches[0] ?? resolved;
  }

  /**
   * The valid body: from its schema, or from examples where the document does not describe it — a
   * dataset's rows (no schema: an array of rows its GET lists) or a catalogue entry (an open object:
   * half the time the entry itself or one its collection lists, the other half from the borrowed schema).
   */
  private bodyValue(op: Operation, binding: Binding, schema: JsonSchema | undefined, contentType: string | undefined): fc.Arbitrary<Json> {
    if (!op.requestBody || !contentType) return fc.constant(null);
    const examples = this.known.examplesFor(op.path, binding).map(stripServerMembers).filter((example) => Object.keys(example as object).length > 0);
    const generated = schema ? validValue(schema, this.context(binding)) : undefined;
    if (!generated) return examples.length > 0 ? fc.array(fc.constantFrom(...examples), { minLength: 1, maxLength: 12 }) : fc.constant([]);
    if (!this.isOpen(op, contentType) || examples.length === 0) return generated;
    const example = fc.constantFrom(...examples);
    // A merge patch sets some members: a few of the entry's own.
    const patch = contentType === 'application/merge-patch+json' ? example.chain((whole) => fc.subarray(Object.entries(whole as Record<string, Json>), { minLength: 1 }).map((entries) => Object.fromEntries(entries) as Json)) : example;
    return fc.oneof(generated, patch);
  }

  private isOpen(op: Operation, contentType: string): boolean {
    const given = op.requestBody?.content[contentType]?.schema;
    return given !== undefined && isOpaqueObject(resolve(given, this.schemas).schema);
  }

  /**
   * Path parameters: mostly a binding of things that exist — recently written ones most, then seeded
   * ones (they are whole), and for a body that comes from examples one that has them — else each
   * parameter on its own: a known value of its collection or a fresh valid one.
   */
  private bindingArbitrary(op: Operation): fc.Arbitrary<Binding> {
    const parameters = op.parameters.filter((parameter) => parameter.in === 'path');
    if (parameters.length === 0) return fc.constant({});
    const each = fc.record(
      Object.fromEntries(
        parameters.map((parameter) => {
          const fresh = validValue((parameter.schema ?? { type: 'string' }) as JsonSchema, this.context(undefined), 0, parameter.name).map(String);
          return [parameter.name, knownOrFresh(this.known.valuesFor(op.path, parameter.name), fresh)];
        }),
      ),
    ) as fc.Arbitrary<Binding>;
    const schemaless = Object.values(op.requestBody?.content ?? {}).some((entry) => entry.schema === undefined);
    const usable = (bindings: Binding[]) => (schemaless ? bindings.filter((binding) => this.known.examplesFor(op.path, binding).length > 0) : bindings);
    const known = this.known.bindingsFor(op.path);
    const tiers: Tiers<Binding> = { around: [], recent: usable(known.recent), seeded: usable(known.seeded), all: usable(known.all) };
    return knownOrFresh(tiers, each);
  }
}

/**
 * URLs of every private-address form, for fields a caller fills with a URL (a job's `webhookUrl`, an
 * `http` model's endpoint): the outbound client must refuse each, at submit where it is an IP literal
 * and at connect time otherwise. The fuzzer's stack runs with OUTBOUND_ALLOW_PRIVATE_NETWORKS=false,
 * so none of them is ever called; no traffic leaves loopback.
 */
export const HOSTILE_URLS: readonly string[] = [
  'http://127.0.0.1:7071/admin/functions/reapStuckJobs',
  'http://2130706433/',
  'http://0x7f000001/',
  'http://127.1/',
  'http://0.0.0.0/',
  'http://localhost/',
  'https://[::1]/',
  'https://[::ffff:127.0.0.1]/',
  'https://[::ffff:7f00:1]/',
  'http://10.0.0.1/',
  'http://172.16.0.1/',
  'http://192.168.1.1/',
  'http://100.64.0.1/',
  'http://169.254.169.254/latest/meta-data/',
  'https://168.63.129.16/',
  'http://[fd00:ec2::254]/',
  'http://[fe80::1]/',
  'http://metadata.google.internal./',
];


/** Strings a field may hold and a careless handler may pass on: to a query, a path, a template, a log. */
export const INJECTIONS = [
  "' OR 1=1 --",
  '" OR c.owner != "',
  'SELECT * FROM c',
  '../../../etc/passwd',
  '..%2F..%2Fpackage.json',
  '%00',
  '\u0000',
  '😀🔥',
  'ﬀ\u202e',
  '{{7*7}}',
  '$where',
  '-1',
  '1e308',
  'NaN',
  'true',
  'null',
  '[]',
  '{}',
  // Sets off the backtracking patterns of HOSTILE_SCHEMAS (mutations.ts): seconds on V8's engine, microseconds on RE2.
  `${'a'.repeat(31)}!`,
  ...HOSTILE_URLS,
];
