/**
 * What a meta-agent reads of a trained prior (`mas2 cto train`, trainer "prior"): the decisions
 * that earned the most value on earlier tasks of the same kind, as worked examples. They go at
 * the end of the system text — the same for every task of a kind under one policy — so the
 * model server's prompt cache still reuses the prefix.
 */
import type { ChatMessage } from '../messages';
import type { MetaRole, PriorExemplar } from '../schemas';

/** Longest example output shown, in characters: a whole team is a few hundred; more is noise for a small model. */
const MAX_EXAMPLE_CHARS = 1500;
const MAX_TASK_CHARS = 300;

const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n)}…` : s);

const WHAT: Record<MetaRole, string> = {
  generator: 'team designs',
  implementer: 'backbone assignments',
  rectifier: 'patches',
};

export function priorText(role: MetaRole, exemplars: readonly PriorExemplar[]): string {
  const lines = exemplars.map((e, i) => {
    const output = clip(JSON.stringify(e.example.output), MAX_EXAMPLE_CHARS);
    return `${i + 1}. On "${clip(e.example.task.replace(/\s+/g, ' ').trim(), MAX_TASK_CHARS)}" this answer reached value ${e.example.value.toFixed(2)} (mean ${e.meanValue.toFixed(2)} over ${e.decisions} decision${e.decisions === 1 ? '' : 's'}; it beat the alternatives tried beside it by ${e.score.toFixed(2)} on average):\n${output}`;
  });
  return (
    `Advice from earlier runs: the ${WHAT[role]} below did best on tasks of this kind (value: the task solved, at a lower cost is higher). ` +
    `Prefer the same choices where they fit this task; the rules above still decide what is valid.\n${lines.join('\n')}`
  );
}

/** The messages with the prior's advice appended to the system text; unchanged without advice. */
export function withPrior(messages: ChatMessage[], role: MetaRole, exemplars: readonly PriorExemplar[] | undefined): ChatMessage[] {
  if (!exemplars?.length) return messages;
  const i = messages.findIndex((m) => m.role === 'system');
  const advice = priorText(role, exemplars);
  if (i < 0) return [{ role: 'system', content: advice }, ...messages];
  return messages.map((m, j) => (j === i ? { ...m, content: `${m.content ?? ''}\n\n${advice}` } : m));
}
