import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * Services speak the domain, not HTTP (docs/architecture.md): a field error names its path in the
 * input the service was handed (`errors.invalidInput('/cursor', …)`) and the route wrapper places it
 * in the request. So no string under `shared/` outside the HTTP edge (`shared/http`, route
 * definitions) starts a `/body`, `/query` or `/headers` pointer (comments may still show one).
 */
const root = path.resolve(__dirname, '../..');
const shared = path.join(root, 'shared');
const EDGE = path.join(shared, 'http');
const REQUEST_POINTER = /^\/(body|query)(\/|$)/;
const HEADER_POINTER = /^\/headers(\/|$)/;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return full === EDGE ? [] : sourceFiles(full);
    // Route definitions (`<area>.routes.ts`) are the HTTP edge: they may name the request's parts.
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.routes.ts') ? [full] : [];
  });
}

/** String literals and template heads that begin a `pattern` pointer, as `line: text`. */
function requestPointersIn(fileName: string, text: string, pattern = REQUEST_POINTER): string[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    const literal = ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node) || ts.isTemplateHead(node) ? node.text : undefined;
    if (literal !== undefined && pattern.test(literal)) {
      found.push(`${source.getLineAndCharacterOfPosition(node.getStart()).line + 1}: ${literal}`);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

describe('field errors of services', () => {
  it('name paths in the service input, never /body or /query', () => {
    const found = sourceFiles(shared).flatMap((file) =>
      requestPointersIn(file, readFileSync(file, 'utf8')).map((hit) => `${path.relative(root, file)}:${hit}`),
    );
    expect(found).toEqual([]);
  });

  it('name no header of the request: headers are parsed, and their errors placed, at the HTTP edge', () => {
    const found = sourceFiles(shared).flatMap((file) =>
      requestPointersIn(file, readFileSync(file, 'utf8'), HEADER_POINTER).map((hit) => `${path.relative(root, file)}:${hit}`),
    );
    expect(found).toEqual([]);
  });

  it('would see a header pointer in a string, but not in a comment', () => {
    const sut = requestPointersIn('x.ts', ["// '/headers/prefer' in a comment", "errors.invalidField('/headers/if-match', 'x');", "const q = '/headersish';"].join('\n'), HEADER_POINTER);
    expect(sut).toEqual(['2: /headers/if-match']);
  });

  it('would see a request pointer in a string or a template, but not in a comment', () => {
    const sut = requestPointersIn(
      'x.ts',
      ["// '/body/name' in a comment", "errors.invalidField('/query/cursor', 'x');", 'const p = `/body/labels/${i}`;', "const q = '/queryish';"].join('\n'),
    );
    expect(sut).toEqual(['2: /query/cursor', '3: /body/labels/']);
  });
});
