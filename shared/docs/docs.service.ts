import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { errors } from '../errors';

/** The Swagger UI files we serve; anything else is 404 (no path is ever built from user input). */
const ASSETS = new Map<string, string>(Object.entries({
  'swagger-ui.css': 'text/css; charset=utf-8',
  'index.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'swagger-ui-standalone-preset.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
  'favicon-16x16.png': 'image/png',
}));

/** The media types the assets come in, for the OpenAPI document. */
export const ASSET_MEDIA_TYPES = [...new Set([...ASSETS.values()].map((type) => type.split(';')[0] ?? type))];

const cache = new Map<string, Buffer>();

function assetDirectory(): string {
  return path.dirname(require.resolve('swagger-ui-dist/package.json'));
}

/** The Swagger UI page, pointing at our OpenAPI document and at assets we serve ourselves (no CDN). */
export function docsPage(): string {
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>ML asset platform API</title>
  <link rel="stylesheet" href="docs/swagger-ui.css">
  <link rel="stylesheet" href="docs/index.css">
  <link rel="icon" type="image/png" href="docs/favicon-32x32.png" sizes="32x32">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="docs/swagger-ui-bundle.js"></script>
  <script src="docs/swagger-ui-standalone-preset.js"></script>
  <script src="docs/swagger-initializer.js"></script>
</body>
</html>
`;
}

/** Boots Swagger UI on `openapi.json`, resolved against the page so it works under any host or prefix. */
export function docsInitializer(): string {
  return `window.onload = function () {
  window.ui = SwaggerUIBundle({
    url: new URL('openapi.json', window.location.href).toString(),
    dom_id: '#swagger-ui',
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    layout: 'StandaloneLayout',
  });
};
`;
}

export async function docsAsset(name: string): Promise<{ body: Buffer; contentType: string }> {
  if (name === 'swagger-initializer.js') {
    return { body: Buffer.from(docsInitializer()), contentType: 'text/javascript; charset=utf-8' };
  }
  const contentType = ASSETS.get(name);
  if (!contentType) throw errors.notFound('documentation file', name);
  let body = cache.get(name);
  if (!body) {
    body = await readFile(path.join(assetDirectory(), name));
    cache.set(name, body);
  }
  return { body, contentType };
}
