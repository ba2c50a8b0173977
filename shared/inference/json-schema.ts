import type Ajv from 'ajv';
import type { ErrorObject, ValidateFunction } from 'ajv';
import type { RE2JS } from 're2js';
import { lazyRequire } from '../azure/load';
import { sha256 } from '../hash';
import { escapePointerPart } from '../json/pointer';

/**
 * The JSON Schemas contributors write into model entries (`inputSchema`, `outputSchema`), applied to
 * other callers' inputs and to the model's answers. Their `pattern`s and `patternProperties` are
 * user-supplied regular expressions: on V8's backtracking engine `^(a+)+$` against 30 characters
 * blocks the event loop for seconds and every character doubles it. So they run on RE2 (re2js: a
 * pure-JS port, linear in the input, no native binary or wasm file to ship in the bundle), and a
 * pattern RE2 cannot run (backreferences, lookarounds) is refused — where it is written, naming it.
 *
 * Ajv is the validator (JSON Schema 2020-12, or draft-07 when `$schema` says so); its `code.regExp`
 * hook is what routes every pattern it compiles through RE2.
 */

/** Something wrong with a schema (`pointer` into the schema) or with a value (`pointer` into the value). */
export interface SchemaIssue {
  pointer: string;
  message: string;
}

/** A schema this platform will not apply, with what is wrong in it. */
export class JsonSchemaRefused extends Error {
  constructor(readonly issues: SchemaIssue[]) {
    super(issues.map((issue) => `${issue.pointer || '(root)'}: ${issue.message}`).join('; '));
    this.name = 'JsonSchemaRefused';
  }
}

/** A compiled schema: the issues of a value against it, none when the value fits. */
export type SchemaCheck = (value: unknown) => SchemaIssue[];

/** ECMAScript pattern → RE2 (`\uXXXX`, `\cX`, `/` spelled the RE2 way); throws when RE2 cannot run it. */
function compileRe2(pattern: string): RE2JS {
  const { RE2JS: engine } = lazyRequire<typeof import('re2js')>('re2js');
  return engine.compile(engine.translateRegExp(pattern));
}

const re2Engine = Object.assign(
  (pattern: string, flags: string) => {
    const compiled = compileRe2(pattern);
    // Ajv keys its cache of patterns by toString(); a JSON Schema pattern is unanchored (search).
    return { test: (text: string) => compiled.matcher(text).find(), toString: () => `/${pattern}/${flags}` };
  },
  { code: 're2' },
);

function withFormats<T extends Ajv>(ajv: T): T {
  // ajv-formats' own expressions are fixed and reviewed; only user-supplied patterns need RE2.
  lazyRequire<typeof import('ajv-formats')>('ajv-formats').default(ajv);
  return ajv;
}

// strict: false — stored schemas may carry keywords of other vocabularies (`example`, vendor ones); ignore them as before.
const options = { allErrors: true, strict: false, code: { regExp: re2Engine } } as const;
const validators: { draft2020?: Ajv; draft07?: Ajv } = {};

// Built on first use, not at import: an Ajv instance compiles its meta-schemas, which would cost
// every cold start though few requests validate a model's JSON Schema (issue 22).
function draft2020(): Ajv {
  validators.draft2020 ??= withFormats(new (lazyRequire<typeof import('ajv/dist/2020')>('ajv/dist/2020').default)(options));
  return validators.draft2020;
}

function draft07(): Ajv {
  validators.draft07 ??= withFormats(new (lazyRequire<typeof import('ajv')>('ajv').default)(options));
  return validators.draft07;
}

function validatorFor(schema: Record<string, unknown>): Ajv {
  const declared = schema.$schema;
  if (declared === undefined || (typeof declared === 'string' && declared.includes('2020-12'))) return draft2020();
  if (typeof declared === 'string' && declared.includes('draft-07')) return draft07();
  throw new JsonSchemaRefused([{ pointer: '/$schema', message: 'names a JSON Schema version this platform does not apply (use 2020-12 or draft-07)' }]);
}

/** Keywords whose values are data, not schemas: a `pattern` key inside them is not a pattern. */
const DATA_KEYWORDS = new Set(['const', 'enum', 'default', 'examples', 'example']);
/** Keywords whose values map names to schemas: every key there is a name, never a keyword. */
const SCHEMA_MAPS = new Set(['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas']);

