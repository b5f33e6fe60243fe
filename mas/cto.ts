/**
 * CTO — Collaborative Tree Optimization (docs/cto.md; the MAS² paper, §3.2–3.3), the pure
 * part: the shape of a query's decision tree, path credit propagation and the
 * preference tuples for value-weighted DPO. No I/O: the ctoCollect workflow
 * builds the tree, the client loads the prompts and writes the JSONL.
 *
 * Tree. The root is the query. Its children are the K Generator samples; each
 * has the N Implementer samples for its template as children; an Implementer
 * node owns the run of its config (a child mas2Task). When that run stops at a
 * Rectifier trigger ("branched"), the node gets M Rectifier samples as
 * children, each owning the run that resumes from the same s_t with its patch
 * — and so on, up to a depth limit. A node whose run ended (completed, failed,
 * budget_exhausted, cancelled) is a leaf and carries the `outcome`.
 *
 * Credit. A trajectory τ is the path root → leaf.
 *   cost(τ)    = Σ costUsd of the meta decisions on the path (made by the CTO
 *                workflow) + the leaf run's total cost (a resumed run carries
 *                the cost of its ancestors' runs up to s_t, so nothing is
 *                counted twice);
 *   C_norm(τ)  = cost(τ) / mean_{τ' of this query} cost(τ')   (1 when the mean is 0),
 *                floored at `minCostNorm` (default 0.1) so a near-free
 *                trajectory cannot take an unbounded reward;
 *   R(τ)       = 1[pass(τ)] / C_norm(τ);
 *   V(v)       = mean R(τ) over the leaves under v (undefined without leaves).
 * Preferences: for two children a, b of the same node (so: the same
 * meta-agent, the same context) with V(a) − V(b) > EPS and different decision
 * texts, (context, a, b, ΔV = V(a) − V(b)).
 */
import type { MetaDecision, MetaRole, RunStatus, Trigger } from './schemas';
import type { ChatMessage } from './messages';
import type { CtoParams, EvaluatorName } from './ctoSchemas';
import type { RejectedSignal } from './handlerInputs';

export type { CtoInput, CtoParams, CtoRequest, CtoTaskLine, EvaluatorName } from './ctoSchemas';

export interface EvaluateInput {
  workflowId: string;
  evaluator: string;
  /** The answer inline, or its preview when answerRef is set (the activity reads the full text). */
  answer: string | null;
  answerRef?: string;
  expected?: string;
  tests?: string;
  tolerance?: number;
}
export interface EvaluateOutput {
  pass: boolean;
  detail: string;
}

// ---------------------------------------------------------------- the tree
export type CtoRole = 'root' | MetaRole;

export interface CtoDecision {
  /** What the meta-agent emitted (template, implementer output, patch), as recorded by its activity. */
  output: unknown;
  /** Blob reference of the chat messages the meta-agent saw. */
  promptRef?: string;
  source: MetaDecision['source'];
  backbone?: string;
  rationale: string;
  costUsd: number;
  callKey: string;
}

export interface CtoRun {
  workflowId: string;
  status: RunStatus | 'error';
  /** The run's total cost (for a resumed run: including its ancestors' runs up to s_t). */
  costUsd: number;
  /** The run's answer preview; the full text is in the blob store at answerRef. */
  answer: string | null;
  answerRef?: string;
  reason?: string;
  /** Set when the run stopped at a trigger and its children are Rectifier samples. */
  trigger?: Trigger;
}

export interface CtoOutcome {
  pass: boolean;
  detail: string;
  /** Cost of the run that ended this trajectory (see CtoRun.costUsd). */
  runCostUsd: number;
}

export interface CtoNode {
  /** Path id: "root", "g0", "g0.i1", "g0.i1.r0", "g0.i1.r0.r1". */
  id: string;
  parent: string | null;
  role: CtoRole;
  /** Sample index among its siblings. */
  sample: number;
  /** Rectifier decisions on the path (0 for generator/implementer nodes). */
  depth: number;
  children: string[];
  decision?: CtoDecision;
  run?: CtoRun;
  /** Present exactly on leaves. */
  outcome?: CtoOutcome;
  /** Why this node could not be expanded (meta-agent or child failure). */
  error?: string;
  /** Filled by `assignCredit`. */
  value?: number | null;
  reward?: number;
  trajectoryCostUsd?: number;
}

export interface CtoPreference {
  role: MetaRole;
  parent: string;
  chosen: string;
  rejected: string;
  weight: number;
  promptRef: string;
  chosenText: string;
  rejectedText: string;
}

