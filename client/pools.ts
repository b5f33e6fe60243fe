/**
 * Which backbone pool a run uses — one rule for `mas2 run`, `mas2 eval`,
 * `mas2 cto` and the library's `start()`:
 *
 *   1. what the caller names: `--pool FILE|local|sim` (library: `pool: Pool | 'local' | 'sim'`);
 *   2. else `MAS2_POOL` (the same three forms);
 *   3. else OpenAI when `OPENAI_API_KEY` is set;
 *   4. else the local models (real models, served on this machine, provisioned on first use).
 *
 * The simulator is never chosen implicitly: it is a test and demo harness, not a model.
 * `mas2 worker` chooses no pool (every run carries its own) — see docs/decisions.md.
 */
import * as path from 'node:path';
import { PoolSchema, type Pool } from '../mas/schemas';
import { SIMULATOR_POOL } from '../mas/simulatorPool';
import { LOCAL_MODELS } from './localModel/catalog';
import { localPool } from './localModel/pool';
import { localModelsDir } from './localModel/paths';
import { provisioned } from './localModel/provision';
import { startLocalPool } from './localModel/start';
import { loadPoolFile } from './inputs';
import { UserError } from './errors';

/** Used when a key is set and no pool is named. */
export const OPENAI_DEFAULT_POOL: Pool = PoolSchema.parse({
  default: 'gpt-4o-mini',
  backbones: [
    { id: 'gpt-4o-mini', provider: 'openai', model: 'gpt-4o-mini', apiKeyEnv: 'OPENAI_API_KEY', pricing: { inputPerM: 0.15, outputPerM: 0.6 }, hints: { strengths: ['general', 'qa', 'summaries'] } },
    { id: 'gpt-4o', provider: 'openai', model: 'gpt-4o', apiKeyEnv: 'OPENAI_API_KEY', pricing: { inputPerM: 2.5, outputPerM: 10 }, hints: { strengths: ['code', 'math', 'reasoning'] } },
  ],
});

/** Built-in pool names (a file called "local" or "sim" is still reachable as ./local, ./sim). */
export const LOCAL_POOL_NAME = 'local';
export const SIM_POOL_NAME = 'sim';

export type PoolKind = 'local' | 'sim' | 'openai' | 'file';

export interface PoolChoice {
  pool: Pool;
  kind: PoolKind;
  /** Short name for reports: `local`, `sim`, `openai` or the pool file's name. */
  label: string;
  /** The first line a user reads: which models answer, and why these. */
  note: string;
}

const LOCAL_NAMES = LOCAL_MODELS.map((m) => m.id).join(' and ');

function why(source: 'named' | 'env' | 'default'): string {
  if (source === 'env') return ' (MAS2_POOL)';
  if (source === 'default') return ' (no --pool and no OPENAI_API_KEY; --pool sim runs the offline simulator instead)';
  return '';
}

function named(name: string, source: 'named' | 'env'): PoolChoice {
  if (name === LOCAL_POOL_NAME) return localChoice(source);
  if (name === SIM_POOL_NAME) {
    return { pool: SIMULATOR_POOL, kind: 'sim', label: 'sim', note: `using the simulator${why(source)}: scripted, deterministic answers for tests and demos — not a model` };
  }
  const file = path.resolve(name);
  const pool = loadPoolFile(file);
  return { pool, kind: 'file', label: path.basename(name), note: `using the pool ${name}${why(source)}: ${pool.backbones.map((b) => b.id).join(', ')}` };
}

function localChoice(source: 'named' | 'env' | 'default'): PoolChoice {
  return { pool: localPool(), kind: 'local', label: 'local', note: `using the local models ${LOCAL_NAMES}, served by llama.cpp on this machine${why(source)}` };
}

/** The rule above; pure except for reading a pool file. */
export function choosePool(name: string | undefined, env: NodeJS.ProcessEnv): PoolChoice {
  if (name !== undefined) {
    if (!name.trim()) throw new UserError('--pool is empty: give a pool file (JSON or YAML), "local" or "sim"');
    return named(name, 'named');
  }
  if (env.MAS2_POOL?.trim()) return named(env.MAS2_POOL.trim(), 'env');
  if (env.OPENAI_API_KEY) {
    return { pool: OPENAI_DEFAULT_POOL, kind: 'openai', label: 'openai', note: 'using OpenAI (gpt-4o-mini, gpt-4o) with OPENAI_API_KEY; --pool FILE for other backbones, --pool local for the local models' };
  }
  return localChoice('default');
}

/**
 * Makes a chosen pool usable by the worker this process hosts: for the local
 * models, provisions them (minutes the first time, with progress) and starts
 * their servers. A process that hosts no worker leaves that to the workers
 * (they start servers per call) and sends the preset.
 */
export async function preparePool(choice: PoolChoice, o: { home: string; log: (line: string) => void; hostsWorker: boolean; env?: NodeJS.ProcessEnv }): Promise<Pool> {
  if (choice.kind !== 'local' || !o.hostsWorker) return choice.pool;
  return startLocalPool({ home: o.home, log: o.log, env: o.env });
}

/** One line for a worker that cannot serve the default pool of its environment; undefined when it can. */
export function workerPoolWarning(env: NodeJS.ProcessEnv): string | undefined {
  if (env.OPENAI_API_KEY || env.MAS2_POOL?.trim()) return undefined;
  const dir = localModelsDir(env);
  if (provisioned(dir)) return undefined;
  return `the local models (the default pool without OPENAI_API_KEY) are not provisioned in ${dir}: runs on them fail on this worker until \`mas2 local-model provision\``;
}
