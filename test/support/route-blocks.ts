import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(__dirname, '../..');

/**
 * Each route's name and the source of its declaration, for tests that check the document against
 * what a handler does. A route is declared by `route({ … })` in `functions/`, and, for areas that
 * register from name and path alone, defined by `defineRoute({ … })` in `shared/<area>/*.routes.ts`;
 * a name declared in both places gets both sources.
 */
export function routeSources(): Map<string, string> {
  const files = [
    ...readdirSync(path.join(root, 'functions')).filter((file) => file.endsWith('.ts')).map((file) => path.join(root, 'functions', file)),
    ...readdirSync(path.join(root, 'shared'), { recursive: true, encoding: 'utf8' })
      .filter((file) => file.endsWith('.routes.ts'))
      .map((file) => path.join(root, 'shared', file)),
  ];
  const sources = new Map<string, string>();
  for (const block of files.flatMap((file) => readFileSync(file, 'utf8').split(/\nroute\(\{|= defineRoute\(\{/).slice(1))) {
    const name = /name: '([A-Za-z]+)'/.exec(block)?.[1] ?? '';
    sources.set(name, `${sources.get(name) ?? ''}\n${block}`);
  }
  return sources;
}
