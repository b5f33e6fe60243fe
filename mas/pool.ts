/** Pool helpers: look-ups and rankings by price. */
import type { Assignment, Backbone, MetaRole, Pool, Template } from './schemas';
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

/** The backbone a meta-agent calls: its `meta` entry (else the default), with the role's LoRA adapter when the pool has one. */
export function metaBackbone(pool: Pool, role: 'generator' | 'implementer' | 'rectifier'): Backbone {
  const b = backboneById(pool, pool.meta[role] ?? pool.default) ?? backboneById(pool, pool.default)!;
  const lora = pool.metaAdapters?.[role];
  return lora ? { ...b, lora } : b;
}

/**
 * The pool with a LoRA adapter per meta-agent role over the backbone `base` (a local model): those
 * roles call `base` with their adapter. Roles without an adapter and the team's agents keep what
 * the pool says. One adapter per server: the llama.cpp we build reserves graph nodes for the model's
 * own tensors only, and every loaded adapter adds nodes even when a request leaves it off — with the
 * three role adapters of the 0.5B loaded together the first request aborts (GGML_ASSERT in ggml_new_object).
 */
export function withMetaAdapters(pool: Pool, base: string, adapters: Partial<Record<MetaRole, string>>): Pool {
  const meta = { ...pool.meta };
  const metaAdapters: NonNullable<Pool['metaAdapters']> = {};
  for (const r of ['generator', 'implementer', 'rectifier'] as const) {
    if (!adapters[r]) continue;
    meta[r] = base;
    metaAdapters[r] = { adapters: [adapters[r]!], apply: 0 };
  }
  return { ...pool, meta, metaAdapters };
}

export function usesSimulator(pool: Pool): boolean {
  return pool.backbones.some((b) => b.provider === 'sim');
}

/** The agents feeding `checker` that run on a costlier backbone than it does: a checker weaker than what it checks. */
export function strongerThanChecker(t: Template, assignment: Assignment, pool: Pool, checker: string): string[] {
  const mine = backbonePrice(pool, assignment[checker]);
  if (mine === undefined) return [];
  return t.edges
    .filter((e) => e.to === checker)
    .map((e) => e.from)
    .filter((p) => {
      const theirs = backbonePrice(pool, assignment[p]);
      return theirs !== undefined && mine < theirs;
    });
}

/**
 * Verifiers on a cheaper backbone than an agent they check. A checker weaker than the
 * producer is not evidence: on the local pool the 0.5B checker rejected the 1.5B solver's
 * right answers (GSM8K "A robe takes 2 bolts…": 3 bolts, rejected four times) and the run
 * ended `unverified`. One sentence per pair, for the Implementer's repair round.
 */
export function weakVerifiers(t: Template, assignment: Assignment, pool: Pool): string[] {
  return t.agents
    .filter((a) => a.verifier)
    .flatMap((v) => strongerThanChecker(t, assignment, pool, v.id).map((p) => ASSIGNMENT_RULES.weakVerifier(v.id, assignment[v.id], p, assignment[p])));
}
