/**
 * The protocol P as a graph: validation, topological order, the ready set, and
 * the fingerprints that decide which finished outputs survive a patch.
 */
import type { AgentSpec, Assignment, Template } from './schemas';
import { fnv1a, stableStringify } from './hash';
import { KNOWN_TOOLS } from './tools';
import { ASSIGNMENT_RULES, TEMPLATE_RULES as R } from './prompts/rules';
import { operatorProblems } from './operators';

export function predecessors(t: Template, agent: string): string[] {
  return t.edges.filter((e) => e.to === agent).map((e) => e.from);
}

export function successors(t: Template, agent: string): string[] {
  return t.edges.filter((e) => e.from === agent).map((e) => e.to);
}

/** Kahn's algorithm; returns null when the edges have a cycle. Ties keep the agents' listed order. */
export function topologicalOrder(t: Template): string[] | null {
  const indegree = new Map(t.agents.map((a) => [a.id, 0]));
  for (const e of t.edges) indegree.set(e.to, (indegree.get(e.to) ?? 0) + 1);
  const order: string[] = [];
  const queue = t.agents.filter((a) => indegree.get(a.id) === 0).map((a) => a.id);
  while (queue.length) {
    const id = queue.shift()!;
    order.push(id);
    for (const next of successors(t, id)) {
      const d = indegree.get(next)! - 1;
      indegree.set(next, d);
      if (d === 0) queue.push(next);
    }
  }
  return order.length === t.agents.length ? order : null;
}

function closure(start: string, step: (id: string) => string[]): Set<string> {
  const seen = new Set<string>();
  const stack = [start];
  while (stack.length) {
    for (const n of step(stack.pop()!)) {
      if (!seen.has(n)) {
        seen.add(n);
        stack.push(n);
      }
    }
  }
  return seen;
}

export function ancestors(t: Template, agent: string): Set<string> {
  return closure(agent, (id) => predecessors(t, id));
}

export function descendants(t: Template, agent: string): Set<string> {
  return closure(agent, (id) => successors(t, id));
}

/** Agents whose output can reach the final agent; the others would be wasted calls. */
export function neededAgents(t: Template): Set<string> {
  const needed = ancestors(t, t.finalAgent);
  needed.add(t.finalAgent);
  return needed;
}

/** Upper bound on team size (schema and patches alike). */
export const MAX_AGENTS = 12;
/** Agent and backbone ids: they appear in prompts, file names and Mermaid diagrams. */
export const ID_PATTERN = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;

/**
 * Everything that is wrong with a template, as sentences a model (or a person)
 * can act on (mas/prompts/rules.ts). Empty means valid.
 */
export function templateProblems(t: Template, knownTools: readonly string[] = KNOWN_TOOLS): string[] {
  const problems: string[] = [];
  if (t.agents.length === 0) problems.push(R.noAgents());
  if (t.agents.length > MAX_AGENTS) problems.push(R.tooMany(t.agents.length, MAX_AGENTS));
  const ids = new Set<string>();
  for (const a of t.agents) {
    if (!ID_PATTERN.test(a.id)) problems.push(R.badId(a.id));
    if (ids.has(a.id)) problems.push(R.duplicateId(a.id));
    ids.add(a.id);
    for (const tool of a.tools) {
      if (!knownTools.includes(tool)) problems.push(R.unknownTool(a.id, tool, knownTools));
    }
  }
  if (!ids.has(t.finalAgent)) problems.push(R.unknownFinal(t.finalAgent));
  const seenEdges = new Set<string>();
  for (const e of t.edges) {
    if (!ids.has(e.from)) problems.push(R.edgeFromUnknown(e.from, e.to));
    if (!ids.has(e.to)) problems.push(R.edgeToUnknown(e.from, e.to));
    if (e.from === e.to) problems.push(R.selfLoop(e.from, e.to));
    const key = `${e.from}>${e.to}`;
    if (seenEdges.has(key)) problems.push(R.duplicateEdge(e.from, e.to));
    seenEdges.add(key);
  }
  if (problems.length === 0 && topologicalOrder(t) === null) {
    problems.push(R.cycle());
  }
  const structural = problems.length === 0;
  // Reachability still makes sense around a self-loop or a cycle, as long as every name is known,
  // so a repair round hears about every rule at once.
  const namesKnown = ids.has(t.finalAgent) && t.edges.every((e) => ids.has(e.from) && ids.has(e.to));
  if (namesKnown) problems.push(...connectivityProblems({ ...t, edges: t.edges.filter((e) => e.from !== e.to) }));
  const loopsFrom = new Set<string>();
  for (const l of t.loops) {
    if (!ids.has(l.from) || !ids.has(l.to)) {
      problems.push(R.loopUnknownAgent(l.from, l.to));
    } else if (l.from === l.to) {
      problems.push(R.loopSelf(l.from, l.to));
    } else if (structural && !ancestors(t, l.from).has(l.to)) {
      problems.push(R.loopNotUpstream(l.from, l.to));
    }
    if (loopsFrom.has(l.from)) problems.push(R.twoLoops(l.from));
    loopsFrom.add(l.from);
  }
  problems.push(...operatorProblems(t, knownTools));
  return problems;
}

