#!/usr/bin/env node
// Runs the compiled CLI; `npm run setup` builds it into dist/.
const path = require('node:path');
const fs = require('node:fs');
const cli = path.join(__dirname, '..', 'dist', 'client', 'cli.js');
if (!fs.existsSync(cli)) {
  process.stderr.write('mas2: not built yet: run `npm run setup` (or `npm run build`) in ' + path.join(__dirname, '..') + '\n');
  process.exit(2);
}
require(cli)
  .main(process.argv)
  .catch((e) => {
    process.stderr.write(`mas2: internal error: ${(e && e.stack) || e}\n`);
    process.exitCode = 1;
  });
