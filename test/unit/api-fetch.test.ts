import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The conformance check covers the stack tests only if they read the API through `call()` or
 * `apiFetch()` (test/support/api.ts): a bare `fetch()` of an `/api/…` URL would bypass it unseen.
 * Other servers (SAS URLs, scoring servers, the development host's `/admin`) are fetched directly.
 */
const root = path.resolve(__dirname, '../..');

function files(folder: string): string[] {
  return readdirSync(path.join(root, folder), { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? files(path.join(folder, entry.name)) : entry.name.endsWith('.ts') ? [path.join(folder, entry.name)] : [],
  );
}

describe('the stack tests', () => {
  it('read the API only through call() or apiFetch()', () => {
    const bare = ['test/e2e', 'test/security', 'test/integration', 'test/fuzz', 'test/faults'].flatMap(files).flatMap((file) =>
      readFileSync(path.join(root, file), 'utf8')
        .split('\n')
        .flatMap((line, i) => (/(?<![A-Za-z])fetch\(.*\/api\b/.test(line) ? [`${file}:${i + 1}: ${line.trim()}`] : [])),
    );
    expect(bare).toEqual([]);
  });
});