/** Every pattern a schema holds, with its pointer: `pattern` values and `patternProperties` keys. */
function patternsIn(node: unknown, pointer: string, found: { pointer: string; pattern: string }[], namesOnly = false): void {
  if (Array.isArray(node)) {
    node.forEach((item, i) => patternsIn(item, `${pointer}/${i}`, found));
    return;
  }
  if (node === null || typeof node !== 'object') return;
  for (const [key, value] of Object.entries(node)) {
    const at = `${pointer}/${escapePointerPart(key)}`;
    if (namesOnly) {
      patternsIn(value, at, found);
      continue;
    }
    if (DATA_KEYWORDS.has(key)) continue;
    if (key === 'pattern' && typeof value === 'string') found.push({ pointer: at, pattern: value });
    if (key === 'patternProperties' && value !== null && typeof value === 'object' && !Array.isArray(value)) {
      for (const name of Object.keys(value)) found.push({ pointer: `${at}/${escapePointerPart(name)}`, pattern: name });
    }
    patternsIn(value, at, found, SCHEMA_MAPS.has(key));
  }
}

function patternIssues(schema: Record<string, unknown>): SchemaIssue[] {
  const found: { pointer: string; pattern: string }[] = [];
  patternsIn(schema, '', found);
  return found.flatMap(({ pointer, pattern }) => {
    try {
      compileRe2(pattern);
      return [];
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      return [{ pointer, message: `is not a pattern this platform runs (RE2 syntax, linear time: no backreferences or lookarounds): ${reason}` }];
    }
  });
}

function compile(schema: Record<string, unknown>): ValidateFunction {
  const issues = patternIssues(schema);
  if (issues.length > 0) throw new JsonSchemaRefused(issues);
  const ajv = validatorFor(schema);
  if (!ajv.validateSchema(schema)) {
    throw new JsonSchemaRefused((ajv.errors ?? []).map((error) => ({ pointer: error.instancePath, message: error.message ?? 'is not valid' })));
  }
  try {
    return ajv.compile(schema);
  } catch (error) {
    throw new JsonSchemaRefused([{ pointer: '', message: error instanceof Error ? error.message : String(error) }]);
  } finally {
    // The compiled function keeps what it needs; forgetting the schema lets another carry the same `$id`.
    ajv.removeSchema(schema);
  }
}

/** Where in the value an Ajv error is: a missing or extra property is named itself, not its parent. */
function pointerOf(error: ErrorObject): string {
  const params = error.params as { missingProperty?: string; additionalProperty?: string; unevaluatedProperty?: string };
  const name = params.missingProperty ?? params.additionalProperty ?? params.unevaluatedProperty;
  return name === undefined ? error.instancePath : `${error.instancePath}/${escapePointerPart(name)}`;
}

/**
 * Compiled schemas by digest of their text; a handful of models, so a small bound is plenty. (Plain
 * JSON text, not canonical: a stored schema always serialises the same way, and this file stays
 * free of the inference area's imports so that the catalogue can use it.)
 */
const compiled = new Map<string, ValidateFunction>();

/** The schema as a check, compiled once per content; throws JsonSchemaRefused for a schema this platform will not apply. */
export function compileJsonSchema(schema: Record<string, unknown>): SchemaCheck {
  const key = sha256(JSON.stringify(schema));
  let validate = compiled.get(key);
  if (!validate) {
    validate = compile(schema);
    if (compiled.size >= 200) compiled.delete(compiled.keys().next().value ?? '');
    compiled.set(key, validate);
  }
  const check = validate;
  return (value) => (check(value) ? [] : (check.errors ?? []).map((error) => ({ pointer: pointerOf(error), message: error.message ?? 'is not valid' })));
}

/** What is wrong with a schema, none when this platform can apply it (for validating a model entry as it is written). */
export function jsonSchemaIssues(schema: Record<string, unknown>): SchemaIssue[] {
  try {
    compileJsonSchema(schema);
    return [];
  } catch (error) {
    if (error instanceof JsonSchemaRefused) return error.issues;
    throw error;
  }
}
