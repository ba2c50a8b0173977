import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REQUIRED_AZURE_SETTINGS, settingsSchema } from '../../shared/config';
import { MODEL_SECRET_PREFIX } from '../../shared/catalogue/types/model.schema';

/**
 * README names routes, query parameters and settings; each must exist — in the committed OpenAPI
 * document (the e2e suite checks it is what the app serves) or in the config schema — so a renamed
 * parameter (`count?byPlatform=true` for `perPlatform`) fails here instead of misleading a reader.
 */
const root = path.resolve(__dirname, '../..');
const readme = readFileSync(path.join(root, 'README.md'), 'utf8');

interface Parameter {
  name: string;
  in: string;
  explode?: boolean;
}
interface Document {
  paths: Record<string, Record<string, { parameters?: Parameter[] }>>;
}
const document = JSON.parse(readFileSync(path.join(root, 'openapi.json'), 'utf8')) as Document;

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD'];

/** The text of one `## ` section (with its `### ` subsections). */
function section(title: string): string {
  const start = readme.indexOf(`\n## ${title}\n`);
  if (start < 0) throw new Error(`README has no section '${title}'`);
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end < 0 ? undefined : end);
}

/** A README segment (`{id}`, `<iris id>` or a literal) fits a document segment (`{param}` fits any). */
function fits(segment: string, template: string): boolean {
  if (/^\{.+\}$/.test(template)) return true;
  return !/^[{<].*[}>]$/.test(segment) && segment === template;
}

/** The document's operations at this path (`/api/v1/…`, placeholders allowed). */
function operationsAt(pathname: string): Array<{ path: string; method: string; parameters: Parameter[] }> {
  const segments = pathname.split('/').filter(Boolean);
  return Object.entries(document.paths).flatMap(([template, item]) => {
    const parts = template.split('/').filter(Boolean);
    if (parts.length !== segments.length || !parts.every((part, i) => fits(segments[i] ?? '', part))) return [];
    return Object.entries(item).map(([method, operation]) => ({ path: template, method: method.toUpperCase(), parameters: operation.parameters ?? [] }));
  });
}

interface Named {
  method?: string;
  path: string;
  query: string[];
  where: string;
}

const queryNames = (query: string | undefined) => (query ? [...new URLSearchParams(query).keys()] : []);

/**
 * Every route README names: full URLs and `/api/…` paths anywhere, and the paths of "What you can do
 * with it", which are under `/api/v1` (`POST /imagesets/{id}/finalize`, `/catalogue/{type}/count?perPlatform=true`).
 */
function namedRoutes(): Named[] {
  const named: Named[] = [];
  const lineOf = (index: number) => `README.md:${readme.slice(0, index).split('\n').length}`;
  const method = (before: string) => METHODS.find((m) => before.endsWith(`${m} `));
  // A path runs to a space, quote or bracket; a placeholder (`<iris id>`) may hold spaces.
  for (const match of readme.matchAll(/(?:https?:\/\/[^/\s"'`]+)?(\/api(?:\/(?:<[^>]*>|[^\s"'`),;<])*)?)/g)) {
    const [pathname = '', query] = (match[1] ?? '').replace(/[.:]$/, '').split('?');
    named.push({ method: method(readme.slice(0, match.index)), path: pathname.replace(/\/$/, ''), query: queryNames(query), where: lineOf(match.index) });
  }
  const usage = section('What you can do with it');
  const offset = readme.indexOf(usage);
  for (const match of usage.matchAll(/`(?:([A-Z]+) )?(\/(?:catalogue|platforms|connectors|imagesets|campaigns|datasets|models|jobs|api-keys)[^`\s]*)`/g)) {
    const [pathname = '', query] = (match[2] ?? '').split('?');
    named.push({ method: match[1], path: `/api/v1${pathname}`, query: queryNames(query), where: lineOf(offset + match.index) });
  }
  return named;
}

/** Setting names: upper-case words with `_` (`AUTH_OIDC_ISSUER`, `COSMOS__accountEndpoint`, `CONNECTOR_*_SCHEDULE`). */
function settingNames(text: string): string[] {
  return [...new Set([...text.matchAll(/`([A-Z][A-Z0-9]*(?:_{1,2}(?:[A-Za-z0-9]+|\*))+_?\*?)(?:=[^`]*)?`/g)].map((m) => m[1] ?? ''))];
}

const configured = new Set<string>([...Object.keys(settingsSchema.shape), ...REQUIRED_AZURE_SETTINGS]);

/** Names the tests and the local stack read from the environment (`FUZZ_RUNS`, `DEVHOST_VERBOSE`). */
function environmentReadBy(folders: string[]): Set<string> {
  const names = new Set<string>();
  const walk = (folder: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const file = path.join(folder, entry.name);
      if (entry.isDirectory()) walk(file);
      // `process.env.NAME`, `env.NAME`, or a name the file looks up in the environment by a table ('NAME').
      else if (file.endsWith('.ts')) for (const m of readFileSync(file, 'utf8').matchAll(/\b(?:process\.)?env\.([A-Z0-9_]+)|'([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)'/g)) names.add(m[1] ?? m[2] ?? '');
    }
  };
  for (const folder of folders) walk(path.join(root, folder));
  return names;
}

