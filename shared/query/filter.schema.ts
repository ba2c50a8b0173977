import { z } from 'zod';

/**
 * The filter language shared by every area that filters documents (hosted dataset records, the
 * catalogue, the label store): a small JSON tree of predicates on typed columns, combined with
 * `and`, `or` and `not`. This file is the wire format (zod: validation, types, OpenAPI); the
 * compiler (`filter.compiler.ts`) checks a filter against a column schema and turns it into
 * parameterised Cosmos DB SQL; `filter.evaluate.ts` is the same semantics in memory.
 *
 * Semantics, the same in SQL and in memory: a comparison never matches a missing (absent or null)
 * value — test for those with `exists` — and `not` negates exactly (a row either matches or not).
 */

/** Column names go into SQL as `c.values["name"]`: this pattern is what makes that safe. */
export const COLUMN_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

export const ColumnType = z
  .enum(['number', 'integer', 'string', 'boolean', 'datetime'])
  .meta({
    id: 'ColumnType',
    description:
      'number: any finite number. integer: a safe integer. string: text. boolean: true/false. ' +
      'datetime: an ISO 8601 date or date-time, stored as UTC `YYYY-MM-DDTHH:mm:ss.sssZ` so that it sorts and compares in time order.',
  });
export type ColumnType = z.infer<typeof ColumnType>;

/** A column a filter may name: what the compiler needs, whatever area the documents belong to. */
export interface ColumnDef {
  name: string;
  type: ColumnType;
  /** Allowed values of a categorical column: filters on other values are refused. */
  values?: readonly (string | number)[];
  /** Every document has a value of the column's type (lets the compiler leave out type guards). */
  required?: boolean;
  /** Where the value sits below the prefix when that is not `[name]`, e.g. `['metadata', 'license']`. */
  path?: readonly string[];
}

export const Scalar = z.union([z.number(), z.string().max(1024), z.boolean()]);
export type Scalar = z.infer<typeof Scalar>;
const Bound = z.union([z.number(), z.string().max(1024)]);
const ValueList = z.array(Scalar).min(1).max(100);

/** A filter as a caller writes it (see `Filter` below for the shapes it may take). */
export interface Filter {
  and?: Filter[];
  or?: Filter[];
  not?: Filter;
  column?: string;
  eq?: Scalar;
  ne?: Scalar;
  in?: Scalar[];
  notIn?: Scalar[];
  gt?: number | string;
  gte?: number | string;
  lt?: number | string;
  lte?: number | string;
  contains?: string;
  startsWith?: string;
  endsWith?: string;
  /** With contains, startsWith or endsWith: compare lowercased (Datasette's names in URLs mean this). */
  ignoreCase?: boolean;
  like?: string;
  glob?: string;
  exists?: boolean;
  blank?: boolean;
}

const COMBINATORS = ['and', 'or', 'not'] as const;
/** Operators of a predicate that stand alone; the bounds (`gt`, `gte`, `lt`, `lte`) may be paired. */
const SINGLE_OPERATORS = ['eq', 'ne', 'in', 'notIn', 'contains', 'startsWith', 'endsWith', 'like', 'glob', 'exists', 'blank'] as const;
const TEXT_OPERATORS = ['contains', 'startsWith', 'endsWith'] as const;
const BOUNDS = ['gt', 'gte', 'lt', 'lte'] as const;

function present(value: Record<string, unknown>, keys: readonly string[]): string[] {
  return keys.filter((key) => value[key] !== undefined);
}

