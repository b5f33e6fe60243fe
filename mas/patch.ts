/**
 * M_{t+1} = apply(M_t, patch), and which finished outputs survive it.
 * Pure, so the workflow can apply a patch deterministically on replay and the
 * Rectifier activity can dry-run a proposal before returning it.
 */
import type { AgentOutput, Config, Patch, PatchOp, Pool, Template } from './schemas';
import { assignmentProblems, fingerprints, neededAgents, predecessors, successors, templateProblems } from './graph';
import { describeOperator } from './operators';
import { stableStringify } from './hash';

export class PatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PatchError';
  }
}

function requireAgent(t: Template, id: string, op: string): void {
  if (!t.agents.some((a) => a.id === id)) throw new PatchError(`${op}: unknown agent "${id}"`);
}

function applyOp(t: Template, assignment: Record<string, string>, op: PatchOp): Template {
  switch (op.op) {
    case 'set_backbone':
      requireAgent(t, op.agent, op.op);
      assignment[op.agent] = op.backbone;
      return t;
    case 'set_instructions':
      requireAgent(t, op.agent, op.op);
      return { ...t, agents: t.agents.map((a) => (a.id === op.agent ? { ...a, instructions: op.instructions } : a)) };
    case 'set_tools':
      requireAgent(t, op.agent, op.op);
      return { ...t, agents: t.agents.map((a) => (a.id === op.agent ? { ...a, tools: [...op.tools] } : a)) };
    case 'add_agent':
      if (t.agents.some((a) => a.id === op.agent.id)) throw new PatchError(`add_agent: agent "${op.agent.id}" already exists`);
      assignment[op.agent.id] = op.backbone;
      return { ...t, agents: [...t.agents, op.agent] };
    case 'remove_agent':
      requireAgent(t, op.agent, op.op);
      if (t.finalAgent === op.agent) throw new PatchError(`remove_agent: "${op.agent}" is the final agent; set_final to another agent first`);
      delete assignment[op.agent];
      return {
        ...t,
        agents: t.agents.filter((a) => a.id !== op.agent),
        edges: t.edges.filter((e) => e.from !== op.agent && e.to !== op.agent),
        loops: t.loops.filter((l) => l.from !== op.agent && l.to !== op.agent),
      };
    case 'add_edge':
      requireAgent(t, op.from, op.op);
      requireAgent(t, op.to, op.op);
      if (t.edges.some((e) => e.from === op.from && e.to === op.to)) return t;
      return { ...t, edges: [...t.edges, { from: op.from, to: op.to }] };
    case 'remove_edge':
      if (!t.edges.some((e) => e.from === op.from && e.to === op.to)) throw new PatchError(`remove_edge: there is no edge ${op.from} → ${op.to}`);
      return { ...t, edges: t.edges.filter((e) => !(e.from === op.from && e.to === op.to)) };
    case 'set_final':
      requireAgent(t, op.agent, op.op);
      return { ...t, finalAgent: op.agent };
    case 'replace_topology':
      for (const k of Object.keys(assignment)) delete assignment[k];
      Object.assign(assignment, op.assignment);
      return op.template;
    case 'set_operator': {
      requireAgent(t, op.agent, op.op);
      const operator = op.operator;
      // A programmer's program runs in the sandbox by itself: switching to one removes the tools it would not be offered.
      const toolless = operator?.kind === 'programmer' || operator?.kind === 'test' || (operator?.kind === 'ensemble' && operator.member === 'programmer');
      return {
        ...t,
        agents: t.agents.map((a) => {
          if (a.id !== op.agent) return a;
          const { operator: _old, ...plain } = a;
          return { ...plain, ...(operator ? { operator: { ...operator } } : {}), ...(toolless ? { tools: [] } : {}) };
        }),
      };
    }
    case 'set_k': {
      requireAgent(t, op.agent, op.op);
      const a = t.agents.find((x) => x.id === op.agent)!;
      if (a.operator?.kind !== 'ensemble') throw new PatchError(`set_k: agent "${op.agent}" is not an ensemble (use set_operator to make it one)`);
      return { ...t, agents: t.agents.map((x) => (x.id === op.agent && x.operator?.kind === 'ensemble' ? { ...x, operator: { ...x.operator, k: op.k } } : x)) };
    }
    case 'bypass_agent':
      return bypass(t, assignment, op.agent);
  }
}

/**
 * Removes a step and joins each of its inputs to each of its outputs, so the team stays
 * connected. A final agent hands the answer to its one input; with several inputs the
 * Rectifier has to choose (set_final first).
 */
function bypass(t: Template, assignment: Record<string, string>, id: string): Template {
  requireAgent(t, id, 'bypass_agent');
  const inputs = predecessors(t, id);
  const outputs = successors(t, id);
  let finalAgent = t.finalAgent;
  if (finalAgent === id) {
    if (inputs.length !== 1) throw new PatchError(`bypass_agent: "${id}" is the final agent and has ${inputs.length} inputs; set_final to the agent that should answer first`);
    finalAgent = inputs[0];
  }
  const edges = t.edges.filter((e) => e.from !== id && e.to !== id);
  for (const from of inputs) for (const to of outputs) if (!edges.some((e) => e.from === from && e.to === to)) edges.push({ from, to });
  delete assignment[id];
  return { ...t, agents: t.agents.filter((a) => a.id !== id), edges, loops: t.loops.filter((l) => l.from !== id && l.to !== id), finalAgent };
}

