/** The simulator pool used when no pool file and no key are given. */
import { PoolSchema, type Pool } from './schemas';

export const SIMULATOR_POOL: Pool = PoolSchema.parse({
  default: 'sim-medium',
  backbones: [
    {
      id: 'sim-small',
      provider: 'sim',
      model: 'simulator-small',
      pricing: { inputPerM: 0.15, outputPerM: 0.6 },
      hints: { strengths: ['summaries', 'planning', 'review'], contextWindow: 32000 },
      sim: { latencyMs: 0, failureRate: 0, quality: 0.8 },
      maxOutputTokens: 300,
    },
    {
      id: 'sim-medium',
      provider: 'sim',
      model: 'simulator-medium',
      pricing: { inputPerM: 0.5, outputPerM: 1.5 },
      hints: { strengths: ['general', 'math', 'qa'], contextWindow: 128000 },
      sim: { latencyMs: 0, failureRate: 0, quality: 0.9 },
      maxOutputTokens: 300,
    },
    {
      id: 'sim-large',
      provider: 'sim',
      model: 'simulator-large',
      pricing: { inputPerM: 3, outputPerM: 15 },
      hints: { strengths: ['code', 'math', 'reasoning'], contextWindow: 200000 },
      sim: { latencyMs: 0, failureRate: 0, quality: 0.98 },
      maxOutputTokens: 300,
    },
  ],
});
