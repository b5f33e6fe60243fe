/** Totals over the steps, the run's status, and the budget after raiseBudget updates. */
import type { Audit, AuditStep, RectificationAudit } from '../schemas';
import type { Context } from './context';

export function projectTotals(c: Context, steps: AuditStep[], rectifications: RectificationAudit[]): Audit['totals'] {
  const { g, first, last } = c;
  const totals: Audit['totals'] = {
    costUsd: 0,
    inputTokens: 0,
    outputTokens: 0,
    perBackbone: {},
    metaUsd: 0,
    agentsUsd: 0,
    perMetaRole: {},
    steps: steps.length,
    llmCalls: steps.filter((s) => s.kind === 'llm').length,
    toolCalls: steps.filter((s) => s.kind === 'tool').length,
    metaCalls: steps.filter((s) => s.kind === 'meta').length,
    failures: steps.filter((s) => s.status === 'failed' || s.status === 'timed_out').length,
    retries: steps.reduce((n, s) => n + Math.max(0, s.attempts - 1), 0),
    rectifications: rectifications.filter((r) => r.status === 'applied').length,
    signals: g.signals.length,
    rejectedSignals: g.signals.filter((x) => x.rejected).length,
    wallMs: first?.startedAt !== undefined ? (last?.closedAt ?? Math.max(...g.activities.map((a) => a.closedAt ?? a.scheduledAt ?? 0), first.startedAt)) - first.startedAt : null,
  };
  for (const s of steps) {
    totals.costUsd += s.costUsd;
    totals.inputTokens += s.inputTokens;
    totals.outputTokens += s.outputTokens;
    if (s.kind === 'meta') {
      totals.metaUsd += s.costUsd;
      const role = s.agent as 'generator' | 'implementer' | 'rectifier';
      totals.perMetaRole[role] = (totals.perMetaRole[role] ?? 0) + s.costUsd;
    } else totals.agentsUsd += s.costUsd;
    if (s.kind !== 'tool' && s.status === 'completed' && s.backbone) {
      const b = (totals.perBackbone[s.backbone] ??= { usd: 0, inputTokens: 0, outputTokens: 0, calls: 0 });
      b.usd += s.costUsd;
      b.inputTokens += s.inputTokens;
      b.outputTokens += s.outputTokens;
      b.calls += 1;
    }
  }
  if (c.state) totals.resultCostUsd = c.state.cost?.usd;
  return totals;
}

export function projectStatus(c: Context): { status: Audit['status']; reason?: string } {
  const { last, finalResult } = c;
  switch (last?.end) {
    case 'completed':
      return { status: (finalResult?.status as Audit['status']) ?? 'completed', reason: finalResult?.reason };
    case 'continued_as_new':
    case 'running':
    case undefined:
      return { status: 'running', reason: last?.end === 'continued_as_new' ? 'continued as new; the next run is not in the history read' : undefined };
    default:
      return { status: last!.end as Audit['status'], reason: last!.reason };
  }
}

export function finalBudget(c: Context): number {
  let budget = c.input.budgetUsd ?? 0;
  for (const u of c.g.updates) {
    const r = u.result as { budgetUsd?: number } | undefined;
    if (u.name === 'raiseBudget' && u.outcome === 'completed' && typeof r?.budgetUsd === 'number') budget = r.budgetUsd;
  }
  return budget;
}
