#!/usr/bin/env node
'use strict';
// Uploads a folder of images to an imageset with its SAS URL: `mlassets-upload --help`.
// The CLI is compiled TypeScript (`npm run build` writes dist/).
const path = require('node:path');

let cli;
try {
  cli = require(path.join(__dirname, '..', 'dist', 'local', 'upload-cli.js'));
} catch (error) {
  if (error && error.code === 'MODULE_NOT_FOUND') {
    process.stderr.write('mlassets-upload: dist/ is missing; run `npm run build` first.\n');
    process.exit(2);
  }
  throw error;
}
cli.main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
