import type { ColumnType } from './filter.schema';

// SQL text for compiled filters: fragments that know how tightly they bind (`filter.compiler.ts` builds them).

/**
 * A SQL fragment and how tightly it binds, so that parentheses are written only where precedence
 * needs them. That matters beyond looks: the embedded emulator's parser backtracks exponentially in
 * the nesting depth of parentheses (5 levels ≈ 3 s, 7 ≈ minutes, measured), and real Cosmos DB
 * reads the flat form the same way.
 */
export const ATOM = 0; // function call, parenthesised expression, literal
export const COMPARISON = 1;
const NOT = 2;
export const AND = 3;
const OR = 4;
export interface Sql {
  text: string;
  binds: number;
}

export const FALSE: Sql = { text: 'false', binds: ATOM };
export const sql = (text: string, binds: number): Sql => ({ text, binds });
export const within = (part: Sql, loosest: number) => (part.binds <= loosest ? part.text : `(${part.text})`);
export const all = (parts: Sql[]): Sql => (parts.length === 1 ? (parts[0] ?? FALSE) : sql(parts.map((part) => within(part, AND)).join(' AND '), AND));
export const any = (parts: Sql[]): Sql => (parts.length === 1 ? (parts[0] ?? FALSE) : sql(parts.map((part) => within(part, OR)).join(' OR '), OR));
// Unary NOT binds tighter than a comparison in the emulator's grammar (`NOT a = b` is `(NOT a) = b`): only atoms go bare.
export const negation = (part: Sql): Sql => sql(`NOT ${within(part, ATOM)}`, NOT);

/** True where the document holds a value of the column's JSON type there: guards predicates on a column that may be missing. */
export function typeGuard(type: ColumnType, ref: string): string {
  switch (type) {
    case 'number':
    case 'integer':
      return `IS_NUMBER(${ref})`;
    case 'boolean':
      return `IS_BOOL(${ref})`;
    case 'string':
    case 'datetime':
      return `IS_STRING(${ref})`;
  }
}
