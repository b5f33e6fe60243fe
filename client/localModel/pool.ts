/**
 * The `local` pool preset: two backbones of different sizes on local
 * llama-servers, so the Implementer has a real choice (cheap 0.5B, strong
 * 1.5B). They cost nothing per token, so their prices are nominal: what the
 * CPU time of a token would cost, from speeds measured on a 2-core machine.
 */
import { PoolSchema, type Pool } from '../../mas/schemas';
import type { LocalModelSpec } from './catalog';

/** Nominal price of one CPU-hour (about a cloud vCPU-hour); every local price derives from it. */
export const NOMINAL_USD_PER_CPU_HOUR = 0.05;
/** Threads per server (`-t 2`): a second of server time is this many CPU-seconds. */
const THREADS = 2;

/**
 * Measured with llama-server's own timings (prompt and generation tokens per
 * second, `-t 2`, 2-core machine; docs/local-models-setup.md, "Prices are nominal").
 */
export const MEASURED_TOKENS_PER_SECOND: Record<LocalModelSpec['id'], { prompt: number; generation: number }> = {
  'qwen-0.5b': { prompt: 195, generation: 47 },
  'qwen-1.5b': { prompt: 88, generation: 31 },
};

/** USD per million tokens for the CPU time of a million tokens at `tokensPerSecond`. */
export function nominalPerM(tokensPerSecond: number): number {
  const cpuHours = (1e6 / tokensPerSecond) * THREADS / 3600;
  return Math.round(cpuHours * NOMINAL_USD_PER_CPU_HOUR * 1000) / 1000;
}

export const LOCAL_POOL_NOTE = `local models: prices are nominal (CPU time at $${NOMINAL_USD_PER_CPU_HOUR}/CPU-hour), nothing is billed`;

/** Fixed sampling: greedy decoding and a seed, so a run on the same machine repeats. */
export const LOCAL_SAMPLING = { temperature: 0, seed: 42 } as const;

/** The pool; `urls` are the servers started for this run (the worker re-resolves them per call). */
export function localPool(urls: Partial<Record<LocalModelSpec['id'], string>> = {}): Pool {
  const backbone = (id: LocalModelSpec['id'], model: string, strengths: string[]) => ({
    id,
    provider: 'openai' as const,
    model,
    local: id,
    ...(urls[id] ? { baseURL: urls[id] } : {}),
    pricing: { inputPerM: nominalPerM(MEASURED_TOKENS_PER_SECOND[id].prompt), outputPerM: nominalPerM(MEASURED_TOKENS_PER_SECOND[id].generation) },
    // llama-server enforces response_format json_schema with a grammar.
    hints: { strengths, contextWindow: 8192, structuredOutputs: true },
    maxOutputTokens: 1024,
    ...LOCAL_SAMPLING,
  });
  return PoolSchema.parse({
    default: 'qwen-0.5b',
    // Meta-agents write JSON templates and patches: on the 0.5B model none of five meta
    // calls of a 12*13 run was schema-valid (all fell back to rules), so they use the 1.5B.
    meta: { generator: 'qwen-1.5b', implementer: 'qwen-1.5b', rectifier: 'qwen-1.5b' },
    note: LOCAL_POOL_NOTE,
    backbones: [
      backbone('qwen-0.5b', 'qwen2.5-coder-0.5b-instruct', ['cheap', 'fast', 'simple', 'summaries']),
      backbone('qwen-1.5b', 'qwen2.5-coder-1.5b-instruct', ['code', 'math', 'reasoning']),
    ],
  });
}
