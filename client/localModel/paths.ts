/**
 * Where local models live. The cache (weights, the built llama-server) is
 * immutable once provisioned and shared by every home, run, test and CI job of
 * a user: it lives in the user's cache folder, not in $MAS2_HOME, so a test
 * with a home of its own finds what `npm run setup` provisioned. The running
 * servers belong to one $MAS2_HOME, so a test with its own home never stops
 * someone else's servers.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import type { LocalModelSpec } from './catalog';

/** MAS2_LOCAL_MODELS_DIR, default $XDG_CACHE_HOME/mas2/local-models (~/.cache/mas2/local-models). */
export function localModelsDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.MAS2_LOCAL_MODELS_DIR) return path.resolve(env.MAS2_LOCAL_MODELS_DIR);
  const cache = env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : path.join(os.homedir(), '.cache');
  return path.join(cache, 'mas2', 'local-models');
}

export function cacheFiles(cacheDir: string) {
  const d = path.resolve(cacheDir);
  return {
    dir: d,
    modelsDir: path.join(d, 'models'),
    binDir: path.join(d, 'bin'),
    /** The portable llama-server we built (runs on any x86-64 with AVX2); MAS2_LLAMA_SERVER overrides it (see llamaServerPath). */
    server: path.join(d, 'bin', 'llama-server'),
    serverRecord: path.join(d, 'bin', 'llama-server.json'),
    buildLog: path.join(d, 'build.log'),
    lock: path.join(d, 'provision.lock'),
    timings: path.join(d, 'provision-timings.json'),
  };
}

/** The llama-server built for one kind of CPU (client/localModel/cpu.ts), and its record: built, or why the build failed. */
export function nativeServerFiles(cacheDir: string, cpu: string) {
  const dir = path.join(path.resolve(cacheDir), 'bin', `native-${cpu}`);
  return { dir, server: path.join(dir, 'llama-server'), record: path.join(dir, 'llama-server.json') };
}

export function modelFiles(cacheDir: string, spec: LocalModelSpec) {
  const { modelsDir } = cacheFiles(cacheDir);
  return { gguf: path.join(modelsDir, spec.file), record: path.join(modelsDir, `${spec.file}.verified.json`) };
}

/** State of the servers started for one $MAS2_HOME. */
export function serverFiles(home: string, id: string) {
  const d = path.join(path.resolve(home), 'local-servers');
  return { dir: d, state: path.join(d, `${id}.json`), log: path.join(d, `${id}.log`), lock: path.join(d, `${id}.lock`) };
}
