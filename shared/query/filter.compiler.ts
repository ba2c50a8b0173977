import { errors, type FieldError, listFields } from '../errors';
import { parsePattern, type PatternKind, type Segment, segmentsOf, type Token, widthOf } from './filter.pattern';
import { type ColumnDef, COLUMN_NAME_PATTERN, type Filter, type Scalar } from './filter.schema';
import { all, AND, any, ATOM, COMPARISON, FALSE, negation, type Sql, sql, typeGuard, within } from './filter.sql';

/** A query parameter: filters only ever produce scalars (lists become `IN (@p0, @p1, …)`). */
export interface SqlParameter {
  name: string;
  value: string | number | boolean;
}

export interface CompiledFilter {
  /** A boolean SQL expression that can be joined to others with AND as it is; `true` for an empty filter. */
  where: string;
  parameters: SqlParameter[];
  /**
   * Set when `where` selects a superset of the filter's rows (a LIKE/GLOB pattern SQL cannot decide,
   * compiled with `residual`): the caller keeps only the rows `evaluateFilter` accepts.
   */
  residual?: true;
}

export interface CompileOptions {
  /** The document path the columns sit below: `c.values` (records), `c` (catalogue entries). */
  prefix: string;
  /** Parameter names are `<paramPrefix><n>`; change it when combining several compiled filters. Default `@p`. */
  paramPrefix?: string;
  /** Where in the caller's input an error at `path` (inside the filter) is reported. Default `/filter/<path>`. */
  pointer?: (path: readonly (string | number)[]) => string;
  /**
   * Accept LIKE/GLOB patterns with two or more runs floating between wildcards, which string
   * functions without variables cannot place in order: they compile to a condition every matching
   * row meets (a superset) and the result is marked `residual`. Without it they are refused.
   */
  residual?: boolean;
}

/** How deep `and`/`or`/`not` may nest and how many nodes a filter may have: bounds the SQL size. */
export const MAX_FILTER_DEPTH = 10;
export const MAX_FILTER_NODES = 200;

const PREFIX_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*$/;
const DATE_PATTERN = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

