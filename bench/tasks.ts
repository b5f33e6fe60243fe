/**
 * Forced teams for the benchmarks: the template and the assignment are given,
 * so the Generator and the Implementer make no model calls and every step is
 * one agent model call on the simulator backbone (no tools).
 */
import { AgentSpecSchema, PoolSchema, TaskInputSchema, type AgentSpec, type Pool, type TaskInput, type Template } from '../mas/schemas';
import { SIMULATOR_POOL } from '../mas/simulatorPool';

/** The schema's cap on agents per template (TemplateSchema agents.max). */
export const MAX_SCHEMA_AGENTS = 12;

export const BENCH_BACKBONE = 'sim-medium';

export function simPool(latencyMs: number): Pool {
  return PoolSchema.parse({
    ...SIMULATOR_POOL,
    backbones: SIMULATOR_POOL.backbones.map((b) => ({ ...b, sim: { ...b.sim!, latencyMs, failureRate: 0 } })),
  });
}

function agent(id: string, role: string): AgentSpec {
  return AgentSpecSchema.parse({ id, role, instructions: `Do your part of the benchmark task as ${id}.` });
}

/** a1 → a2 → … → aN; aN is final. */
export function chainTemplate(n: number): Template {
  const agents = Array.from({ length: n }, (_, i) => agent(`a${i + 1}`, 'Worker'));
  const edges = agents.slice(1).map((a, i) => ({ from: agents[i].id, to: a.id }));
  return { name: `chain-${n}`, agents, edges, loops: [], finalAgent: agents[n - 1].id };
}

/** D layers of W agents, each layer fully connected to the next, then one final agent fed by the last layer. */
export function layeredTemplate(width: number, depth: number): Template {
  const layers: AgentSpec[][] = [];
  for (let d = 0; d < depth; d++) layers.push(Array.from({ length: width }, (_, w) => agent(`l${d + 1}w${w + 1}`, 'Worker')));
  const final = agent('final', 'Worker');
  const edges: { from: string; to: string }[] = [];
  for (let d = 0; d + 1 < depth; d++) for (const a of layers[d]) for (const b of layers[d + 1]) edges.push({ from: a.id, to: b.id });
  for (const a of layers[depth - 1]) edges.push({ from: a.id, to: final.id });
  return { name: `layers-${width}x${depth}`, agents: [...layers.flat(), final], edges, loops: [], finalAgent: final.id };
}

/**
 * A task input that forces `template` (and every agent on BENCH_BACKBONE).
 * Templates over the schema's 12-agent cap (the history-growth chains of
 * 100 and 300 calls) are validated agent by agent and set after parsing:
 * the workflow does not re-validate its input, and a chain is the plainest
 * way to get N model calls in one run.
 */
export function forcedInput(template: Template, latencyMs: number, opts: { budgetUsd?: number; task?: string } = {}): TaskInput {
  const assignment = Object.fromEntries(template.agents.map((a) => [a.id, BENCH_BACKBONE]));
  const small = template.agents.length <= MAX_SCHEMA_AGENTS;
  const input = TaskInputSchema.parse({
    task: opts.task ?? 'Benchmark: pass the note along the team.',
    budgetUsd: opts.budgetUsd ?? 1000,
    pool: simPool(latencyMs),
    options: { template: small ? template : undefined, assignment, rectifier: true, seed: 1 },
  });
  if (!small) input.options.template = template;
  return input;
}