/** Structure only (one kind of node, one operator); the compiler checks columns, types and bounds. */
function checkShape(value: Filter, ctx: z.RefinementCtx): void {
  const node = value as Record<string, unknown>;
  const combinators = present(node, COMBINATORS);
  const operators = present(node, [...SINGLE_OPERATORS, ...BOUNDS]);
  if (combinators.length + (value.column === undefined ? 0 : 1) !== 1) {
    ctx.addIssue({
      code: 'custom',
      message: 'a filter is exactly one of: {"and": [...]}, {"or": [...]}, {"not": {...}} or {"column": "...", <operator>: ...}',
    });
    return;
  }
  if (combinators.length === 1) {
    if (operators.length > 0) {
      ctx.addIssue({ code: 'custom', path: [operators[0] ?? ''], message: `an operator needs a "column"; put it in a predicate inside "${combinators[0]}"` });
    }
    return;
  }
  const single = present(node, SINGLE_OPERATORS);
  const bounds = present(node, BOUNDS);
  if (single.length + (bounds.length > 0 ? 1 : 0) !== 1) {
    ctx.addIssue({
      code: 'custom',
      message: `a predicate has exactly one operator (${SINGLE_OPERATORS.join(', ')}) or a range (gt or gte, and/or lt or lte); got ${operators.length === 0 ? 'none' : operators.join(', ')}`,
    });
    return;
  }
  if (value.gt !== undefined && value.gte !== undefined) ctx.addIssue({ code: 'custom', path: ['gt'], message: 'give one lower bound: gt (exclusive) or gte (inclusive)' });
  if (value.lt !== undefined && value.lte !== undefined) ctx.addIssue({ code: 'custom', path: ['lt'], message: 'give one upper bound: lt (exclusive) or lte (inclusive)' });
  if (value.ignoreCase !== undefined && present(node, TEXT_OPERATORS).length === 0) {
    ctx.addIssue({ code: 'custom', path: ['ignoreCase'], message: `ignoreCase goes with ${TEXT_OPERATORS.join(', ')}` });
  }
}

export const Filter: z.ZodType<Filter> = z
  .strictObject({
    get and() {
      return z.array(Filter).min(1).max(100).optional();
    },
    get or() {
      return z.array(Filter).min(1).max(100).optional();
    },
    get not() {
      return Filter.optional();
    },
    column: z.string().regex(COLUMN_NAME_PATTERN, 'is not a column name').optional(),
    eq: Scalar.optional().describe('Equal to.'),
    ne: Scalar.optional().describe('Present and not equal to.'),
    in: ValueList.optional().describe('Equal to one of (at most 100).'),
    notIn: ValueList.optional().describe('Present and equal to none of (at most 100).'),
    gt: Bound.optional().describe('Exclusive lower bound.'),
    gte: Bound.optional().describe('Inclusive lower bound.'),
    lt: Bound.optional().describe('Exclusive upper bound.'),
    lte: Bound.optional().describe('Inclusive upper bound.'),
    contains: z.string().min(1).max(256).optional().describe('Text containing this (case-sensitive unless ignoreCase).'),
    startsWith: z.string().min(1).max(256).optional().describe('Text starting with this (case-sensitive unless ignoreCase).'),
    endsWith: z.string().min(1).max(256).optional().describe('Text ending with this (case-sensitive unless ignoreCase).'),
    ignoreCase: z.boolean().optional().describe('With contains, startsWith or endsWith: compare both sides lowercased.'),
    like: z
      .string()
      .min(1)
      .max(256)
      .optional()
      .describe(
        "SQLite LIKE: `%` any run of characters, `_` one character, case-insensitive. At most one run of text may float between two `%` (`%a%` yes, `%a%b%` no).",
      ),
    glob: z
      .string()
      .min(1)
      .max(256)
      .optional()
      .describe('SQLite GLOB: `*`, `?`, `[abc]`, `[a-z]`, `[^abc]`, case-sensitive. The same limit on floating text as `like`.'),
    exists: z.boolean().optional().describe('true: the value is present; false: it is missing.'),
    blank: z.boolean().optional().describe("true: missing or the empty text ''; false: present and not ''."),
  })
  .superRefine(checkShape)
  .meta({
    id: 'Filter',
    description:
      'A predicate `{"column": "sepal_width", "gte": 3}` (operators eq, ne, in, notIn, gt/gte and lt/lte bounds, contains, ' +
      'startsWith, endsWith (with ignoreCase), like, glob, exists, blank) or a combination `{"and": [...]}`, `{"or": [...]}`, `{"not": {...}}`. Comparisons never match a ' +
      'missing value; use `exists` for those.',
  });
