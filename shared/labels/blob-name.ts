/**
 * Blob names finalize can address exactly, and why the others are refused.
 *
 * Blob names are free text, but every client addresses a blob through a URL path, and URL resolution
 * (WHATWG, which the storage SDK applies to each URL it builds) folds `.` and `..` segments — encoded
 * as `%2E` too — into their parent: `sub/../a.png` is read as `a.png`, and `../imageset-<other>/b.png`
 * as another imageset's blob, read with the platform's credentials. `%` makes a name mean different
 * things to clients that decode once or twice; `\` is a path separator to some of them. Such names are
 * never registered: finalize reports them as skipped and carries on.
 */
export function blobNameProblem(name: string): string | undefined {
  if (name.split('/').some((segment) => segment === '.' || segment === '..')) {
    return "the name has a '.' or '..' path segment, which URLs resolve to another blob; rename it and upload again";
  }
  if (name.includes('%')) return "the name contains '%', which clients decode differently; rename it and upload again";
  if (name.includes('\\')) return "the name contains '\\', a path separator to some clients; rename it and upload again";
  return undefined;
}
