/**
 * The value-guided prior: which meta-agent decisions won, per task kind, learned from the CTO
 * trees' preference pairs — the same pairs and ΔV `mas2 cto` exports (mas/cto.ts), so the prior
 * and DPO learn from identical credit. A decision is keyed by its canonical signature, which
 * drops free text (names, instructions, rationales) and keeps what is chosen: a blueprint and
 * its parameters, the shape of a free-form team, the backbone of each agent, a patch's ops.
 *
 * Runtime use (prompt exemplars, or a chooser among catalogue blueprints) goes through
 * `priorExemplars`, the one entry point the meta-agents call.
 */
import type { CtoTree } from './cto';
import type { MetaRole } from './schemas';
import { classifyTask, type TaskKind } from './templates';

// ---------------------------------------------------------------- signatures
/** Keys that carry wording rather than a choice: left out of every signature. */
const FREE_TEXT = new Set(['name', 'role', 'instructions', 'expects', 'rationale', 'reason', 'description']);

/** JSON with sorted keys and free-text fields removed, for anything that is not a template. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    return Object.fromEntries(
      Object.keys(o)
        .filter((k) => !FREE_TEXT.has(k) && o[k] !== undefined)
        .sort()
        .map((k) => [k, canonical(o[k])]),
    );
  }
  return value;
}

interface TemplateLike {
  agents: { id: string; tools?: string[]; verifier?: boolean }[];
  edges?: { from: string; to: string }[];
  loops?: { from: string; to: string; maxRounds: number }[];
  finalAgent?: string;
}

const isTemplate = (v: unknown): v is TemplateLike => !!v && typeof v === 'object' && Array.isArray((v as TemplateLike).agents);

/**
 * A free-form team by its shape: agents in a canonical topological order (ties by tools, then
 * id), each as its sorted tools and whether it verifies, edges and loops as index pairs, and the
 * final agent's index. Two teams that differ only in names or wording have the same signature.
 */
export function teamShape(t: TemplateLike): unknown {
  const ids = t.agents.map((a) => a.id);
  const indeg = new Map(ids.map((id) => [id, 0]));
  for (const e of t.edges ?? []) indeg.set(e.to, (indeg.get(e.to) ?? 0) + 1);
  const byId = new Map(t.agents.map((a) => [a.id, a]));
  const label = (id: string) => `${[...(byId.get(id)?.tools ?? [])].sort().join('+')}${byId.get(id)?.verifier ? '!' : ''}`;
  const order: string[] = [];
  let ready = ids.filter((id) => !indeg.get(id));
  while (ready.length) {
    ready.sort((a, b) => label(a).localeCompare(label(b)) || a.localeCompare(b));
    const id = ready.shift()!;
    order.push(id);
    for (const e of (t.edges ?? []).filter((x) => x.from === id)) {
      indeg.set(e.to, indeg.get(e.to)! - 1);
      if (!indeg.get(e.to)) ready.push(e.to);
    }
  }
  for (const id of ids) if (!order.includes(id)) order.push(id); // a cycle: keep the rest in file order
  const at = (id: string) => order.indexOf(id);
  return {
    agents: order.map(label),
    edges: (t.edges ?? []).map((e) => [at(e.from), at(e.to)]).sort((a, b) => a[0] - b[0] || a[1] - b[1]),
    loops: (t.loops ?? []).map((l) => [at(l.from), at(l.to), l.maxRounds]).sort((a, b) => a[0] - b[0] || a[1] - b[1]),
    final: t.finalAgent ? at(t.finalAgent) : null,
  };
}

/** An Implementer decision as agent → backbone, whether it came as `{assignment: [...]}` or as a map. */
function assignmentMap(output: unknown): Record<string, string> | null {
  if (!output || typeof output !== 'object') return null;
  const list = (output as { assignment?: unknown }).assignment;
  if (Array.isArray(list)) return Object.fromEntries(list.map((a: { agent: string; backbone: string }) => [a.agent, a.backbone]));
  return output as Record<string, string>;
}

/**
 * The canonical signature of a meta-agent decision. A Generator choice from the blueprint catalogue
 * (`{blueprint, k, tools, ...}`) is the blueprint and its parameters; a free-form template is its
 * team shape; an Implementer decision is its agent → backbone map; a Rectifier patch is its scope
 * and ops without wording (a replaced topology by its shape).
 */
