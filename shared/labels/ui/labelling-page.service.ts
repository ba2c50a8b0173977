import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { blobServiceClient } from '../../azure/blob';
import { errors } from '../../errors';

/**
 * The labelling page's static files, built by `npm run build` (local/bundle.ts) into
 * `dist/web/labelling/`. Only these names are served; no path is ever built from user input.
 */
const FILES = new Map<string, string>(Object.entries({
  'index.html': 'text/html; charset=utf-8',
  'labelling.js': 'text/javascript; charset=utf-8',
  'labelling.css': 'text/css; charset=utf-8',
}));

const cache = new Map<string, Buffer>();
let directory: string | undefined;

/**
 * The built files are in `dist/web/labelling`, found by walking up from this file: it runs from
 * `dist/shared/labels/ui` unbundled and from `dist/main.js` bundled. The built script marks the
 * folder (the sources in `web/labelling` have none).
 */
function assetDirectory(): string {
  if (directory) return directory;
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'web', 'labelling');
    if (existsSync(path.join(candidate, 'labelling.js'))) return (directory = candidate);
    if (path.dirname(dir) === dir) throw errors.internal(new Error('labelling page: run `npm run build` to build it'));
  }
}

/**
 * The page talks only to this API (same origin) and draws images read through SAS URLs from Blob
 * storage, so that origin is the one other source it may load from; no inline script or style.
 */
export function labellingPageSecurityHeaders(): Record<string, string> {
  const blobOrigin = new URL(blobServiceClient().url).origin;
  const policy = [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    `img-src 'self' ${blobOrigin}`,
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  return { 'Content-Security-Policy': policy, 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'no-referrer', 'X-Frame-Options': 'DENY' };
}

export async function labellingPageFile(name: string): Promise<{ body: Buffer; contentType: string }> {
  const contentType = FILES.get(name);
  if (!contentType) throw errors.notFound('labelling page file', name);
  let body = cache.get(name);
  if (!body) {
    body = await readFile(path.join(assetDirectory(), name));
    cache.set(name, body);
  }
  return { body, contentType };
}