export interface CtoTree {
  queryId: string;
  task: string;
  workflowId: string;
  evaluator: EvaluatorName;
  params: CtoParams;
  root: string;
  nodes: Record<string, CtoNode>;
  meanCostUsd: number;
  leaves: number;
  passed: number;
  preferences: CtoPreference[];
  /** How many times the collection continued as new. */
  continuedAsNew?: number;
  /** Signals the collection received and ignored (it handles none); bounded like a task's. */
  rejectedSignals?: RejectedSignal[];
  rejectedSignalCount?: number;
}

/**
 * What a ctoCollect run hands to the next when it continues as new: the tree so far and the
 * meta-agents' values its unfinished nodes still need (templates, assignments, patches), so
 * no decision is asked for again and no child run is started again.
 */
export interface CtoCarried {
  nodes: Record<string, CtoNode>;
  /** Per node id: the Generator's template, the Implementer's assignment or the Rectifier's patch. */
  values: Record<string, unknown>;
  metaCalls: number;
  rejectedSignals: RejectedSignal[];
  rejectedSignalCount: number;
  continuedAsNew: number;
}

export const ROOT_ID = 'root';

export function childId(parentId: string, role: MetaRole, sample: number): string {
  const letter = role === 'generator' ? 'g' : role === 'implementer' ? 'i' : 'r';
  return parentId === ROOT_ID ? `${letter}${sample}` : `${parentId}.${letter}${sample}`;
}

/**
 * The callKey of a CTO meta-agent sample: `cto:<queryId>:<node path>:<gen|imp|rec>:<sample>`.
 * The sample index is always the last segment, so the simulator can read it.
 */
export function ctoCallKey(queryId: string, parentId: string, role: MetaRole, sample: number): string {
  const kind = role === 'generator' ? 'gen' : role === 'implementer' ? 'imp' : 'rec';
  return `cto:${queryId}:${parentId}:${kind}:${sample}`;
}