export function decisionSignature(role: MetaRole, output: unknown): string {
  if (role === 'generator') {
    if (output && typeof output === 'object' && typeof (output as { blueprint?: unknown }).blueprint === 'string') return `blueprint ${JSON.stringify(canonical(output))}`;
    if (isTemplate(output)) return `team ${JSON.stringify(teamShape(output))}`;
  }
  if (role === 'implementer') {
    const map = assignmentMap(output);
    if (map) return `assign ${JSON.stringify(canonical(map))}`;
  }
  if (role === 'rectifier' && output && typeof output === 'object' && Array.isArray((output as { ops?: unknown }).ops)) {
    const p = output as { scope?: string; ops: Record<string, unknown>[] };
    const ops = p.ops.map((op) => {
      if (op.op === 'replace_topology' && isTemplate(op.template)) return { op: op.op, team: teamShape(op.template), assignment: canonical(op.assignment) };
      if (op.op === 'add_agent' && op.agent && typeof op.agent === 'object') {
        const a = op.agent as { tools?: string[]; verifier?: boolean };
        return { op: op.op, tools: [...(a.tools ?? [])].sort(), verifier: !!a.verifier, backbone: op.backbone };
      }
      return canonical(op);
    });
    return `patch ${JSON.stringify({ scope: p.scope ?? 'local', ops })}`;
  }
  return `${role} ${JSON.stringify(canonical(output))}`;
}

// ---------------------------------------------------------------- the prior
export interface PriorEntry {
  signature: string;
  /** Decisions with this signature that have a value (in any tree of this kind). */
  decisions: number;
  /** Mean V over those decisions. */
  meanValue: number;
  /** Preference pairs it won / lost, and ΣΔV won − ΣΔV lost. */
  won: number;
  lost: number;
  netDeltaV: number;
  /** netDeltaV / decisions: how much better than its siblings this choice did, on average. */
  score: number;
  /** The output of its best-valued decision, for a prompt exemplar; with that decision's task. */
  example: { output: unknown; task: string; value: number };
}

/** Per meta-agent role and task kind, every decision signature seen, best first. */
export type Prior = Record<MetaRole, Partial<Record<TaskKind, PriorEntry[]>>>;

export function buildPrior(trees: CtoTree[]): Prior {
  type Acc = { values: number[]; won: number; lost: number; net: number; example: PriorEntry['example'] };
  const acc = new Map<string, Acc>();
  const keyOf = (role: MetaRole, kind: TaskKind, sig: string) => JSON.stringify([role, kind, sig]);
  for (const t of trees) {
    const kind = classifyTask(t.task);
    const sigOf = new Map<string, string>();
    for (const n of Object.values(t.nodes)) {
      if (n.role === 'root' || !n.decision || typeof n.value !== 'number') continue;
      const sig = decisionSignature(n.role, n.decision.output);
      sigOf.set(n.id, sig);
      const k = keyOf(n.role, kind, sig);
      const a = acc.get(k) ?? { values: [], won: 0, lost: 0, net: 0, example: { output: n.decision.output, task: t.task, value: n.value } };
      a.values.push(n.value);
      if (n.value > a.example.value) a.example = { output: n.decision.output, task: t.task, value: n.value };
      acc.set(k, a);
    }
    for (const p of t.preferences) {
      const win = acc.get(keyOf(p.role, kind, sigOf.get(p.chosen)!));
      const lose = acc.get(keyOf(p.role, kind, sigOf.get(p.rejected)!));
      if (win) {
        win.won++;
        win.net += p.weight;
      }
      if (lose) {
        lose.lost++;
        lose.net -= p.weight;
      }
    }
  }
  const prior: Prior = { generator: {}, implementer: {}, rectifier: {} };
  for (const [k, a] of acc) {
    const [role, kind, signature] = JSON.parse(k) as [MetaRole, TaskKind, string];
    const entry: PriorEntry = {
      signature,
      decisions: a.values.length,
      meanValue: a.values.reduce((s, v) => s + v, 0) / a.values.length,
      won: a.won,
      lost: a.lost,
      netDeltaV: a.net,
      score: a.net / a.values.length,
      example: a.example,
    };
    (prior[role][kind] ??= []).push(entry);
  }
  for (const byKind of Object.values(prior)) for (const list of Object.values(byKind)) list!.sort((a, b) => b.score - a.score || b.meanValue - a.meanValue || a.signature.localeCompare(b.signature));
  return prior;
}

/**
 * The prior's advice for one meta-agent call: the best decisions for this task's kind that beat
 * their siblings on balance (score > 0), best first, at most `k`. This is the runtime entry point:
 * the meta-agents show them as exemplars in their prompts, or a chooser over the blueprint
 * catalogue ranks blueprints by `score`. An empty list means the prior has nothing to say.
 */
export function priorExemplars(prior: Prior, role: MetaRole, task: string, k = 2): PriorEntry[] {
  return (prior[role][classifyTask(task)] ?? []).filter((e) => e.score > 0).slice(0, k);
}
