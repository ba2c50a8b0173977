#!/usr/bin/env node
// Applies patches/ (the embedded Cosmos DB server's query engine made linear; its conditional patch
// keeping the case of names and strings) with patch-package.
// Both are development dependencies: an install without them (a production build) has nothing to
// patch, so it skips instead of failing on a missing command.
let cli;
try {
  cli = require.resolve('patch-package/index.js');
} catch {
  process.exit(0);
}
require('node:child_process').execFileSync(process.execPath, [cli, '--error-on-fail'], { stdio: 'inherit' });
