/** Pool helpers: look-ups and rankings by price. */
import type { Assignment, Backbone, Pool, Template } from './schemas';
import { ASSIGNMENT_RULES } from './prompts/rules';

export function backboneById(pool: Pool, id: string): Backbone | undefined {
  return pool.backbones.find((b) => b.id === id);
}

/** Price of a typical call (3:1 input:output tokens), to rank backbones by cost. */
export function typicalPrice(b: Backbone): number {
  return 3 * b.pricing.inputPerM + b.pricing.outputPerM;
}

/** Typical price of the backbone with this id; undefined for an id not in the pool. */
export function backbonePrice(pool: Pool, id: string | undefined): number | undefined {
  const b = id ? backboneById(pool, id) : undefined;
  return b ? typicalPrice(b) : undefined;
}

/** Backbone ids, cheapest first. */
export function idsByPrice(pool: Pool): string[] {
  return [...pool.backbones].sort((a, b) => typicalPrice(a) - typicalPrice(b)).map((b) => b.id);
}

/** The next more expensive backbone than `id`; null when it is the most expensive (or not in the pool). */
export function strongerThan(pool: Pool, id: string): string | null {
  const ranked = idsByPrice(pool);
  const i = ranked.indexOf(id);
  return i >= 0 ? (ranked[i + 1] ?? null) : null;
}

/** Another backbone for an agent on `id`: the next more expensive one, else the next cheaper. */
export function otherThan(pool: Pool, id: string): string | null {
  const ranked = idsByPrice(pool);
  const i = ranked.indexOf(id);
  return ranked[i + 1] ?? ranked[i - 1] ?? null;
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

/**
 * Verifiers on a cheaper backbone than an agent they check. A checker weaker than the
 * producer is not evidence: on the local pool the 0.5B checker rejected the 1.5B solver's
 * right answers (GSM8K "A robe takes 2 bolts…": 3 bolts, rejected four times) and the run
 * ended `unverified`. One sentence per pair, for the Implementer's repair round.
 */
export function weakVerifiers(t: Template, assignment: Assignment, pool: Pool): string[] {
  const price = (agent: string) => backbonePrice(pool, assignment[agent]);
  const problems: string[] = [];
  for (const v of t.agents.filter((a) => a.verifier)) {
    const mine = price(v.id);
    for (const e of t.edges.filter((x) => x.to === v.id)) {
      const theirs = price(e.from);
      if (mine !== undefined && theirs !== undefined && mine < theirs) {
        problems.push(ASSIGNMENT_RULES.weakVerifier(v.id, assignment[v.id], e.from, assignment[e.from]));
      }
    }
  }
  return problems;
}
