/** Human-readable renderings of the result document for the terminal. */
import type { Rectification, Result, Step } from '../mas/schemas';
import { formatUsd, promptCacheHitRate } from '../mas/cost';
import { oneLine } from './terminal';

export function stepLine(s: Step): string {
  const who = `[${s.agent}]`;
  const retry = s.attempts > 1 ? ` after ${s.attempts} attempts` : '';
  if (s.status === 'failed') return `${who} ${s.kind}${s.name ? ` ${s.name}` : ''} FAILED${retry}: ${s.error ?? ''}`;
  if (s.kind === 'tool') return `${who} tool ${s.name} ${s.error ? `returned an error: ${s.error.split('\n')[0].slice(0, 100)}` : 'ok'} (${(s.durationMs / 1000).toFixed(1)}s)`;
  const tokens = s.usage ? ` · ${s.usage.inputTokens} in / ${s.usage.outputTokens} out tokens` : '';
  return `${who} ${s.kind === 'meta' ? 'meta-agent' : 'model call'} on ${s.backbone}${tokens} · ${formatUsd(s.costUsd)}${retry}`;
}

export function rectificationLine(r: Rectification): string {
  const ops = r.patch.map((op) => ('agent' in op && typeof op.agent === 'string' ? `${op.op}(${op.agent})` : op.op)).join(', ');
  return `⟳ rectified v${r.fromVersion} → v${r.version} on ${r.trigger.kind} trigger (${r.trigger.detail.split('\n')[0].slice(0, 120)}): ${r.scope} patch [${ops}] by ${r.source}; rerun ${r.rerun.join(', ') || 'nothing'}, kept ${r.kept.join(', ') || 'nothing'}`;
}

export function summary(r: Result): string {
  const lines: string[] = [];
  lines.push(`status: ${r.status}${r.reason ? ` — ${oneLine(r.reason)}` : ''}`);
  if (r.config) {
    lines.push(`team (v${r.config.version}): ${r.config.template.agents.map((a) => `${a.id}@${r.config!.assignment[a.id]}`).join(' → ')}`);
  }
  const hits = promptCacheHitRate(r.cost);
  lines.push(
    `cost: ${formatUsd(r.cost.usd)} of ${formatUsd(r.budgetUsd)} budget (${r.cost.inputTokens} in / ${r.cost.outputTokens} out tokens; meta-agents ${formatUsd(r.cost.meta)}, agents ${formatUsd(r.cost.agents)})`,
  );
  if (hits !== null) lines.push(`prompt cache: ${r.cost.cachedInputTokens} of ${r.cost.inputTokens} input tokens served from the servers' caches (${(hits * 100).toFixed(1)}%)`);
  const per = Object.entries(r.cost.perBackbone).map(([id, c]) => `${id} ${formatUsd(c.usd)} (${c.calls} calls)`);
  if (per.length) lines.push(`per backbone: ${per.join(', ')}`);
  if (r.poolNote) lines.push(`note: ${r.poolNote}`);
  lines.push(`steps: ${r.steps.length}, rectifications: ${r.rectifications.length}${r.simulated ? ' · simulated backbone (not a real model)' : ''}`);
  return lines.join('\n');
}