/** The sample index a CTO callKey carries (0 for every other callKey). Tolerates the `#attempt` suffix. */
export function sampleOfCallKey(callKey: string): number {
  if (!callKey.startsWith('cto:')) return 0;
  const m = /:(\d+)(?:#\d+)?$/.exec(callKey);
  return m ? Number(m[1]) : 0;
}

// ---------------------------------------------------------------- decision texts
/**
 * A decision as the meta-agent emits it (JSON text in its output schema).
 * Rule-based decisions are put in the same shape: an Implementer fallback is
 * an agent → backbone map, emitted as `{assignment: [{agent, backbone, reason}], rationale}`.
 */
export function decisionText(role: MetaRole, output: unknown): string {
  if (role === 'implementer' && output && typeof output === 'object' && !Array.isArray((output as { assignment?: unknown }).assignment)) {
    const map = output as Record<string, string>;
    return JSON.stringify({ assignment: Object.keys(map).map((agent) => ({ agent, backbone: map[agent], reason: '' })), rationale: '' });
  }
  return JSON.stringify(output ?? null);
}

// ---------------------------------------------------------------- credit
/** ΔV at or below this is noise (floating point), not a preference. */
export const EPS = 1e-9;

export function leavesUnder(nodes: Record<string, CtoNode>, id: string): string[] {
  const out: string[] = [];
  const stack = [id];
  while (stack.length) {
    const v = nodes[stack.pop()!];
    if (!v) continue;
    if (v.outcome) out.push(v.id);
    for (let i = v.children.length - 1; i >= 0; i--) stack.push(v.children[i]);
  }
  return out;
}

export function pathTo(nodes: Record<string, CtoNode>, id: string): string[] {
  const path: string[] = [];
  for (let v: CtoNode | undefined = nodes[id]; v; v = v.parent === null ? undefined : nodes[v.parent]) path.unshift(v.id);
  return path;
}

export function trajectoryCost(nodes: Record<string, CtoNode>, leafId: string): number {
  const leaf = nodes[leafId];
  const meta = pathTo(nodes, leafId).reduce((sum, id) => sum + (nodes[id].decision?.costUsd ?? 0), 0);
  return meta + (leaf.outcome?.runCostUsd ?? 0);
}

export interface Credit {
  meanCostUsd: number;
  /** Per leaf. */
  reward: Record<string, number>;
  cost: Record<string, number>;
  /** Per node; null when no leaf lies under it. */
  value: Record<string, number | null>;
}

export function computeCredit(nodes: Record<string, CtoNode>, rootId = ROOT_ID, minCostNorm = 0.1): Credit {
  const leaves = leavesUnder(nodes, rootId);
  const cost: Record<string, number> = {};
  for (const l of leaves) cost[l] = trajectoryCost(nodes, l);
  const meanCostUsd = leaves.length ? leaves.reduce((s, l) => s + cost[l], 0) / leaves.length : 0;
  const reward: Record<string, number> = {};
  for (const l of leaves) {
    const cNorm = meanCostUsd > 0 ? Math.max(cost[l] / meanCostUsd, minCostNorm) : 1;
    reward[l] = nodes[l].outcome!.pass ? 1 / cNorm : 0;
  }
  const value: Record<string, number | null> = {};
  // Post-order sums, so the whole tree is valued in one pass.
  const visit = (id: string): { sum: number; count: number } => {
    const v = nodes[id];
    let sum = 0;
    let count = 0;
    if (v.outcome) {
      sum += reward[id];
      count += 1;
    }
    for (const c of v.children) {
      if (!nodes[c]) continue;
      const r = visit(c);
      sum += r.sum;
      count += r.count;
    }
    value[id] = count ? sum / count : null;
    return { sum, count };
  };
  if (nodes[rootId]) visit(rootId);
  return { meanCostUsd, reward, cost, value };
}

/** Preference tuples between siblings: same parent, same meta-agent, same prompt, ΔV > EPS, different decisions. */
export function preferencePairs(nodes: Record<string, CtoNode>, value: Record<string, number | null>): CtoPreference[] {
  const out: CtoPreference[] = [];
  for (const id of Object.keys(nodes).sort()) {
    const parent = nodes[id];
    const kids = parent.children.map((c) => nodes[c]).filter((c): c is CtoNode => !!c && c.role !== 'root' && !!c.decision && typeof value[c.id] === 'number');
    for (const a of kids) {
      for (const b of kids) {
        if (a === b || a.role !== b.role) continue;
        const dv = (value[a.id] as number) - (value[b.id] as number);
        if (!(dv > EPS)) continue;
        const promptRef = a.decision!.promptRef;
        if (!promptRef || promptRef !== b.decision!.promptRef) continue;
        const role = a.role as MetaRole;
        const chosenText = decisionText(role, a.decision!.output);
        const rejectedText = decisionText(role, b.decision!.output);
        if (chosenText === rejectedText) continue;
        out.push({ role, parent: parent.id, chosen: a.id, rejected: b.id, weight: dv, promptRef, chosenText, rejectedText });
      }
    }
  }
  return out;
}

/** Values, rewards and trajectory costs written onto the nodes; the tree's summary and preferences. */
export function assignCredit(tree: Omit<CtoTree, 'meanCostUsd' | 'leaves' | 'passed' | 'preferences'> & Partial<CtoTree>): CtoTree {
  const credit = computeCredit(tree.nodes, tree.root, tree.params.minCostNorm);
  for (const [id, v] of Object.entries(credit.value)) tree.nodes[id].value = v;
  for (const [id, r] of Object.entries(credit.reward)) {
    tree.nodes[id].reward = r;
    tree.nodes[id].trajectoryCostUsd = credit.cost[id];
  }
  const leaves = Object.keys(credit.reward);
  return {
    ...tree,
    meanCostUsd: credit.meanCostUsd,
    leaves: leaves.length,
    passed: leaves.filter((l) => tree.nodes[l].outcome!.pass).length,
    preferences: preferencePairs(tree.nodes, credit.value),
  };
}

// ---------------------------------------------------------------- export
/** One line of PREFS.jsonl (TRL DPO columns plus `weight` and provenance). */
export interface PreferenceLine {
  prompt: ChatMessage[];
  chosen: string;
  rejected: string;
  weight: number;
  role: MetaRole;
  queryId: string;
  nodes: { parent: string; chosen: string; rejected: string; valueChosen: number; valueRejected: number; workflowId: string };
}

/** The JSONL lines of one tree, given the prompts by blob reference (loaded by the caller). */
export function preferenceLines(tree: CtoTree, prompts: Record<string, ChatMessage[]>): PreferenceLine[] {
  return tree.preferences.map((p) => {
    const prompt = prompts[p.promptRef];
    if (!prompt) throw new Error(`prompt ${p.promptRef} of ${tree.queryId}/${p.chosen} was not loaded`);
    return {
      prompt,
      chosen: p.chosenText,
      rejected: p.rejectedText,
      weight: p.weight,
      role: p.role,
      queryId: tree.queryId,
      nodes: {
        parent: p.parent,
        chosen: p.chosen,
        rejected: p.rejected,
        valueChosen: tree.nodes[p.chosen].value as number,
        valueRejected: tree.nodes[p.rejected].value as number,
        workflowId: tree.workflowId,
      },
    };
  });
}
