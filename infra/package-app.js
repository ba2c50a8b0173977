#!/usr/bin/env node
// Stages the function app package azd uploads (azure.yaml: `dist: .tools/deploy`, `remoteBuild: false`):
// only what runs. host.json, package.json without scripts and dev/optional dependencies (so no
// postinstall, no Core Tools download, no `node` binary package), the esbuild bundle — dist/main.js,
// which registers the functions, and dist/app.js, which it loads on first use (it inlines the app, zod
// and the iris model) — the labelling page's built files (dist/web/) and the production dependencies
// the bundle leaves external, installed with scripts disabled. Run after `npm run build`; prints the
// file list and size.
'use strict';
const { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } = require('node:fs');
const { execFileSync } = require('node:child_process');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
// Under .tools/ (git-ignored), beside the compiled ARM template.
const stage = path.join(root, '.tools', 'deploy');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));

rmSync(stage, { recursive: true, force: true });
mkdirSync(path.join(stage, 'dist'), { recursive: true });
cpSync(path.join(root, 'host.json'), path.join(stage, 'host.json'));
// What the host runs from dist/: local/bundle.ts writes the two bundle files; the labelling page
// serves its built script, HTML and CSS from dist/web/labelling.
for (const built of ['main.js', 'app.js', 'web']) cpSync(path.join(root, 'dist', built), path.join(stage, 'dist', built), { recursive: true });
const runtimePkg = { name: pkg.name, version: pkg.version, private: true, main: pkg.main, engines: pkg.engines, dependencies: pkg.dependencies };
writeFileSync(path.join(stage, 'package.json'), `${JSON.stringify(runtimePkg, null, 2)}\n`);
cpSync(path.join(root, 'package-lock.json'), path.join(stage, 'package-lock.json'));
// The lock file pins the same versions the tests ran with; scripts stay off (nothing here needs one).
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
execFileSync(npm, ['ci', '--omit=dev', '--omit=optional', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: stage, stdio: 'inherit' });

function files(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? files(full) : [full];
  });
}
const all = files(stage);
const bytes = all.reduce((sum, file) => sum + statSync(file).size, 0);
const top = new Map();
for (const file of all) {
  const rel = path.relative(stage, file).split(path.sep);
  const key = rel[0] === 'node_modules' ? rel.slice(0, rel[1]?.startsWith('@') ? 3 : 2).join('/') : rel.join('/');
  top.set(key, (top.get(key) ?? 0) + statSync(file).size);
}
for (const [name, size] of [...top].sort((a, b) => b[1] - a[1])) console.log(`${(size / 1024).toFixed(0).padStart(8)} KiB  ${name}`);
console.log(`${all.length} files, ${(bytes / 1024 / 1024).toFixed(1)} MiB uncompressed → ${path.relative(root, stage)}/`);
