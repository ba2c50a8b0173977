import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { openApiDocument } from '../shared/openapi/openapi.service';
import { loadApp, unbundledFunctionFiles } from './devhost.loader';

/**
 * `npm run openapi`: writes the OpenAPI document of the app's registered routes to `openapi.json`
 * (keys sorted). The committed copy makes API changes visible in review; a test fails when the
 * document the deployed bundle serves differs from it. Reads the unbundled modules, because the
 * route registry this file imports is theirs (the bundle carries its own).
 */
const root = path.resolve(__dirname, '..', '..');
loadApp(root, unbundledFunctionFiles(root));
writeFileSync(path.join(root, 'openapi.json'), `${JSON.stringify(openApiDocument(), null, 2)}\n`);
console.log('wrote openapi.json');