/**
 * Applies every op in order and validates the result (template, tools,
 * assignment against the pool). Throws PatchError with a sentence the
 * Rectifier can act on in its repair round.
 */
export function applyPatch(config: Config, patch: Patch, pool: Pool, knownTools?: readonly string[]): Config {
  // structuredClone does not exist in the workflow sandbox; templates are plain JSON.
  let template: Template = JSON.parse(JSON.stringify(config.template)) as Template;
  const assignment: Record<string, string> = { ...config.assignment };
  for (const op of patch.ops) template = applyOp(template, assignment, op);
  // Op shapes (agent specs, templates) were checked by PatchSchema where the patch entered
  // (the Rectifier activity, the client); here only the rules that span the whole system.
  const problems = [
    ...templateProblems(template, knownTools),
    ...assignmentProblems(
      template,
      assignment,
      pool.backbones.map((b) => b.id),
    ),
  ];
  if (problems.length) throw new PatchError(`the patched system is invalid: ${problems.join('; ')}`);
  for (const id of Object.keys(assignment)) if (!template.agents.some((a) => a.id === id)) delete assignment[id];
  const next: Config = { template, assignment, version: config.version + 1 };
  if (sameSystem(config, next)) throw new PatchError('the patch changes nothing');
  return next;
}

export function sameSystem(a: Config, b: Config): boolean {
  return stableStringify(a.template) === stableStringify(b.template) && stableStringify(a.assignment) === stableStringify(b.assignment);
}

export function samePatch(a: PatchOp[], b: PatchOp[]): boolean {
  return stableStringify(a) === stableStringify(b);
}

/**
 * Resume from s_t: an output is kept when the agent still exists, is still
 * needed, and its fingerprint (own spec, backbone, upstream chain) did not change.
 * Everything the patch touched, and everything downstream of it, runs again.
 */
export function survivingOutputs(
  outputs: Record<string, AgentOutput>,
  next: Config,
  rounds: Record<string, number> = {},
): { kept: Record<string, AgentOutput>; rerun: string[] } {
  const fp = fingerprints(next.template, next.assignment, rounds);
  const needed = neededAgents(next.template);
  const kept: Record<string, AgentOutput> = {};
  for (const [id, out] of Object.entries(outputs)) {
    // An agent the new topology no longer needs keeps nothing: its output must not pose as a partial answer.
    if (fp[id] !== undefined && needed.has(id) && out.inputsKey === fp[id]) kept[id] = out;
  }
  const rerun = next.template.agents.map((a) => a.id).filter((id) => needed.has(id) && !kept[id]);
  return { kept, rerun };
}

/** A one-line-per-change description of M_t → M_{t+1}, for audit and progress output. */
export function describeDiff(prev: Config, next: Config): string[] {
  const lines: string[] = [];
  const before = new Map(prev.template.agents.map((a) => [a.id, a]));
  const after = new Map(next.template.agents.map((a) => [a.id, a]));
  for (const [id, a] of after) {
    const b = before.get(id);
    if (!b) {
      lines.push(`+ agent ${id} (${a.role}) on ${next.assignment[id]}`);
      continue;
    }
    if (prev.assignment[id] !== next.assignment[id]) lines.push(`~ ${id}.backbone: ${prev.assignment[id]} → ${next.assignment[id]}`);
    if (b.instructions !== a.instructions) lines.push(`~ ${id}.instructions: ${instructionsChange(b.instructions, a.instructions)}`);
    if (stableStringify(b.tools) !== stableStringify(a.tools)) lines.push(`~ ${id}.tools: [${b.tools.join(', ')}] → [${a.tools.join(', ')}]`);
    if (b.role !== a.role) lines.push(`~ ${id}.role: ${b.role} → ${a.role}`);
    if (stableStringify(b.operator ?? null) !== stableStringify(a.operator ?? null)) lines.push(`~ ${id}.operator: ${describeOperator(b.operator)} → ${describeOperator(a.operator)}`);
  }
  for (const id of before.keys()) if (!after.has(id)) lines.push(`- agent ${id}`);
  const edgeKey = (e: { from: string; to: string }) => `${e.from} → ${e.to}`;
  const eb = new Set(prev.template.edges.map(edgeKey));
  const ea = new Set(next.template.edges.map(edgeKey));
  for (const e of ea) if (!eb.has(e)) lines.push(`+ edge ${e}`);
  for (const e of eb) if (!ea.has(e)) lines.push(`- edge ${e}`);
  if (prev.template.finalAgent !== next.template.finalAgent) lines.push(`~ finalAgent: ${prev.template.finalAgent} → ${next.template.finalAgent}`);
  return lines;
}

/** Rectifiers usually append a note; show what was added rather than two identical-looking prefixes. */
function instructionsChange(before: string, after: string): string {
  if (after.startsWith(before)) return `+ "${clip(after.slice(before.length).trim(), 160)}"`;
  return `"${clip(before)}" → "${clip(after)}"`;
}

function clip(s: string, n = 60): string {
  return s.length > n ? s.slice(0, n - 1) + '…' : s;
}
