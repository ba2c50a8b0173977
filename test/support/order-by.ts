import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * The ORDER BY clauses of the app's Cosmos queries, read from the source so a new query cannot be
 * forgotten: every `ORDER BY …` in a string or template literal under shared/ (comments stripped).
 * A field written as `c.${…}` or `${…}` is dynamic: its path is unknown but it is still one field.
 */
export interface OrderField {
  /** `/createdAt`, or undefined for a dynamic field. */
  path: string | undefined;
  order: 'ascending' | 'descending';
}

export interface OrderByClause {
  file: string;
  text: string;
  fields: OrderField[];
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

function stripComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
}

/** Splits on commas outside `${…}`. */
function splitFields(clause: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (let i = 0; i < clause.length; i += 1) {
    const ch = clause[i] ?? '';
    if (ch === '$' && clause[i + 1] === '{') depth += 1;
    else if (ch === '}' && depth > 0) depth -= 1;
    if (ch === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else current += ch;
  }
  parts.push(current);
  return parts.map((part) => part.trim()).filter(Boolean);
}

function parseField(field: string): OrderField {
  const descending = /\bDESC\s*$/i.test(field) || /\?\s*'DESC'/.test(field);
  const expression = field.replace(/\s+(ASC|DESC)\s*$/i, '').trim();
  const literal = /^c\.([A-Za-z_]\w*)$/.exec(expression) ?? /^c\[["']([^"'\]]+)["']\]$/.exec(expression);
  return { path: literal ? `/${literal[1]}` : undefined, order: descending ? 'descending' : 'ascending' };
}

export function orderByClauses(root: string): OrderByClause[] {
  const clauses: OrderByClause[] = [];
  for (const path of sourceFiles(join(root, 'shared'))) {
    const source = stripComments(readFileSync(path, 'utf8'));
    // Up to the end of the literal: a quote or backtick that is not inside `${…}`.
    for (const match of source.matchAll(/ORDER BY ((?:[^'"`$]|\$\{(?:[^{}]|\{[^{}]*\})*\}|\$)+)/g)) {
      const text = (match[1] ?? '').trim();
      clauses.push({ file: relative(root, path), text, fields: splitFields(text).map(parseField) });
    }
  }
  return clauses;
}