/**
 * Rules a weak Generator breaks most (docs/history-weak-models.md): an agent whose output never reaches the
 * final agent is a wasted call (or, worse, the real work while an upstream agent is final),
 * and a final agent that feeds others means the answer is taken before the team finished.
 * Only meaningful on a well-formed DAG; one sentence per agent so a repair round can act on it.
 */
function connectivityProblems(t: Template): string[] {
  const problems: string[] = [];
  const feeds = successors(t, t.finalAgent);
  if (feeds.length) {
    problems.push(R.finalFeedsOthers(t.finalAgent, feeds));
  }
  const reach = ancestors(t, t.finalAgent);
  for (const a of t.agents) {
    if (a.id === t.finalAgent || reach.has(a.id)) continue;
    problems.push(R.unreachable(a.id, t.finalAgent));
  }
  return problems;
}

export function assignmentProblems(t: Template, assignment: Assignment, backboneIds: readonly string[]): string[] {
  const problems: string[] = [];
  for (const a of t.agents) {
    const b = assignment[a.id];
    if (!b) problems.push(ASSIGNMENT_RULES.noBackbone(a.id));
    else if (!backboneIds.includes(b)) problems.push(ASSIGNMENT_RULES.unknownBackbone(a.id, b, backboneIds));
  }
  return problems;
}

/**
 * Agents that can start now: needed, not finished, not running, and every
 * predecessor finished. Listed in topological order so runs are reproducible.
 */
export function readyAgents(t: Template, finished: ReadonlySet<string>, running: ReadonlySet<string>): string[] {
  const order = topologicalOrder(t) ?? [];
  const needed = neededAgents(t);
  return order.filter(
    (id) => needed.has(id) && !finished.has(id) && !running.has(id) && predecessors(t, id).every((p) => finished.has(p)),
  );
}

/**
 * A fingerprint of everything an agent's output depends on: its own spec, its
 * backbone, the loop round it runs in, and (recursively) its upstream agents.
 * An output computed under an equal fingerprint is still valid after a patch.
 */
export function fingerprints(t: Template, assignment: Assignment, rounds: Record<string, number> = {}): Record<string, string> {
  const order = topologicalOrder(t) ?? t.agents.map((a) => a.id);
  const byId = new Map<string, AgentSpec>(t.agents.map((a) => [a.id, a]));
  const fp: Record<string, string> = {};
  for (const id of order) {
    const upstream = predecessors(t, id)
      .sort()
      .map((p) => `${p}=${fp[p] ?? '?'}`);
    fp[id] = fnv1a(stableStringify({ spec: byId.get(id), backbone: assignment[id] ?? null, round: rounds[id] ?? 0, upstream }));
  }
  return fp;
}

/**
 * The final agent a design obviously meant: when the named finalAgent breaks the
 * connectivity rules but the graph (acyclic, names known) has exactly one sink that
 * every agent reaches, that sink is the answer's agent. On the local 1.5B, 12 of 13
 * Generator fallbacks (GSM8K dev 1–5) were rejected for these rules — typically a
 * checker last in the chain while finalAgent named the solver — and the repair round
 * did not fix them (designs with a second sink still fall back). Returns null when no
 * such rewrite applies.
 */
export function obviousFinalAgent(t: Template): string | null {
  const ids = new Set(t.agents.map((a) => a.id));
  if (!t.edges.every((e) => ids.has(e.from) && ids.has(e.to) && e.from !== e.to) || topologicalOrder(t) === null) return null;
  if (connectivityProblems(t).length === 0) return null;
  const sinks = t.agents.filter((a) => successors(t, a.id).length === 0).map((a) => a.id);
  if (sinks.length !== 1 || sinks[0] === t.finalAgent) return null;
  const reach = ancestors(t, sinks[0]);
  return t.agents.every((a) => a.id === sinks[0] || reach.has(a.id)) ? sinks[0] : null;
}
