/**
 * Route templates as the Functions host reads them (ASP.NET Core routing): literal segments,
 * `{name}`, `{name?}`, `{*name}` and constraints `{id:int}`, `{id:guid}`, `{x:alpha}`, `{b:bool}`,
 * `{s:minlength(2)}`, `{s:maxlength(9)}`, `{s:length(3)}`, `{s:regex(^a+$)}`. Matching is
 * case-insensitive for literals; a more specific template wins over a less specific one.
 */
type Segment =
  | { kind: 'literal'; text: string }
  | { kind: 'param'; name: string; optional: boolean; catchAll: boolean; constraints: ((value: string) => boolean)[] };

export interface CompiledRoute<T> {
  template: string;
  segments: Segment[];
  methods: Set<string>;
  target: T;
}

function constraint(spec: string): (value: string) => boolean {
  const [name, arg] = /^([a-z]+)(?:\((.*)\))?$/i.exec(spec)?.slice(1) ?? [];
  switch (name?.toLowerCase()) {
    case 'int':
    case 'long':
      return (v) => /^-?\d+$/.test(v);
    case 'alpha':
      return (v) => /^[a-z]+$/i.test(v);
    case 'guid':
      return (v) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(v);
    case 'bool':
      return (v) => /^(true|false)$/i.test(v);
    case 'minlength':
      return (v) => v.length >= Number(arg);
    case 'maxlength':
      return (v) => v.length <= Number(arg);
    case 'length':
      return (v) => v.length === Number(arg);
    case 'regex': {
      const pattern = new RegExp(arg ?? '', 'i');
      return (v) => pattern.test(v);
    }
    default:
      throw new Error(`Unsupported route constraint '${spec}'`);
  }
}

function parseSegment(text: string): Segment {
  const match = /^\{(\*)?([A-Za-z0-9_]+)((?::[^:?}]+(?:\([^)]*\))?)*)(\?)?\}$/.exec(text);
  if (!match) {
    if (text.includes('{') || text.includes('}')) throw new Error(`Unsupported route segment '${text}'`);
    return { kind: 'literal', text: text.toLowerCase() };
  }
  const constraints = (match[3] ?? '')
    .split(':')
    .filter(Boolean)
    .map(constraint);
  return { kind: 'param', name: match[2] ?? '', catchAll: Boolean(match[1]), optional: Boolean(match[4]), constraints };
}

export function compileRoute<T>(template: string, methods: string[], target: T): CompiledRoute<T> {
  const segments = template.split('/').filter(Boolean).map(parseSegment);
  return { template, segments, methods: new Set(methods.map((m) => m.toUpperCase())), target };
}

function rank(segment: Segment | undefined): number {
  if (!segment) return 5;
  if (segment.kind === 'literal') return 0;
  if (segment.catchAll) return 4;
  if (segment.optional) return 3;
  return segment.constraints.length > 0 ? 1 : 2;
}

/** Orders routes most specific first, as ASP.NET routing precedence does. */
export function byPrecedence<T>(a: CompiledRoute<T>, b: CompiledRoute<T>): number {
  const length = Math.max(a.segments.length, b.segments.length);
  for (let i = 0; i < length; i++) {
    const difference = rank(a.segments[i]) - rank(b.segments[i]);
    if (difference !== 0) return difference;
  }
  return b.segments.length - a.segments.length;
}

/** A path below the route prefix, split, each segment decoded once (undefined: not valid percent-encoding). */
interface DecodedPath {
  decoded: (string | undefined)[];
  /** The decoded segments lowercased, for literals (route templates match them case-insensitively). */
  lowered: (string | undefined)[];
}

function decodePath(parts: string[]): DecodedPath {
  const decoded = parts.map(safeDecode);
  return { decoded, lowered: decoded.map((part) => part?.toLowerCase()) };
}

/** The route's parameters if `path` (already split, still percent-encoded) matches it. */
export function matchRoute<T>(route: CompiledRoute<T>, parts: string[]): Record<string, string> | undefined {
  return matchDecoded(route, decodePath(parts));
}

function matchDecoded<T>(route: CompiledRoute<T>, path: DecodedPath): Record<string, string> | undefined {
  const { decoded, lowered } = path;
  const params: Record<string, string> = {};
  let i = 0;
  for (const segment of route.segments) {
    if (segment.kind === 'param' && segment.catchAll) {
      const rest = decoded.slice(i);
      if (rest.some((part) => part === undefined)) return undefined;
      if (rest.length > 0) params[segment.name] = rest.join('/');
      return params;
    }
    if (i >= decoded.length) {
      if (segment.kind === 'param' && segment.optional) continue;
      return undefined;
    }
    if (segment.kind === 'literal') {
      if (lowered[i] !== segment.text) return undefined;
    } else {
      const value = decoded[i];
      if (value === undefined || !segment.constraints.every((check) => check(value))) return undefined;
      params[segment.name] = value;
    }
    i++;
  }
  return i === decoded.length ? params : undefined;
}

function safeDecode(part: string): string | undefined {
  try {
    return decodeURIComponent(part);
  } catch {
    return undefined;
  }
}

/** Finds the route for a method and path below the route prefix; `methodMismatch` when only the method is wrong. */
export function resolveRoute<T>(
  routes: CompiledRoute<T>[],
  method: string,
  path: string,
): { route: CompiledRoute<T>; params: Record<string, string> } | { methodMismatch: true } | undefined {
  // Decoded once here, not once per candidate route: a request is matched against every route before its own.
  const decoded = decodePath(path.split('/').filter(Boolean));
  let pathMatched = false;
  for (const route of routes) {
    const params = matchDecoded(route, decoded);
    if (!params) continue;
    if (route.methods.has(method.toUpperCase())) return { route, params };
    pathMatched = true;
  }
  return pathMatched ? { methodMismatch: true } : undefined;
}
