import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';

/**
 * Every answer the e2e suite receives is checked against the served OpenAPI document by a validator
 * that is not the code that wrote it (ajv on the document's own schemas): an answer the document
 * does not describe — its status, its media type, its body, a header it promises — fails the test.
 */
interface MediaType {
  schema?: unknown;
}
interface HeaderObject {
  required?: boolean;
  schema?: { type?: string };
}
interface ResponseObject {
  content?: Record<string, MediaType>;
  headers?: Record<string, HeaderObject>;
}
interface OperationObject {
  operationId: string;
  responses: Record<string, ResponseObject | { $ref: string }>;
}
interface Document {
  paths: Record<string, Record<string, OperationObject>>;
  components?: { responses?: Record<string, ResponseObject> };
}

interface Template {
  path: string;
  pattern: RegExp;
  literals: number;
}

export interface Checked {
  method: string;
  /** The path below `/api`, with its query. */
  path: string;
  status: number;
  headers: Headers;
  text: string;
}

export class Conformance {
  private readonly ajv = new Ajv2020({ strict: false, allErrors: false });
  private readonly templates: Template[];
  private readonly validators = new Map<string, ValidateFunction>();

  constructor(private readonly document: Document) {
    addFormats(this.ajv);
    this.ajv.addSchema(document as object, 'openapi');
    this.templates = Object.keys(document.paths)
      .map((path) => {
        const segments = path.split('/').filter(Boolean);
        const source = segments.map((s) => (/^\{.+\}$/.test(s) ? '[^/]+' : s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('/');
        return { path, pattern: new RegExp(`^/${source}$`, 'i'), literals: segments.filter((s) => !s.startsWith('{')).length };
      })
      // A literal segment wins over a parameter (`/catalogue/{type}/count` before `/catalogue/{type}/{id}`).
      .sort((a, b) => b.literals - a.literals);
  }

  /** Why this answer is not described by the document, or undefined when it is (or is no operation of the API). */
  problem(answer: Checked): string | undefined {
    const pathname = `/api${answer.path.split('?')[0] ?? ''}`;
    const method = answer.method.toLowerCase();
    const template = this.templates.find((t) => t.pattern.test(pathname) && this.document.paths[t.path]?.[method]);
    // Paths and methods outside the document are the host's fallbacks (404, 405), not operations.
    if (!template) return undefined;
    const operation = this.document.paths[template.path]?.[method] as OperationObject;
    const name = `${answer.method.toUpperCase()} ${template.path} (${operation.operationId}) → ${answer.status}`;
    const key = String(answer.status);
    // `default` stands for the server's own failures only: a 4xx must be listed by its status.
    const responseKey = key in operation.responses ? key : answer.status >= 500 && 'default' in operation.responses ? 'default' : undefined;
    if (!responseKey) return `${name}: status not documented`;
    const pointer = ['paths', template.path, method, 'responses', responseKey];
    let response = operation.responses[responseKey] as ResponseObject | { $ref: string };
    if ('$ref' in response) {
      const ref = response.$ref.replace('#/components/responses/', '');
      response = this.document.components?.responses?.[ref] as ResponseObject;
      pointer.splice(0, pointer.length, 'components', 'responses', ref);
    }
    for (const [header, spec] of Object.entries(response.headers ?? {})) {
      const value = answer.headers.get(header);
      if (value === null) {
        if (spec.required) return `${name}: header ${header} is missing`;
        continue;
      }
      if (spec.schema === undefined) continue;
      const validate = this.validator([...pointer, 'headers', header, 'schema']);
      // A header is text; the document's `integer` means its digits (`Retry-After: 30`).
      const typed = spec.schema.type === 'integer' && /^-?\d+$/.test(value) ? Number(value) : value;
      if (!validate(typed)) return `${name}: header ${header}: '${value}' does not match its schema: ${this.ajv.errorsText(validate.errors)}`;
    }
    if (answer.text === '' || answer.method.toUpperCase() === 'HEAD') return undefined;
    const type = (answer.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
    const content = response.content ?? {};
    if (!(type in content)) return `${name}: media type '${type}' not documented (documented: ${Object.keys(content).join(', ') || 'none'})`;
    if (content[type]?.schema === undefined || !/json$/.test(type)) return undefined;
    const validate = this.validator([...pointer, 'content', type, 'schema']);
    if (validate(JSON.parse(answer.text))) return undefined;
    // Of an `anyOf`'s failures the deepest is the branch that was meant (the other branches fail at the root).
    const errors = [...(validate.errors ?? [])].sort((a, b) => b.instancePath.split('/').length - a.instancePath.split('/').length);
    const described = errors.slice(0, 3).map((e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
    return `${name}: body does not match its schema: ${described.join('; ')}`;
  }

  private validator(pointer: string[]): ValidateFunction {
    const ref = `openapi#/${pointer.map((token) => encodeURIComponent(token.replace(/~/g, '~0').replace(/\//g, '~1'))).join('/')}`;
    let validate = this.validators.get(ref);
    if (!validate) {
      validate = this.ajv.compile({ $ref: ref });
      this.validators.set(ref, validate);
    }
    return validate;
  }
}
