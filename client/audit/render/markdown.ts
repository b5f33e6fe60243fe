/** The audit as a Markdown report (the default `mas2 audit` format). */
import { formatUsd } from '../../../mas/cost';
import { describeOperator } from '../../../mas/operators';
import type { Audit } from '../schemas';
import { cell, clip, describeOp, dur, metaPolicyLine, price } from './text';

function metaLine(m: Audit['generator'] | Audit['implementer'], who: string): string {
  if (m.source === 'pending') return `_${who} is still running._`;
  const by = m.fromMetaAgent ? `by the ${who} meta-agent` : `**not from a meta-agent** (${m.source})`;
  const parts = [`Decided ${by}`, `source: ${m.source}`, `evidence: ${m.evidence}`];
  if (m.backbone && m.fromMetaAgent) parts.push(`backbone ${m.backbone}`);
  if (m.costUsd) parts.push(formatUsd(m.costUsd));
  if (m.attempts && m.attempts > 1) parts.push(`${m.attempts} attempts`);
  if (m.durationMs !== undefined) parts.push(dur(m.durationMs));
  return parts.join(' · ') + '.';
}

export function renderMarkdown(a: Audit): string {
  const L: string[] = [];
  L.push(`# Audit of ${a.workflowId}`, '');
  L.push('## Task', '');
  L.push(`> ${a.task.split('\n').join('\n> ')}`, '');
  L.push(`- **Status:** ${a.status}${a.reason ? ` — ${a.reason}` : ''}`);
  if (a.storageFault) L.push(`- **Storage fault:** blob \`${a.storageFault.ref}\` ${a.storageFault.kind} in ${a.storageFault.where} (agent ${a.storageFault.agent}, step ${a.storageFault.step}); not a model or tool failure, no rectification; resumable with \`mas2 resume ${a.workflowId}\``);
  for (const f of a.resumedAfter ?? []) L.push(`- **Resumed after a storage fault:** blob \`${f.ref}\` ${f.kind} in ${f.where} (agent ${f.agent}, step ${f.step})`);
  L.push(`- **Budget:** ${formatUsd(a.budgetUsd)}${a.finalBudgetUsd !== a.budgetUsd ? ` (raised to ${formatUsd(a.finalBudgetUsd)})` : ''}`);
  L.push(`- **Pool:** ${a.pool.map((b) => `${b.id} (${b.model}, $${b.inputPerM}/$${b.outputPerM} per M in/out)`).join(', ')}${a.simulated ? ' — simulated backbones, not real models' : ''}`);
  const opt = a.options as Record<string, unknown>;
  const ablations = ['generator', 'implementer', 'rectifier'].filter((k) => opt[k] === false).map((k) => `--no-${k}`);
  if (ablations.length) L.push(`- **Ablations:** ${ablations.join(', ')}`);
  if (a.faults.length) L.push(`- **Injected faults:** ${a.faults.map((f) => JSON.stringify(f)).join(', ')}`);
  if (a.parentWorkflowId) L.push(`- **Branch of:** ${a.parentWorkflowId}`);
  if (a.metaPolicy) L.push(`- **Meta policy:** ${metaPolicyLine(a.metaPolicy)}`);
  L.push(
    `- **Runs:** ${a.runs.length}${a.runs.length > 1 ? ' (continue-as-new chain)' : ''}: ${a.runs.map((r, i) => `#${i + 1} \`${r.runId}\` ${r.end}${r.reason && r.end !== 'completed' ? ` (${clip(r.reason, 120)})` : ''}`).join('; ')}`,
  );
  if (a.result?.live) L.push(`- **Live state:** ${a.result.status}, ${a.result.steps} steps so far`);
  const validity = Object.entries(a.metaValidity ?? {});
  if (validity.length) L.push(`- **Meta-agent output:** ${validity.map(([role, v]) => `${role} ${v.firstTry} valid first try, ${v.repair} after repair, ${v.fallback} fallback`).join('; ')}`);
  L.push('');

  L.push('## Generator', '');
  L.push(metaLine(a.generator, 'Generator'));
  if (a.generator.error) L.push('', `The Generator activity failed: ${a.generator.error}`);
  if (a.generator.rationale) L.push('', `Rationale: ${a.generator.rationale}`);
  const t = a.generator.template;
  if (t) {
    L.push('', `Template **${t.name}** — final agent \`${t.finalAgent}\``, '');
    L.push('| agent | role | tools | instructions |', '|---|---|---|---|');
    for (const ag of t.agents) L.push(`| ${cell(ag.id)}${ag.verifier ? ' (verifier)' : ''}${ag.operator ? `: ${cell(describeOperator(ag.operator))}` : ''} | ${cell(ag.role)} | ${cell(ag.tools.join(', ') || '–')} | ${cell(clip(ag.instructions, 120))} |`);
    L.push('', `Edges: ${t.edges.map((e) => `${e.from} → ${e.to}`).join(', ') || 'none'}${t.loops.length ? `; loops: ${t.loops.map((l) => `${l.from} ⟲ ${l.to} (≤${l.maxRounds})`).join(', ')}` : ''}`);
  } else if (a.generator.source !== 'pending') L.push('', '_No template in the history yet._');
  L.push('');

  L.push('## Implementer', '');
  L.push(metaLine(a.implementer, 'Implementer'));
  if (a.implementer.error) L.push('', `The Implementer activity failed: ${a.implementer.error}`);
  if (a.implementer.rationale) L.push('', `Rationale: ${a.implementer.rationale}`);
  if (a.implementer.rows.length) {
    const why = a.implementer.rows.some((r) => r.reason);
    L.push('', `| agent | backbone | $/M in | $/M out |${why ? ' why |' : ''}`, `|---|---|---|---|${why ? '---|' : ''}`);
    for (const r of a.implementer.rows) L.push(`| ${cell(r.agent)} | ${cell(r.backbone)} | ${price(r.inputPerM)} | ${price(r.outputPerM)} |${why ? ` ${cell(r.reason ?? '')} |` : ''}`);
  } else if (a.implementer.source !== 'pending') L.push('', '_No assignment in the history yet._');
  L.push('');

  L.push('## Rectifications', '');
  if (!a.rectifications.length) L.push('_None: no trigger called the Rectifier._', '');
  for (const r of a.rectifications) {
    const title = r.toVersion !== null ? `v${r.fromVersion} → v${r.toVersion}` : `v${r.fromVersion} (no new version)`;
    L.push(`### ${r.index}. ${title} — ${r.trigger.kind} trigger`, '');
    const where = [r.trigger.agent && `agent ${r.trigger.agent}`, r.trigger.tool && `tool ${r.trigger.tool}`, r.trigger.backbone && `backbone ${r.trigger.backbone}`, r.trigger.step !== undefined && `step ${r.trigger.step}`].filter(Boolean);
    L.push(`- **Trigger:** ${r.trigger.kind} — ${clip(r.trigger.detail.split('\n')[0], 300)}${where.length ? ` (${where.join(', ')})` : ''}`);
    L.push(`- **When:** ${r.at} (run #${r.run + 1})`);
    if (r.state) {
      const s = r.state;
      L.push(
        `- **s_t:** spent ${formatUsd(s.costUsd)} of ${formatUsd(s.budgetUsd)}; finished: ${s.finished.map((f) => f.agent).join(', ') || 'none'}; failed steps: ${
          s.failedSteps.map((f) => `${f.agent} ${f.kind} (${clip(f.error.split('\n')[0], 80)})`).join('; ') || 'none'
        }; earlier patches: ${s.previousPatches.length}`,
      );
    } else L.push('- **s_t:** not in the history');
    if (r.config) L.push(`- **M_t:** v${r.config.version}: ${r.config.template.agents.map((x) => `${x.id}@${r.config!.assignment[x.id]}`).join(', ')}`);
    const by = r.fromMetaAgent ? `Rectifier meta-agent on ${r.backbone}` : r.source === 'forced' ? 'given with the task (not from a meta-agent)' : 'rules (not from a meta-agent)';
    L.push(`- **Source:** ${r.source ?? '–'} — ${by}${r.costUsd ? ` · ${formatUsd(r.costUsd)}` : ''}${r.evidence !== 'activity' ? ` · evidence: ${r.evidence}` : ''}`);
    if (r.error) L.push(`- **Rectifier failure:** ${r.error}`);
    if (r.patch) {
      L.push(`- **Patch** (${r.patch.scope}):`);
      for (const op of r.patch.ops) {
        L.push(`  - \`${describeOp(op)}\``);
        if (op.op === 'set_instructions') L.push(`    > ${clip(op.instructions.replace(/\s*\n\s*/g, ' '), 600)}`);
      }
    } else L.push(`- **Patch:** none${r.status === 'pending' ? ' yet (the Rectifier is running)' : ''}`);
    if (r.reason) L.push(`- **Note:** ${r.reason}`);
    if (r.applyError) L.push(`- **Not applied:** applying the patch throws: ${r.applyError}`);
    if (r.diff.length) {
      L.push(`- **Diff M_${r.fromVersion} → M_${r.toVersion}:**`, '', '  ```diff');
      for (const d of r.diff) L.push(`  ${d}`);
      L.push('  ```', '');
    }
    if (r.rerun || r.kept) L.push(`- **Resumed from s_t:** re-run ${r.rerun?.join(', ') || 'nothing'}; kept ${r.kept?.join(', ') || 'nothing'}`);
    L.push(`- **Rationale:** ${r.rationale ? clip(r.rationale.replace(/\s*\n\s*/g, ' '), 600) : '–'}`, '');
  }

  if (a.signals.length || a.updates.length || a.cancelRequests.length) {
    L.push('## External signals and updates', '');
    for (const s of a.signals) L.push(`- ${s.at} signal **${s.name}**${s.reason ? `: "${s.reason}"` : s.args.length ? `: ${clip(JSON.stringify(s.args), 200)}` : ''}${s.identity ? ` (from ${s.identity})` : ''}${s.rejected ? ` — **rejected**: ${s.rejected}` : ''}`);
    for (const u of a.updates)
      L.push(`- ${u.at} update **${u.name}**(${clip(JSON.stringify(u.args), 200)}) → ${u.outcome}${u.result !== undefined ? ` ${JSON.stringify(u.result)}` : ''}${u.error ? `: ${u.error}` : ''}`);
    for (const c of a.cancelRequests) L.push(`- ${c.at} **cancel requested**${c.identity ? ` by ${c.identity}` : ''}${c.cause ? ` (${c.cause})` : ''}`);
    L.push('');
  }

  L.push('## Steps', '');
  if (!a.steps.length) L.push('_No steps yet._');
  else {
    L.push('| # | run | v | agent | kind | backbone | status | attempts | tokens in/out | cost | duration | error |', '|---|---|---|---|---|---|---|---|---|---|---|---|');
    for (const s of a.steps) {
      L.push(
        `| ${s.index} | ${s.run + 1} | ${s.configVersion} | ${cell(s.agent)} | ${s.kind}${s.name && s.kind === 'tool' ? ` ${cell(s.name)}` : ''} | ${cell(s.backbone ?? '–')} | ${s.status} | ${s.status === 'running' && !s.attempts ? '–' : s.attempts} | ${s.inputTokens}/${s.outputTokens} | ${formatUsd(s.costUsd)} | ${dur(s.durationMs)} | ${cell(clip((s.error ?? '').split('\n')[0], 100))}${s.errorType ? ` (${s.errorType})` : ''} |`,
      );
    }
  }
  L.push('');

  const T = a.totals;
  L.push('## Totals', '');
  L.push(`- **Cost:** ${formatUsd(T.costUsd)} (meta-agents ${formatUsd(T.metaUsd)}, agents ${formatUsd(T.agentsUsd)})${T.resultCostUsd !== undefined ? ` — the result document says ${formatUsd(T.resultCostUsd)}` : ''}`);
  const roles = Object.entries(T.perMetaRole).map(([k, v]) => `${k} ${formatUsd(v ?? 0)}`);
  if (roles.length) L.push(`- **Per meta-agent:** ${roles.join(', ')}`);
  L.push(`- **Tokens:** ${T.inputTokens} in / ${T.outputTokens} out`);
  if (Object.keys(T.perBackbone).length) {
    L.push('', '| backbone | calls | tokens in | tokens out | cost |', '|---|---|---|---|---|');
    for (const [id, b] of Object.entries(T.perBackbone)) L.push(`| ${cell(id)} | ${b.calls} | ${b.inputTokens} | ${b.outputTokens} | ${formatUsd(b.usd)} |`);
    L.push('');
  }
  L.push(`- **Steps:** ${T.steps} (${T.llmCalls} model, ${T.toolCalls} tool, ${T.metaCalls} meta); failures ${T.failures}; retries ${T.retries}`);
  L.push(`- **Rectifications applied:** ${T.rectifications} of ${a.rectifications.length}; config versions: ${a.versions.map((v) => `v${v.version}`).join(', ') || 'none'}`);
  if (T.signals) L.push(`- **Signals:** ${T.signals}${T.rejectedSignals ? ` (${T.rejectedSignals} rejected and ignored)` : ''}`);
  if (T.wallMs !== null) L.push(`- **Wall time:** ${dur(T.wallMs)}`);
  if (a.result?.answer) L.push('', '### Answer', '', a.result.answer.trim());
  if (a.notes.length) {
    L.push('', '## Notes', '');
    for (const n of a.notes) L.push(`- ${n}`);
  }
  return L.join('\n') + '\n';
}
