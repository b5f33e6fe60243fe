#!/usr/bin/env node
/**
 * Deletes compiled files in dist/ whose TypeScript source is gone. tsc never deletes outputs, and
 * Node resolves `./x` to a stale `x.js` before a new `x/index.js`: a module moved into a folder
 * would otherwise keep loading its old compiled self. Run before every tsc build.
 */
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const dist = path.join(root, 'dist');
const COMPILED = /\.(js|d\.ts|js\.map|d\.ts\.map)$/;
let removed = 0;

function walk(dir) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      walk(p);
      if (fs.readdirSync(p).length === 0) fs.rmdirSync(p);
      continue;
    }
    if (!COMPILED.test(e.name)) continue;
    const rel = path.relative(dist, p);
    // Top-level artefacts of their own (the workflow bundle) have no source of the same name.
    if (!rel.includes(path.sep)) continue;
    const source = path.join(root, rel.replace(COMPILED, '.ts'));
    const js = path.join(root, rel.replace(COMPILED, '.js'));
    if (!fs.existsSync(source) && !fs.existsSync(js)) {
      fs.rmSync(p);
      removed++;
    }
  }
}

if (fs.existsSync(dist)) walk(dist);
if (removed) console.log(`prune-dist: removed ${removed} compiled file${removed === 1 ? '' : 's'} whose source is gone`);
