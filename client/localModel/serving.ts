/**
 * How the local models are served: which llama-server build runs, how many
 * slots (each with its own context and prompt cache) a server has, whether a
 * conversation is pinned to its slot, and whether calls to one server share
 * its batch. One place, read by the code that starts servers
 * (client/localModel/server.ts) and by the worker's client that calls them
 * (activities/models/local.ts), so the two always agree.
 *
 * `MAS2_LOCAL_SERVING=legacy` is the serving before the batching servers —
 * the portable build, two slots, llama-server's own slot choice and one local
 * call computing at a time per worker — kept so the bench and the
 * before/after evaluation can measure both in one run.
 */
import * as os from 'node:os';

export type ServingMode = 'batched' | 'legacy';

export interface Serving {
  mode: ServingMode;
  /** `native`: the build for this CPU when there is one (else the portable one); `portable`: always the portable one. */
  build: 'native' | 'portable';
  /** Server slots, each with CONTEXT_TOKENS of context and its own prompt cache. */
  slots: number;
  /** Each conversation keeps its own slot (llama-server's `id_slot`); else the server picks one. */
  pinSlots: boolean;
  /** Calls to one server computing at once in a worker: up to its slots (one batch), or one (legacy). */
  batch: boolean;
  /** Servers computing at once in a worker; the others' calls wait for their turn. */
  serversAtOnce: number;
}

/**
 * Slots of a batching server: the conversations a worker runs at once
 * (`mas2 eval --concurrency 4` × a team's parallel agents and its meta-agent
 * calls), so none evicts another's cached prefix. The 1.5B's 8 × 8k context
 * holds 1.9 GB of KV cache, the 0.5B's 0.8 GB.
 */
export const DEFAULT_SLOTS = 8;
const LEGACY_SLOTS = 2;

function wholeNumber(env: NodeJS.ProcessEnv, name: string, min: number): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be a whole number ≥ ${min} (got "${raw}")`);
  return n;
}

/**
 * MAS2_LOCAL_CONCURRENCY, else cores / threads per server (at least 1): llama.cpp
 * threads spin at their barriers, so two servers busy at once with 2 threads each on
 * 2 cores thrash — measured in `mas2 eval --pool local --concurrency 2` under the old
 * gate-less serving, a 0.5B call of 142 in / 58 out tokens took 207.6 s instead of ~3 s.
 */
export function serversAtOnce(env: NodeJS.ProcessEnv, threads: number, cores = os.cpus().length): number {
  return wholeNumber(env, 'MAS2_LOCAL_CONCURRENCY', 1) ?? Math.max(1, Math.floor(cores / Math.max(1, threads)));
}

/** MAS2_LOCAL_SERVING (batched | legacy), MAS2_LOCAL_SLOTS, MAS2_LOCAL_BUILD (native | portable), MAS2_LOCAL_CONCURRENCY. */
export function serving(env: NodeJS.ProcessEnv = process.env, cores = os.cpus().length): Serving {
  const mode = env.MAS2_LOCAL_SERVING || 'batched';
  if (mode !== 'batched' && mode !== 'legacy') throw new Error(`MAS2_LOCAL_SERVING must be batched or legacy (got "${mode}")`);
  const build = env.MAS2_LOCAL_BUILD || (mode === 'legacy' ? 'portable' : 'native');
  if (build !== 'native' && build !== 'portable') throw new Error(`MAS2_LOCAL_BUILD must be native or portable (got "${build}")`);
  const threads = wholeNumber(env, 'MAS2_LOCAL_THREADS', 1) ?? 2;
  return {
    mode,
    build,
    slots: wholeNumber(env, 'MAS2_LOCAL_SLOTS', 1) ?? (mode === 'legacy' ? LEGACY_SLOTS : DEFAULT_SLOTS),
    pinSlots: mode === 'batched',
    batch: mode === 'batched',
    serversAtOnce: serversAtOnce(env, threads, cores),
  };
}
