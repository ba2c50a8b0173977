import type { RE2JS } from 're2js';
import { lazyRequire } from '../azure/load';

/**
 * SQLite's `LIKE` and `GLOB` patterns (Datasette's `__like` and `__glob`), read into tokens that the
 * compiler turns into plain Cosmos DB string functions and the in-memory evaluator into RE2. Neither
 * ever runs a caller's pattern on a backtracking regular-expression engine.
 *
 * LIKE: `%` any run of characters, `_` one character, everything else itself. GLOB: `*`, `?`,
 * `[abc]`, `[a-z]`, `[^abc]` (a `]` right after `[` or `[^` is itself).
 */
export type PatternKind = 'like' | 'glob';

export type ClassItem = { char: string } | { from: string; to: string };
export type Token = { kind: 'text'; text: string } | { kind: 'one' } | { kind: 'any' } | { kind: 'class'; negated: boolean; items: ClassItem[] };

/** A run of tokens that each match one character or a fixed text: it has a fixed width. */
export type Segment = Exclude<Token, { kind: 'any' }>[];

function readClass(pattern: string, start: number): { token: Token; next: number } | undefined {
  let i = start + 1;
  const negated = pattern[i] === '^';
  if (negated) i++;
  const items: ClassItem[] = [];
  let first = true;
  while (i < pattern.length && (first || pattern[i] !== ']')) {
    const char = pattern[i] ?? '';
    if (pattern[i + 1] === '-' && i + 2 < pattern.length && pattern[i + 2] !== ']') {
      const to = pattern[i + 2] ?? '';
      if (to < char) return undefined;
      items.push({ from: char, to });
      i += 3;
    } else {
      items.push({ char });
      i++;
    }
    first = false;
  }
  if (i >= pattern.length) return undefined;
  return { token: { kind: 'class', negated, items }, next: i + 1 };
}

/** The pattern's tokens; a string naming the problem for a GLOB class without its `]`. */
export function parsePattern(kind: PatternKind, pattern: string): Token[] | string {
  const tokens: Token[] = [];
  const text = (char: string) => {
    const last = tokens[tokens.length - 1];
    if (last?.kind === 'text') last.text += char;
    else tokens.push({ kind: 'text', text: char });
  };
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i] ?? '';
    if (char === (kind === 'like' ? '%' : '*')) {
      if (tokens[tokens.length - 1]?.kind !== 'any') tokens.push({ kind: 'any' });
    } else if (char === (kind === 'like' ? '_' : '?')) {
      tokens.push({ kind: 'one' });
    } else if (kind === 'glob' && char === '[') {
      const read = readClass(pattern, i);
      if (!read) return `the [ at ${i} has no closing ] or holds a reversed range`;
      tokens.push(read.token);
      i = read.next - 1;
    } else {
      text(char);
    }
  }
  return tokens;
}

/** The fixed-width runs between `any` tokens: the first is anchored at the start, the last at the end. */
export function segmentsOf(tokens: readonly Token[]): Segment[] {
  const segments: Segment[] = [[]];
  for (const token of tokens) {
    if (token.kind === 'any') segments.push([]);
    else segments[segments.length - 1]?.push(token);
  }
  return segments;
}

export function widthOf(segment: Segment): number {
  return segment.reduce((sum, token) => sum + (token.kind === 'text' ? token.text.length : 1), 0);
}

/** Escapes RE2's special characters (valid inside and outside a class). */
function quote(text: string): string {
  return text.replace(/[\\^$.|?*+()[\]{}\-\/]/g, '\\$&');
}

/**
 * The pattern as an RE2 expression (linear-time matching), for evaluating it in memory.
 * Case-insensitive LIKE lowercases both sides instead of using a regex flag, as the SQL does.
 */
export function patternRegex(tokens: readonly Token[]): RE2JS {
  const body = tokens
    .map((token) => {
      switch (token.kind) {
        case 'any':
          return '.*';
        case 'one':
          return '.';
        case 'text':
          return quote(token.text);
        case 'class': {
          const items = token.items.map((item) => ('char' in item ? quote(item.char) : `${quote(item.from)}-${quote(item.to)}`)).join('');
          return `[${token.negated ? '^' : ''}${items}]`;
        }
      }
    })
    .join('');
  // re2js is loaded by the first pattern, not at import (issue 22: nothing heavy on a cold start).
  const { RE2JS: engine } = lazyRequire<typeof import('re2js')>('re2js');
  return engine.compile(`^${body}$`, engine.DOTALL);
}
