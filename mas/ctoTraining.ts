/**
 * From collected CTO trees to what a trainer learns from (docs/cto.md, "Training"). Credit is
 * always recomputed with mas/cto.ts (assignCredit), so every trainer sees the same node values
 * and ΔV as the exported preference pairs. Pure: the client reads the files and the prompts.
 */
import { assignCredit, preferenceLines, type CtoTree, type PreferenceLine } from './cto';
import type { ChatMessage } from './messages';
import type { MetaRole } from './schemas';

export class NothingToLearnError extends Error {}

/** The trees with their values, rewards and preference pairs recomputed from the nodes. */
export function creditedTrees(trees: CtoTree[]): CtoTree[] {
  return trees.map((t) => assignCredit({ ...t, nodes: structuredClone(t.nodes) }));
}

export interface TrainingSummary {
  trees: number;
  trajectories: number;
  passed: number;
  pairs: Partial<Record<MetaRole, number>>;
}

export function summarize(trees: CtoTree[]): TrainingSummary {
  const pairs: Partial<Record<MetaRole, number>> = {};
  for (const p of trees.flatMap((t) => t.preferences)) pairs[p.role] = (pairs[p.role] ?? 0) + 1;
  return { trees: trees.length, trajectories: trees.reduce((s, t) => s + t.leaves, 0), passed: trees.reduce((s, t) => s + t.passed, 0), pairs };
}

/**
 * Refuses trees that teach nothing: no finished trajectory, or no two sibling decisions with
 * different values (every trajectory failed, or all passed at the same normalised cost).
 */
export function checkLearnable(trees: CtoTree[], file: string): void {
  const s = summarize(trees);
  if (!s.trees) throw new NothingToLearnError(`${file} holds no trees: nothing to learn`);
  if (!s.trajectories) throw new NothingToLearnError(`${file}: no trajectory of its ${s.trees} trees finished, so no decision has a value: nothing to learn`);
  if (!Object.keys(s.pairs).length) {
    const why = s.passed === 0 ? `all ${s.trajectories} trajectories failed` : s.passed === s.trajectories ? `all ${s.trajectories} trajectories passed at the same normalised cost` : 'sibling decisions never differ in value';
    throw new NothingToLearnError(`${file}: every decision has the same value as its siblings (${why}): nothing to learn`);
  }
}

/** The problems the trees saw, by id and task text (recorded in the policy; evaluations must avoid them). */
export function trainingProblems(trees: CtoTree[]): { id: string; task: string }[] {
  return trees.map((t) => ({ id: t.queryId, task: t.task }));
}

// ---------------------------------------------------------------- DPO data
/** One pair as the DPO trainer reads it (trainer/dpo.py). */
export interface DpoRow {
  prompt: ChatMessage[];
  chosen: string;
  rejected: string;
  role: MetaRole;
  /** ΔV = V(chosen) − V(rejected), as exported. */
  deltaV: number;
  /** ΔV / mean ΔV of the role's pairs: the loss weight (mean 1, so the learning rate keeps its meaning). */
  weight: number;
  queryId: string;
}

/**
 * The trainer's rows: each exported pair with its loss weight. The paper weights the DPO term by
 * ΔV; dividing by the role's mean ΔV keeps the ratios between pairs (what the weighting means)
 * and makes the average weight 1, so lr 5e-5 means the same whatever the reward scale.
 *
 * ScoreFlow instead *samples* pairs with probability ∝ ΔV³. Not done here: with the few dozen
 * pairs a CPU run affords, sampling would drop most of them, and sampling on top of weighting
 * would weight by ΔV⁴. `maxPairs` keeps the largest-ΔV pairs, taking the roles in turn.
 */
export function dpoRows(lines: PreferenceLine[], maxPairs?: number): DpoRow[] {
  const byRole = new Map<MetaRole, PreferenceLine[]>();
  for (const l of lines) byRole.set(l.role, [...(byRole.get(l.role) ?? []), l]);
  let kept: PreferenceLine[] = lines;
  if (maxPairs !== undefined && maxPairs < lines.length) {
    const queues = [...byRole.values()].map((ls) => [...ls].sort((a, b) => b.weight - a.weight));
    kept = [];
    for (let i = 0; kept.length < maxPairs; i++) {
      const q = queues[i % queues.length];
      if (q.length) kept.push(q.shift()!);
      if (queues.every((x) => !x.length)) break;
    }
  }
  const mean = new Map<MetaRole, number>();
  for (const role of byRole.keys()) {
    const mine = kept.filter((l) => l.role === role);
    if (mine.length) mean.set(role, mine.reduce((s, l) => s + l.weight, 0) / mine.length);
  }
  return kept.map((l) => ({ prompt: l.prompt, chosen: l.chosen, rejected: l.rejected, role: l.role, deltaV: l.weight, weight: l.weight / mean.get(l.role)!, queryId: l.queryId }));
}

/** The rows of every tree, given the prompts by reference (loaded by the caller from the blob store). */
export function dpoRowsOf(trees: CtoTree[], prompts: Record<string, ChatMessage[]>, maxPairs?: number): DpoRow[] {
  return dpoRows(
    trees.flatMap((t) => preferenceLines(t, prompts)),
    maxPairs,
  );
}

// ---------------------------------------------------------------- held-out evaluation
const norm = (s: string) => s.toLowerCase().replace(/\s+/g, ' ').trim();

/**
 * The evaluation problems a policy was trained on. The same problem is the same text, whatever
 * its id in either file (GSM8K's ids are line numbers): a problem is seen when one task text
 * contains the other — so a training task written as the bare question still matches the
 * evaluation's wrapped prompt. An equal id alone is reported separately (maybe another file's).
 */
export function seenProblems(trained: { id: string; task: string }[], evaluated: { id: string; task: string }[]): { byText: string[]; byIdOnly: string[] } {
  const texts = trained.map((t) => norm(t.task)).filter((t) => t.length >= 20);
  const ids = new Set(trained.map((t) => t.id));
  const byText: string[] = [];
  const byIdOnly: string[] = [];
  for (const p of evaluated) {
    const text = norm(p.task);
    if (texts.some((t) => text.includes(t) || (text.length >= 20 && t.includes(text)))) byText.push(p.id);
    else if (ids.has(p.id)) byIdOnly.push(p.id);
  }
  return { byText, byIdOnly };
}
