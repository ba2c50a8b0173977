import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * Services speak the domain, not HTTP (docs/architecture.md): nothing under `shared/` outside the
 * HTTP edge (`shared/http`, and an area's route definitions, `shared/<area>/*.routes.ts`, which
 * `functions/` loads on first use) and the document built from it (`shared/openapi`) imports from
 * `shared/http`, except the types of the problems errors become.
 */
const root = path.resolve(__dirname, '../..');
const shared = path.join(root, 'shared');
const httpDir = path.join(shared, 'http');
const EDGE = ['http', 'openapi'].map((dir) => path.join(shared, dir));
const ALLOWED_TYPE_IMPORTS = new Set([path.join(httpDir, 'problem')]);
function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return EDGE.includes(full) ? [] : sourceFiles(full);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.routes.ts') ? [full] : [];
  });
}

interface Import {
  specifier: string;
  typeOnly: boolean;
}

/** Static imports and re-exports (with whether they are type-only), and dynamic `import()`s. */
function importsOf(file: string): Import[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const found: Import[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const allTypes = clause?.namedBindings && ts.isNamedImports(clause.namedBindings) && clause.namedBindings.elements.every((e) => e.isTypeOnly);
      found.push({ specifier: node.moduleSpecifier.text, typeOnly: Boolean(clause?.isTypeOnly || (allTypes && !clause?.name)) });
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      found.push({ specifier: node.moduleSpecifier.text, typeOnly: node.isTypeOnly });
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [argument] = node.arguments;
      if (argument && ts.isStringLiteral(argument)) found.push({ specifier: argument.text, typeOnly: false });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

let scanned: string[] | undefined;
function httpImportsOutsideTheEdge(): string[] {
  scanned ??= sourceFiles(shared).flatMap((file) =>
    importsOf(file)
      .filter(({ specifier }) => specifier.startsWith('.'))
      .map((imported) => ({ ...imported, target: path.resolve(path.dirname(file), imported.specifier) }))
      .filter(({ target }) => target === httpDir || target.startsWith(`${httpDir}${path.sep}`))
      .filter(({ target, typeOnly }) => !(typeOnly && ALLOWED_TYPE_IMPORTS.has(target)))
      .map(({ specifier }) => `${path.relative(root, file)} imports ${specifier}`),
  );
  return scanned;
}

describe('the HTTP edge', () => {
  it('is imported by no service (only the types of problems may be)', () => {
    expect(httpImportsOutsideTheEdge()).toEqual([]);
  });

  it('would see a service that imports from shared/http', () => {
    const lister = importsOf(path.join(shared, 'http', 'route.ts'));
    // The scan reads what route.ts imports (it is in the edge, so it is exempt, but parsed alike).
    expect(lister.map((i) => i.specifier)).toContain('./reply');
    expect(lister.find((i) => i.specifier === './reply')?.typeOnly).toBe(true);
  });
});
