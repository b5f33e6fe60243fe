/** Pool helpers: look-ups and rankings by price. */
import type { Backbone, Pool } from './schemas';

export function backboneById(pool: Pool, id: string): Backbone | undefined {
  return pool.backbones.find((b) => b.id === id);
}

/** Price of a typical call (3:1 input:output tokens), to rank backbones by cost. */
export function typicalPrice(b: Backbone): number {
  return 3 * b.pricing.inputPerM + b.pricing.outputPerM;
}

export function cheapestBackbone(pool: Pool): Backbone {
  return [...pool.backbones].sort((a, b) => typicalPrice(a) - typicalPrice(b))[0];
}

export function strongestBackbone(pool: Pool): Backbone {
  return [...pool.backbones].sort((a, b) => typicalPrice(b) - typicalPrice(a))[0];
}

export function metaBackbone(pool: Pool, role: 'generator' | 'implementer' | 'rectifier'): Backbone {
  return backboneById(pool, pool.meta[role] ?? pool.default) ?? backboneById(pool, pool.default)!;
}

export function usesSimulator(pool: Pool): boolean {
  return pool.backbones.some((b) => b.provider === 'sim');
}