/** `2024-05-01` / `2024-05-01T12:00:00+02:00` → `2024-05-01T10:00:00.000Z`; undefined when not a date. */
export function normaliseDatetime(text: string): string | undefined {
  if (!DATE_PATTERN.test(text)) return undefined;
  const time = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00Z` : text);
  return Number.isNaN(time) ? undefined : new Date(time).toISOString();
}

/**
 * The SQL reference of a column below a prefix: `c.values["sepal_length"]`. Names come from a
 * validated schema and are checked again here, so user text never reaches the SQL.
 *
 * @example columnRef('c.values', { name: 'species', type: 'string' }) // c.values["species"]
 */
export function columnRef(prefix: string, column: Pick<ColumnDef, 'name' | 'path'>): string {
  if (!PREFIX_PATTERN.test(prefix)) throw new Error(`query prefix '${prefix}' is not a document path`);
  const segments = column.path ?? [column.name];
  for (const segment of segments) {
    if (!COLUMN_NAME_PATTERN.test(segment)) throw new Error(`column path segment '${segment}' is not a safe name`);
  }
  return `${prefix}${segments.map((segment) => `["${segment}"]`).join('')}`;
}

type Path = readonly (string | number)[];

const TEXT_KEYS = ['contains', 'startsWith', 'endsWith'] as const;
const TEXT_FUNCTIONS = { contains: 'CONTAINS', startsWith: 'STARTSWITH', endsWith: 'ENDSWITH' } as const;

class Compilation {
  readonly parameters: SqlParameter[] = [];
  readonly problems: FieldError[] = [];
  /** A predicate compiled to a superset of its rows (or, negated, to a subset): see `CompileOptions.residual`. */
  residual = false;
  private nodes = 0;
  private readonly columns: Map<string, ColumnDef>;

  constructor(
    columns: readonly ColumnDef[],
    private readonly options: Required<Omit<CompileOptions, 'residual'>> & { residual: boolean },
  ) {
    this.columns = new Map(columns.map((column) => [column.name, column]));
  }

  problem(path: Path, message: string): Sql {
    this.problems.push({ pointer: this.options.pointer(path), message });
    return FALSE;
  }

  private param(value: string | number | boolean): string {
    const name = `${this.options.paramPrefix}${this.parameters.length}`;
    this.parameters.push({ name, value });
    return name;
  }

  /**
   * `negated`: the node sits under an odd number of `not`s. A residual pattern must then compile to
   * a subset of its rows (`false`), so that the negation stays a superset: AND and OR keep the
   * direction, NOT flips it.
   */
  node(filter: Filter, path: Path, depth: number, negated = false): Sql {
    this.nodes += 1;
    if (this.nodes === MAX_FILTER_NODES + 1) return this.problem([], `a filter may have at most ${MAX_FILTER_NODES} nodes`);
    if (depth > MAX_FILTER_DEPTH) return this.problem(path, `filters may nest at most ${MAX_FILTER_DEPTH} levels deep`);
    if (filter.and) return all(filter.and.map((part, index) => this.node(part, [...path, 'and', index], depth + 1, negated)));
    if (filter.or) return any(filter.or.map((part, index) => this.node(part, [...path, 'or', index], depth + 1, negated)));
    if (filter.not) return negation(this.node(filter.not, [...path, 'not'], depth + 1, !negated));
    return this.predicate(filter, path, negated);
  }

  /** A value of the column's type, normalised as stored; undefined (and a problem recorded) otherwise. */
  private value(column: ColumnDef, value: Scalar, path: Path, checkAllowed: boolean): string | number | boolean | undefined {
    const fail = (message: string) => {
      this.problem(path, message);
      return undefined;
    };
    let typed: string | number | boolean;
    switch (column.type) {
      case 'number':
        if (typeof value !== 'number' || !Number.isFinite(value)) return fail(`column '${column.name}' holds numbers; got ${JSON.stringify(value)}`);
        typed = value;
        break;
      case 'integer':
        if (typeof value !== 'number' || !Number.isSafeInteger(value)) return fail(`column '${column.name}' holds integers; got ${JSON.stringify(value)}`);
        typed = value;
        break;
      case 'boolean':
        if (typeof value !== 'boolean') return fail(`column '${column.name}' holds true/false; got ${JSON.stringify(value)}`);
        typed = value;
        break;
      case 'string':
        if (typeof value !== 'string') return fail(`column '${column.name}' holds text; got ${JSON.stringify(value)}`);
        typed = value;
        break;
      case 'datetime': {
        const normalised = typeof value === 'string' ? normaliseDatetime(value) : undefined;
        if (normalised === undefined) return fail(`column '${column.name}' holds ISO 8601 dates; got ${JSON.stringify(value)}`);
        typed = normalised;
        break;
      }
    }
    if (checkAllowed && column.values && typeof typed !== 'boolean' && !column.values.includes(typed)) {
      const shown = column.values.slice(0, 20).map((v) => JSON.stringify(v)).join(', ');
      return fail(`${JSON.stringify(value)} is not a value of column '${column.name}' (${shown}${column.values.length > 20 ? ', …' : ''})`);
    }
    return typed;
  }

  /** A range bound: any finite number for numeric columns (`gte: 2.5` on integers is meaningful). */
  private bound(column: ColumnDef, value: number | string, path: Path): string | number | undefined {
    if (column.type === 'boolean') {
      this.problem(path, `column '${column.name}' holds true/false: use eq or ne, not a range`);
      return undefined;
    }
    if (column.type === 'integer') {
      if (typeof value === 'number' && Number.isFinite(value)) return value;
      this.problem(path, `column '${column.name}' holds integers; got ${JSON.stringify(value)}`);
      return undefined;
    }
    const typed = this.value(column, value, path, false);
    return typeof typed === 'boolean' ? undefined : typed;
  }

  private predicate(filter: Filter, path: Path, negated: boolean): Sql {
    const column = filter.column === undefined ? undefined : this.columns.get(filter.column);
    if (!column) return this.problem([...path, 'column'], `unknown column '${filter.column ?? ''}'; columns: ${[...this.columns.keys()].join(', ')}`);
    const ref = columnRef(this.options.prefix, column);
    if (filter.exists !== undefined) {
      const defined = sql(`IS_DEFINED(${ref})`, ATOM);
      const nulled = sql(`IS_NULL(${ref})`, ATOM);
      return filter.exists ? all([defined, negation(nulled)]) : any([negation(defined), nulled]);
    }
    // Cosmos DB compares across types (and with missing values) as undefined, which NOT keeps
    // undefined, and engines differ on `undefined IN (…)`: a type guard makes every predicate on a
    // column that may be missing plainly true or false.
    const guarded = (part: Sql) => (column.required ? part : all([sql(typeGuard(column.type, ref), ATOM), part]));
    const scalar = (key: 'eq' | 'ne', value: Scalar) => this.value(column, value, [...path, key], true);
    if (filter.eq !== undefined) {
      const value = scalar('eq', filter.eq);
      return value === undefined ? FALSE : guarded(sql(`${ref} = ${this.param(value)}`, COMPARISON));
    }
    if (filter.ne !== undefined) {
      const value = scalar('ne', filter.ne);
      return value === undefined ? FALSE : guarded(sql(`${ref} != ${this.param(value)}`, COMPARISON));
    }
    if (filter.in !== undefined || filter.notIn !== undefined) {
      const key = filter.in !== undefined ? 'in' : 'notIn';
      const values = (filter.in ?? filter.notIn ?? []).map((value, index) => this.value(column, value, [...path, key, index], true));
      if (values.some((value) => value === undefined)) return FALSE;
      const names = values.map((value) => this.param(value as string | number | boolean));
      // `NOT IN` is not in the emulator's grammar; a chain of `!=` needs no parentheses either.
      return guarded(
        key === 'in' ? sql(`${ref} IN (${names.join(', ')})`, COMPARISON) : all(names.map((name) => sql(`${ref} != ${name}`, COMPARISON))),
      );
    }
    if (filter.blank !== undefined) return this.blank(filter.blank, column, ref);
    const textKey = TEXT_KEYS.find((key) => filter[key] !== undefined);
    const patternKey = filter.like !== undefined ? 'like' : filter.glob !== undefined ? 'glob' : undefined;
    const key = textKey ?? patternKey;
    if (key && column.type !== 'string' && column.type !== 'datetime') {
      return this.problem([...path, key], `${key} is for text columns; '${column.name}' holds ${column.type} values`);
    }
    if (textKey) {
      const text = filter[textKey] ?? '';
      // LOWER on both sides is how Cosmos DB SQL compares without case (the emulator has no ignore-case flag).
      const target = filter.ignoreCase ? `LOWER(${ref})` : ref;
      return guarded(sql(`${TEXT_FUNCTIONS[textKey]}(${target}, ${this.param(filter.ignoreCase ? text.toLowerCase() : text)})`, ATOM));
    }
    if (patternKey) return guarded(this.pattern(patternKey, filter[patternKey] ?? '', ref, [...path, patternKey], negated));
    return this.range(filter, column, ref, path, guarded);
  }

  /** Datasette's blank: missing or `''` (only text can be `''`); not blank is the exact opposite. */
  private blank(blank: boolean, column: ColumnDef, ref: string): Sql {
    const defined = sql(`IS_DEFINED(${ref})`, ATOM);
    const nulled = sql(`IS_NULL(${ref})`, ATOM);
    if (column.type !== 'string') return blank ? any([negation(defined), nulled]) : all([defined, negation(nulled)]);
    const empty = this.param('');
    return blank
      ? any([negation(defined), nulled, sql(`${ref} = ${empty}`, COMPARISON)])
      : all([sql(`IS_STRING(${ref})`, ATOM), sql(`${ref} != ${empty}`, COMPARISON)]);
  }

  /**
   * A LIKE or GLOB pattern as string functions: the length, the text and classes at fixed places
   * from the start (before the first wildcard run) and from the end (after the last), and at most
   * one run of text floating between, found with CONTAINS in the part of the value between them.
   * LIKE compares without case: a letter at a fixed place is either of its cases (`IN (@a, @A)`),
   * floating text is looked for in LOWER of the value. Nested calls are kept shallow on purpose:
   * the emulator's parser slows down steeply with them (LOWER(SUBSTRING(…)) ≈ 10× an IN, measured).
   * Offsets are numbers the compiler computed; the caller's text only goes in as parameters.
   *
   * Two or more floating runs must be found in order, one after the other: that needs the position
   * of each as the start of the next search, which SQL without variables can only write by nesting
   * INDEX_OF/SUBSTRING into each other (text exponential in the runs, and the emulator's INDEX_OF
   * takes no start). With `residual` they compile to what every match has (each run somewhere
   * between prefix and suffix) and the caller finishes with the linear in-memory matcher.
   */
  private pattern(kind: PatternKind, text: string, ref: string, path: Path, negated: boolean): Sql {
    const ignoreCase = kind === 'like';
    const tokens = parsePattern(kind, ignoreCase ? text.toLowerCase() : text);
    if (typeof tokens === 'string') return this.problem(path, tokens);
    const segments = segmentsOf(tokens);
    const floating = segments.length > 1;
    const prefix = segments[0] ?? [];
    const suffix = floating ? (segments[segments.length - 1] ?? []) : [];
    const middle = segments.slice(1, -1);
    const widths = segments.map(widthOf);
    const total = widths.reduce((sum, width) => sum + width, 0);
    const parts: Sql[] = [sql(`LENGTH(${ref}) ${floating ? '>=' : '='} ${total}`, COMPARISON)];
    parts.push(...this.fixed(prefix, ref, (offset) => `${offset}`, ignoreCase));
    const suffixWidth = widthOf(suffix);
    parts.push(...this.fixed(suffix, ref, (offset) => `LENGTH(${ref}) - ${suffixWidth - offset}`, ignoreCase));
    const texts = middle.map((segment, index) => ({ segment, index })).filter(({ segment }) => segment.some((token) => token.kind !== 'one'));
    const [found] = texts;
    const leading = found ? found.segment.findIndex((token) => token.kind !== 'one') : 0;
    const trailing = found ? found.segment.length - 1 - found.segment.findLastIndex((token) => token.kind !== 'one') : 0;
    const core = found ? found.segment.slice(leading, found.segment.length - trailing) : [];
    const [only] = core;
    const exact = texts.length <= 1 && (!found || (core.length === 1 && only?.kind === 'text'));
    if (!exact) {
      if (!this.options.residual) {
        return texts.length > 1
          ? this.problem(path, `at most one run of text may float between wildcards; this pattern has ${texts.length}`)
          : this.problem(path, 'text floating between wildcards may not hold single-character wildcards or classes');
      }
      this.residual = true;
      if (negated) return FALSE;
      const before = widths[0] ?? 0;
      const window = `SUBSTRING(${ref}, ${before}, LENGTH(${ref}) - ${before + suffixWidth})`;
      const runs = middle.flatMap((segment) => segment.flatMap((token) => (token.kind === 'text' ? [token.text] : [])));
      parts.push(...runs.map((run) => sql(`CONTAINS(${ignoreCase ? `LOWER(${window})` : window}, ${this.param(run)})`, ATOM)));
      return all(parts);
    }
    if (found && only?.kind === 'text') {
      const before = widths.slice(0, found.index + 1).reduce((sum, width) => sum + width, 0) + leading;
      const after = widths.slice(found.index + 2).reduce((sum, width) => sum + width, 0) + trailing;
      const window = before === 0 && after === 0 ? ref : `SUBSTRING(${ref}, ${before}, LENGTH(${ref}) - ${before + after})`;
      parts.push(sql(`CONTAINS(${ignoreCase ? `LOWER(${window})` : window}, ${this.param(only.text)})`, ATOM));
    }
    return all(parts);
  }

  /** The checks of a fixed-width segment whose n-th character sits at `at(n)`. */
  private fixed(segment: Segment, ref: string, at: (offset: number) => string, ignoreCase: boolean): Sql[] {
    const parts: Sql[] = [];
    let offset = 0;
    let run = '';
    const flush = () => {
      if (run) parts.push(sql(`SUBSTRING(${ref}, ${at(offset - run.length)}, ${run.length}) = ${this.param(run)}`, COMPARISON));
      run = '';
    };
    for (const token of segment) {
      if (token.kind === 'text') {
        for (const char of token.text.split('')) {
          const upper = char.toUpperCase();
          if (ignoreCase && upper !== char && upper.length === 1) {
            flush();
            parts.push(sql(`SUBSTRING(${ref}, ${at(offset)}, 1) IN (${this.param(char)}, ${this.param(upper)})`, COMPARISON));
          } else {
            run += char;
          }
          offset += 1;
        }
        continue;
      }
      flush();
      if (token.kind === 'class') parts.push(this.charClass(token, `SUBSTRING(${ref}, ${at(offset)}, 1)`));
      offset += 1;
    }
    flush();
    return parts;
  }

  private charClass(token: Extract<Token, { kind: 'class' }>, char: string): Sql {
    const matches = any(
      token.items.map((item) =>
        'char' in item
          ? sql(`${char} = ${this.param(item.char)}`, COMPARISON)
          : all([sql(`${char} >= ${this.param(item.from)}`, COMPARISON), sql(`${char} <= ${this.param(item.to)}`, COMPARISON)]),
      ),
    );
    return token.negated ? negation(matches) : matches;
  }

  private range(filter: Filter, column: ColumnDef, ref: string, path: Path, guarded: (part: Sql) => Sql): Sql {
    const lowerKey = filter.gt !== undefined ? 'gt' : filter.gte !== undefined ? 'gte' : undefined;
    const upperKey = filter.lt !== undefined ? 'lt' : filter.lte !== undefined ? 'lte' : undefined;
    const lowerRaw = lowerKey ? filter[lowerKey] : undefined;
    const upperRaw = upperKey ? filter[upperKey] : undefined;
    const lower = lowerKey && lowerRaw !== undefined ? this.bound(column, lowerRaw, [...path, lowerKey]) : undefined;
    const upper = upperKey && upperRaw !== undefined ? this.bound(column, upperRaw, [...path, upperKey]) : undefined;
    if ((lowerKey && lower === undefined) || (upperKey && upper === undefined)) return FALSE;
    if (lower !== undefined && upper !== undefined && upperKey) {
      const exclusive = lowerKey === 'gt' || upperKey === 'lt';
      if (lower > upper || (lower === upper && exclusive)) {
        return this.problem([...path, upperKey], `the range is empty: lower bound ${JSON.stringify(lower)} is ${lower === upper ? 'equal to' : 'above'} upper bound ${JSON.stringify(upper)}`);
      }
    }
    const parts: Sql[] = [];
    if (lower !== undefined) parts.push(sql(`${ref} ${lowerKey === 'gt' ? '>' : '>='} ${this.param(lower)}`, COMPARISON));
    if (upper !== undefined) parts.push(sql(`${ref} ${upperKey === 'lt' ? '<' : '<='} ${this.param(upper)}`, COMPARISON));
    if (parts.length === 0) return this.problem(path, 'a predicate needs an operator');
    return guarded(all(parts));
  }
}

/**
 * Checks a filter against a column schema and compiles it to a parameterised Cosmos DB SQL
 * condition. Unknown columns, values of the wrong type, values outside a categorical column's
 * list and empty ranges are refused with one 400 listing every problem.
 *
 * @example
 * const { where, parameters } = compileFilter({ column: 'sepal_width', gte: 3 }, columns, { prefix: 'c.values' });
 * // where: 'c.values["sepal_width"] >= @p0', parameters: [{ name: '@p0', value: 3 }]
 */
export function compileFilter(filter: Filter | undefined, columns: readonly ColumnDef[], options: CompileOptions): CompiledFilter {
  if (filter === undefined) return { where: 'true', parameters: [] };
  const compilation = new Compilation(columns, {
    prefix: options.prefix,
    paramPrefix: options.paramPrefix ?? '@p',
    pointer: options.pointer ?? ((path) => ['/filter', ...path].join('/')),
    residual: options.residual ?? false,
  });
  const where = compilation.node(filter, [], 0);
  if (compilation.problems.length > 0) {
    throw errors.invalidInputs(compilation.problems, (placed) => `The filter is not valid: ${listFields(placed)}`);
  }
  return { where: within(where, AND), parameters: compilation.parameters, ...(compilation.residual ? { residual: true as const } : {}) };
}