/** A name, or a pattern with `*`, that the app reads: a setting, or a prefix it reads settings by. */
function isSetting(name: string): boolean {
  if (!name.includes('*')) return configured.has(name);
  if (`${name.replace(/\*$/, '')}` === MODEL_SECRET_PREFIX) return true;
  const pattern = new RegExp(`^${name.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[A-Z0-9_]+')}$`);
  return [...configured].some((setting) => pattern.test(setting));
}

describe('README.md', () => {
  it('names only routes and methods the OpenAPI document has', () => {
    const named = namedRoutes();
    expect(named.length).toBeGreaterThan(20);
    const missing = named.flatMap((route) => {
      const operations = operationsAt(route.path);
      // `/api/v1` alone is the prefix, not a route.
      if (route.path === '/api/v1' || route.path === '/api') return [];
      if (operations.length === 0) return [`${route.where}: ${route.path}`];
      if (route.method && !operations.some((op) => op.method === route.method)) return [`${route.where}: ${route.method} ${route.path}`];
      return [];
    });
    expect(missing).toEqual([]);
  });

  it('names only query parameters the route takes', () => {
    const wrong = namedRoutes().flatMap((route) => {
      const operations = operationsAt(route.path).filter((op) => op.method === (route.method ?? 'GET'));
      return route.query.flatMap((name) => {
        const takes = operations.some((op) => op.parameters.some((p) => p.in === 'query' && (p.name === name || p.explode)));
        return takes ? [] : [`${route.where}: ${route.method ?? 'GET'} ${route.path}?${name}`];
      });
    });
    expect(wrong).toEqual([]);
  });

  it('names only query parameters some list operation takes where it names them alone (`?limit=`)', () => {
    const everyQueryParameter = new Set(
      Object.values(document.paths).flatMap((item) => Object.values(item).flatMap((op) => (op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name))),
    );
    const alone = [...readme.matchAll(/`\?([A-Za-z_]+)=/g)].map((m) => m[1] ?? '');
    expect(alone.length).toBeGreaterThan(0);
    expect(alone.filter((name) => !everyQueryParameter.has(name))).toEqual([]);
  });

  it('names only settings the config schema has (test switches: ones the tests read; checks: ones scripts/ read)', () => {
    const tests = section('Tests');
    const forTests = environmentReadBy(['test', 'local']);
    const forChecks = environmentReadBy(['scripts']);
    const outsideTests = readme.replace(tests, '');
    expect(settingNames(outsideTests).filter((name) => !isSetting(name) && !forChecks.has(name))).toEqual([]);
    expect(settingNames(tests).filter((name) => !isSetting(name) && !forTests.has(name))).toEqual([]);
  });

  it('lists every setting of the config schema in its configuration table', () => {
    // The names in the first cell of each row (`COSMOS`, or several: `A` / `B`).
    const firstCells = [...section('Configuration').matchAll(/^\| ([^|]+) \|/gm)].map((m) => m[1] ?? '');
    const listed = new Set(firstCells.flatMap((cell) => [...cell.matchAll(/`([A-Za-z0-9_]+)`/g)].map((m) => m[1] ?? '')));
    expect(listed.size).toBeGreaterThan(20);
    expect([...listed].filter((name) => name !== 'Setting' && !isSetting(name))).toEqual([]);
    expect(Object.keys(settingsSchema.shape).filter((name) => !listed.has(name))).toEqual([]);
  });
});
