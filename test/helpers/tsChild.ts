/**
 * Runs a snippet of TypeScript-importing code in a separate node process, without a build:
 * `.ts` files are transpiled on require with the project's own compiler options. For cases
 * that need a process the test itself cannot become (e.g. one that holds a session keyring).
 */
import { execFile } from 'node:child_process';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');

const LOADER = `
const fs = require('fs');
const ts = require(${JSON.stringify(require.resolve('typescript'))});
require.extensions['.ts'] = (m, file) => {
  const out = ts.transpileModule(fs.readFileSync(file, 'utf8'), {
    fileName: file,
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
  });
  m._compile(out.outputText, file);
};
process.chdir(${JSON.stringify(ROOT)});
`;

/** argv that runs `body` (CommonJS; `require('<root>/…')` of .ts files works) in a fresh node. */
export function nodeArgv(body: string): string[] {
  return [process.execPath, '-e', `${LOADER}\n(async () => {\n${body}\n})().catch((e) => { console.error(e); process.exit(1); });`];
}

/** Runs `prefix… node -e body` and resolves with its stdout (rejects with stderr on a non-zero exit). */
export function runNode(body: string, prefix: string[] = [], timeoutMs = 60_000): Promise<string> {
  const argv = [...prefix, ...nodeArgv(body)];
  return new Promise((resolve, reject) => {
    execFile(argv[0], argv.slice(1), { timeout: timeoutMs, maxBuffer: 8 << 20, cwd: ROOT }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${err.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

export const PROJECT_ROOT = ROOT;
