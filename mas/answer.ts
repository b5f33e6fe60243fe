/**
 * Which text is the run's answer. A verifier's output is a verdict, not an answer: when the
 * final agent is a verifier (the built-in teams, and many a Generator's design) the answer is
 * the content it verified — its upstream producer's output — so a checker's own (possibly
 * wrong) restatement never replaces the producer's answer, and a rejected run (status
 * `unverified`) returns the rejected candidate, not the "FAIL ..." text.
 */
import type { AgentOutput, MetaDecision, MetaRole, Template } from './schemas';
import { predecessors, topologicalOrder } from './graph';
import { stripVerdict } from './verdict';
import { isChecker } from './operators';

/**
 * Where the answer comes from: start at the final agent and, while the agent is a verifier,
 * take the output it verified (its last finished predecessor in topological order). A verifier
 * with no upstream output gives its own text without the verdict line (`ownVerdict`). When the
 * final agent has not finished, the closest finished agent to it stands in (same rule).
 */
export function answerSource(t: Template, outputs: Record<string, AgentOutput>): { agent: string; ownVerdict: boolean } | null {
  const order = topologicalOrder(t) ?? t.agents.map((a) => a.id);
  const rank = new Map(order.map((id, i) => [id, i]));
  // A test step is a checker too: its output is a verdict on the code it ran.
  const isVerifier = (id: string) => {
    const a = t.agents.find((x) => x.id === id);
    return a !== undefined && isChecker(a);
  };
  let start: string | undefined = outputs[t.finalAgent] ? t.finalAgent : [...order].reverse().find((id) => outputs[id]);
  const seen = new Set<string>();
  while (start && !seen.has(start)) {
    seen.add(start);
    if (!isVerifier(start)) return { agent: start, ownVerdict: false };
    const verified = predecessors(t, start)
      .filter((p) => outputs[p])
      .sort((a, b) => (rank.get(b) ?? 0) - (rank.get(a) ?? 0))[0];
    if (!verified) return { agent: start, ownVerdict: true };
    start = verified;
  }
  return null;
}

/** The answer text (see answerSource). */
export function answerFrom(t: Template, outputs: Record<string, AgentOutput>): string | null {
  const src = answerSource(t, outputs);
  if (!src) return null;
  const text = outputs[src.agent].text;
  return src.ownVerdict ? stripVerdict(text) || null : text;
}

export type MetaValidity = Partial<Record<MetaRole, { firstTry: number; repair: number; fallback: number }>>;

/** Per meta-agent counts of model output valid first time / after the repair round / replaced by rules. */
export function metaValidity(decisions: readonly MetaDecision[]): MetaValidity {
  const out: MetaValidity = {};
  for (const d of decisions) {
    if (d.source !== 'model' && d.source !== 'repair' && d.source !== 'fallback') continue; // forced / ablation: no model asked
    const row = (out[d.role] = out[d.role] ?? { firstTry: 0, repair: 0, fallback: 0 });
    if (d.source === 'model') row.firstTry++;
    else if (d.source === 'repair') row.repair++;
    else row.fallback++;
  }
  return out;
}
