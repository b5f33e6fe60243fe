/** The backbone pool as the Implementer and the Rectifier read it. */
import type { Pool } from '../schemas';

export function poolSummary(pool: Pool): string {
  return pool.backbones
    .map((b) => `- ${b.id}: model ${b.model}, $${b.pricing.inputPerM}/M input, $${b.pricing.outputPerM}/M output tokens; strengths: ${b.hints.strengths.join(', ') || 'general'}`)
    .join('\n');
}
