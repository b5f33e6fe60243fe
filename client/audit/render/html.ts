/**
 * The audit as one self-contained HTML page (`mas2 audit ID --format html`):
 * inline CSS and SVG, no script, no network at view time (a CSP forbids it).
 * Everything from the run — task text, model output, rationales — is
 * escaped: the page is safe to open whatever the run contained.
 */
import { formatUsd } from '../../../mas/cost';
import type { Audit, ConfigVersion, RectificationAudit } from '../schemas';
import { esc, graphSvg, timelineSvg } from './svg';
import { clip, describeOp, dur, metaPolicyLine } from './text';

const STYLE = `
:root{--fg:#1f2328;--muted:#656d76;--line:#d0d7de;--bg:#f6f8fa;--card:#fff;--accent:#0969da;--warn:#bf8700;--bad:#cf222e;--ok:#1a7f37;--meta:#8250df;--tool:#1a7f37;--llm:#0969da}
*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;color:var(--fg);background:var(--bg)}
main{max-width:1180px;margin:0 auto;padding:24px 28px 60px}h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 10px;padding-bottom:4px;border-bottom:1px solid var(--line)}h3{font-size:14px;margin:0 0 8px}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:14px 16px;margin:10px 0}
.muted{color:var(--muted)}code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
.task{white-space:pre-wrap;font-size:15px;background:var(--bg);border-left:4px solid var(--accent);padding:10px 14px;border-radius:6px;margin:10px 0;max-height:16em;overflow:auto}
.kpis{display:flex;flex-wrap:wrap;gap:10px;margin-top:12px}.kpi{background:var(--bg);border-radius:8px;padding:8px 14px;min-width:120px}.kpi b{display:block;font-size:18px}.kpi span{color:var(--muted);font-size:12px}
.badge{display:inline-block;border-radius:999px;padding:1px 9px;font-size:12px;font-weight:600;background:#eaeef2;color:var(--fg);vertical-align:1px}
.badge.completed,.badge.applied,.badge.model,.badge.rectifier{background:#dafbe1;color:var(--ok)}.badge.failed,.badge.terminated,.badge.timed_out,.badge.not_applied,.badge.budget_exhausted{background:#ffebe9;color:var(--bad)}
.badge.running,.badge.pending{background:#ddf4ff;color:var(--accent)}.badge.repair,.badge.fallback,.badge.forced,.badge.ablation,.badge.no_patch,.badge.cancelled{background:#fff8c5;color:#7d4e00}
.version{display:grid;grid-template-columns:minmax(0,1.5fr) minmax(280px,1fr);gap:18px;align-items:start}.graph-wrap{overflow-x:auto}
svg text{font-family:system-ui,-apple-system,"Segoe UI",Helvetica,Arial,sans-serif}
.node rect{fill:#fff;stroke:#8c959f;stroke-width:1.3}.node.final rect{stroke:var(--accent);stroke-width:2}.node.changed rect{fill:#fff3b0;stroke:#d97706;stroke-width:3}
.n-id{font-size:13px;font-weight:600;fill:var(--fg)}.n-role{font-size:11.5px;fill:var(--muted)}.n-bb{font-size:11.5px;fill:var(--accent);font-family:ui-monospace,Menlo,monospace}
.edge{fill:none;stroke:#8c959f;stroke-width:1.6}.edge.added{stroke:#d97706;stroke-width:3}.edge.loop{stroke-dasharray:5 4;stroke:#a475f9}.arrowhead{fill:#8c959f}.legend{font-size:11px;fill:var(--muted)}
.diff{margin:6px 0 0;padding:8px 10px;background:var(--bg);border-radius:6px;white-space:pre-wrap;overflow-wrap:anywhere}.diff .add{color:var(--ok)}.diff .del{color:var(--bad)}.diff .mod{color:#9a6700}
ul.ops{margin:4px 0;padding-left:18px}dl.kv{display:grid;grid-template-columns:max-content 1fr;gap:3px 12px;margin:6px 0}dl.kv dt{color:var(--muted)}dl.kv dd{margin:0;overflow-wrap:anywhere}
.timeline{width:100%;height:auto}.timeline .lane{fill:#fff}.timeline .lane.odd{fill:#f6f8fa}.lane-label{font-size:12px;fill:var(--fg);font-weight:600}
.step rect{stroke-width:1}.step.llm rect{fill:#b6e3ff;stroke:var(--llm)}.step.tool rect{fill:#aceebb;stroke:var(--tool)}.step.meta rect{fill:#d8b9ff;stroke:var(--meta)}
.step.failed rect,.step.timed_out rect{fill:#ffcecb;stroke:var(--bad);stroke-width:2}.step.running rect{fill:#fff;stroke-dasharray:3 2}.step.cancelled rect{fill:#eaeef2;stroke:#8c959f}
.retry{font-size:11px;fill:var(--warn);font-weight:700}.fail{font-size:11px;fill:var(--bad);font-weight:700}.trigger line{stroke:#d97706;stroke-width:1.5;stroke-dasharray:4 3}.trigger text{font-size:11px;fill:#9a6700;font-weight:600}.axis{font-size:11px;fill:var(--muted)}
.tl-legend{display:flex;gap:14px;font-size:12px;color:var(--muted);margin-top:6px}.sw{display:inline-block;width:12px;height:10px;border-radius:2px;margin-right:4px;vertical-align:-1px;border:1px solid}
table{border-collapse:collapse;width:100%;font-size:13px}th,td{text-align:left;padding:5px 8px;border-bottom:1px solid var(--line);vertical-align:top}th{color:var(--muted);font-weight:600}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}td:last-child{width:28%}
.bar{height:8px;width:0;background:var(--accent);border-radius:4px;min-width:1px}.costs{display:grid;grid-template-columns:repeat(auto-fit,minmax(320px,1fr));gap:14px}
.decision{display:grid;grid-template-columns:150px 1fr;gap:10px}.decision .who{font-weight:600}.rationale{white-space:pre-wrap;overflow-wrap:anywhere;color:var(--fg);margin-top:4px}
details summary{cursor:pointer;color:var(--accent)}footer{margin-top:30px;font-size:12px;color:var(--muted)}
`;

const badge = (s: string | null | undefined) => `<span class="badge ${esc(s ?? '')}">${esc(s ?? '–')}</span>`;

function diffBlock(lines: string[]): string {
  if (!lines.length) return '';
  const cls = (l: string) => (l.startsWith('+') ? 'add' : l.startsWith('-') ? 'del' : 'mod');
  return `<pre class="diff mono">${lines.map((l) => `<span class="${cls(l)}">${esc(l)}</span>`).join('\n')}</pre>`;
}

function header(a: Audit): string {
  const T = a.totals;
  const budget = a.finalBudgetUsd !== a.budgetUsd ? `${formatUsd(a.budgetUsd)} → ${formatUsd(a.finalBudgetUsd)}` : formatUsd(a.budgetUsd);
  const kpi = (v: string, label: string) => `<div class="kpi"><b>${esc(v)}</b><span>${esc(label)}</span></div>`;
  return `<header class="card">
<h1>mas2 audit · <span class="mono">${esc(a.workflowId)}</span> ${badge(a.status)}</h1>
${a.reason ? `<div class="muted">${esc(clip(a.reason, 400))}</div>` : ''}
<div class="task" data-role="task">${esc(a.task)}</div>
<div class="kpis">${kpi(formatUsd(T.costUsd), `cost of ${budget} budget`)}${kpi(`${T.inputTokens} / ${T.outputTokens}`, 'tokens in / out')}${kpi(String(T.steps), `steps (${T.llmCalls} model, ${T.toolCalls} tool, ${T.metaCalls} meta)`)}${kpi(String(a.versions.length), `config versions · ${T.rectifications} rectification(s) applied`)}${kpi(`${T.failures} / ${T.retries}`, 'failures / retries')}${kpi(dur(T.wallMs), 'wall time')}</div>
<div class="muted" style="margin-top:8px">Pool: ${a.pool.map((b) => `<span class="mono">${esc(b.id)}</span> (${esc(b.model)}, $${esc(b.inputPerM)}/$${esc(b.outputPerM)} per M)`).join(', ')}${a.simulated ? ' — <b>simulated backbones, not real models</b>' : ''}${a.parentWorkflowId ? ` · branch of <span class="mono">${esc(a.parentWorkflowId)}</span>` : ''}${a.metaPolicy ? ` · meta policy <span class="mono" data-role="meta-policy">${esc(metaPolicyLine(a.metaPolicy))}</span>` : ''}${a.faults.length ? ` · injected faults: <span class="mono">${esc(a.faults.map((f) => JSON.stringify(f)).join(', '))}</span>` : ''}</div>
</header>`;
}

function versionCard(a: Audit, v: ConfigVersion): string {
  const r = typeof v.origin === 'number' ? a.rectifications.find((x) => x.index === v.origin) : undefined;
  const side: string[] = [];
  if (r) {
    side.push(`<h3>M<sub>${esc(r.fromVersion)}</sub> → M<sub>${esc(v.version)}</sub> ${badge(r.source)}</h3>`);
    side.push(`<dl class="kv"><dt>trigger</dt><dd>${esc(r.trigger.kind)} — ${esc(clip(r.trigger.detail.split('\n')[0], 240))}</dd><dt>changed</dt><dd>${v.changed.map((c) => `<b class="mono">${esc(c)}</b>`).join(', ') || 'no agent'}${v.addedEdges.length ? `; edges ${esc(v.addedEdges.join(', '))}` : ''}</dd>${r.rerun ? `<dt>re-run</dt><dd>${esc(r.rerun.join(', ') || 'nothing')} (kept ${esc(r.kept?.join(', ') || 'nothing')})</dd>` : ''}</dl>`);
    if (r.patch) side.push(`<div class="muted">patch (${esc(r.patch.scope)}):</div><ul class="ops mono">${r.patch.ops.map((op) => `<li>${esc(describeOp(op))}</li>`).join('')}</ul>`);
    side.push(diffBlock(v.diff));
  } else {
    side.push(`<h3>Design</h3><dl class="kv"><dt>template</dt><dd>${esc(v.config.template.name)}</dd><dt>final</dt><dd class="mono">${esc(v.config.template.finalAgent)}</dd><dt>team</dt><dd class="mono">${v.config.template.agents.map((ag) => `${esc(ag.id)}@${esc(v.config.assignment[ag.id] ?? '?')}`).join(', ')}</dd></dl>`);
    if (v.diff.length) side.push(diffBlock(v.diff));
  }
  return `<section class="card version" data-version="${esc(v.version)}" data-changed="${esc(v.changed.join(','))}"><div class="graph-wrap"><h3>${esc(v.label)}</h3>${graphSvg(v.config, v.changed, v.addedEdges)}</div><div>${side.join('')}</div></section>`;
}

function table(head: string[], rows: string[][], numeric: number[]): string {
  const th = head.map((h, i) => `<th${numeric.includes(i) ? ' class="n"' : ''}>${esc(h)}</th>`).join('');
  return `<table><thead><tr>${th}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c, i) => `<td${numeric.includes(i) ? ' class="n"' : ''}>${c}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
}

function costs(a: Audit): string {
  const byAgent = new Map<string, { calls: number; inT: number; outT: number; usd: number; kind: string }>();
  for (const s of a.steps) {
    const e = byAgent.get(s.agent) ?? { calls: 0, inT: 0, outT: 0, usd: 0, kind: s.kind === 'meta' ? 'meta' : '' };
    e.calls += 1;
    e.inT += s.inputTokens;
    e.outT += s.outputTokens;
    e.usd += s.costUsd;
    byAgent.set(s.agent, e);
  }
  const total = a.totals.costUsd || 1;
  const bar = (usd: number) => `<div class="bar" title="${esc(((usd / total) * 100).toFixed(1))}% of the cost" style="width:${Math.max(0.5, (usd / total) * 100).toFixed(1)}%"></div>`;
  const agentRows = [...byAgent.entries()].map(([id, e]) => [`<span class="mono">${esc(id)}</span> <span class="muted">${esc(e.kind)}</span>`, String(e.calls), String(e.inT), String(e.outT), esc(formatUsd(e.usd)), bar(e.usd)]);
  const bbRows = Object.entries(a.totals.perBackbone).map(([id, b]) => [`<span class="mono">${esc(id)}</span>`, String(b.calls), String(b.inputTokens), String(b.outputTokens), esc(formatUsd(b.usd)), bar(b.usd)]);
  const metaRows = Object.entries(a.totals.perMetaRole).map(([role, usd]) => [esc(role), esc(formatUsd(usd ?? 0)), bar(usd ?? 0)]);
  return `<div class="costs"><div class="card"><h3>Per agent</h3>${table(['agent', 'steps', 'in', 'out', 'cost', ''], agentRows, [1, 2, 3, 4])}</div>
<div class="card"><h3>Per backbone</h3>${table(['backbone', 'calls', 'in', 'out', 'cost', ''], bbRows, [1, 2, 3, 4])}<h3 style="margin-top:14px">Per meta-agent</h3>${table(['meta-agent', 'cost', ''], metaRows, [1])}<p class="muted">meta-agents ${esc(formatUsd(a.totals.metaUsd))} · agents ${esc(formatUsd(a.totals.agentsUsd))}${a.totals.resultCostUsd !== undefined ? ` · the result document says ${esc(formatUsd(a.totals.resultCostUsd))}` : ''}</p></div></div>`;
}

function metaDecision(who: string, m: Audit['generator'] | Audit['implementer'], what: string): string {
  const facts = [m.fromMetaAgent ? `by the ${who} meta-agent${m.backbone ? ` on ${m.backbone}` : ''}` : 'not from a meta-agent', `evidence: ${m.evidence}`, m.costUsd ? formatUsd(m.costUsd) : '', m.attempts && m.attempts > 1 ? `${m.attempts} attempts` : '', m.durationMs !== undefined ? dur(m.durationMs) : ''].filter(Boolean);
  return `<div class="card decision" data-decision="${esc(who.toLowerCase())}"><div class="who">${esc(who)}<br>${badge(m.source)}</div><div><div>${esc(what)}</div><div class="muted">${esc(facts.join(' · '))}</div>${m.error ? `<div class="fail-text">activity failed: ${esc(m.error)}</div>` : ''}${m.rationale ? `<div class="rationale">${esc(clip(m.rationale, 1500))}</div>` : ''}</div></div>`;
}

function rectDecision(r: RectificationAudit): string {
  const title = r.toVersion !== null ? `v${r.fromVersion} → v${r.toVersion}` : `v${r.fromVersion}, no new version`;
  const by = r.fromMetaAgent ? `Rectifier meta-agent on ${r.backbone ?? '?'}` : r.source === 'forced' ? 'given with the task' : 'rules (not from a meta-agent)';
  const facts = [by, `evidence: ${r.evidence}`, r.costUsd ? formatUsd(r.costUsd) : '', r.durationMs !== undefined ? dur(r.durationMs) : ''].filter(Boolean);
  const s = r.state;
  return `<div class="card decision" data-decision="rectification-${esc(r.index)}"><div class="who">Rectifier #${esc(r.index)}<br>${badge(r.source)} ${badge(r.status)}</div><div>
<div><b>${esc(r.trigger.kind)} trigger</b> · ${esc(title)} · ${esc(r.at)}</div><div class="muted">${esc(facts.join(' · '))}</div>
<div>${esc(clip(r.trigger.detail.split('\n')[0], 300))}</div>
${s ? `<div class="muted">s<sub>t</sub>: spent ${esc(formatUsd(s.costUsd))} of ${esc(formatUsd(s.budgetUsd))}; finished ${esc(s.finished.map((f) => f.agent).join(', ') || 'none')}; failed steps ${esc(s.failedSteps.map((f) => `${f.agent} ${f.kind}`).join(', ') || 'none')}</div>` : ''}
${r.patch ? `<ul class="ops mono">${r.patch.ops.map((op) => `<li>${esc(describeOp(op))}</li>`).join('')}</ul>` : '<div class="muted">no patch</div>'}
${r.error ? `<div>Rectifier failed: ${esc(r.error)}</div>` : ''}${r.reason ? `<div class="muted">${esc(r.reason)}</div>` : ''}${r.applyError ? `<div>not applied: ${esc(r.applyError)}</div>` : ''}
${r.rationale ? `<div class="rationale">${esc(clip(r.rationale, 1500))}</div>` : ''}</div></div>`;
}

function external(a: Audit): string {
  if (!a.signals.length && !a.updates.length && !a.cancelRequests.length) return '';
  const rows = [
    ...a.signals.map((s) => [esc(s.at), `signal <b>${esc(s.name)}</b>`, esc(s.reason ?? clip(JSON.stringify(s.args), 200)), esc(s.identity ?? '')]),
    ...a.updates.map((u) => [esc(u.at), `update <b>${esc(u.name)}</b>`, esc(`${clip(JSON.stringify(u.args), 200)} → ${u.outcome}${u.error ? `: ${u.error}` : ''}`), '']),
    ...a.cancelRequests.map((c) => [esc(c.at), '<b>cancel requested</b>', esc(c.cause ?? ''), esc(c.identity ?? '')]),
  ];
  return `<h2>Signals and updates</h2><div class="card">${table(['at', 'what', 'detail', 'from'], rows, [])}</div>`;
}

export function renderHtml(a: Audit): string {
  const g = a.generator;
  const im = a.implementer;
  const answer = a.result?.answer ? `<h2>Answer</h2><div class="card"><pre class="diff mono">${esc(a.result.answer.trim())}</pre></div>` : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>mas2 audit · ${esc(a.workflowId)}</title><style>${STYLE}</style></head>
<body><main>
${header(a)}
<h2>Agent graph per config version</h2>
${a.versions.length ? a.versions.map((v) => versionCard(a, v)).join('\n') : '<p class="muted">No configuration yet.</p>'}
<h2>Timeline</h2>
<div class="card">${timelineSvg(a)}<div class="tl-legend"><span><i class="sw" style="background:#b6e3ff;border-color:#0969da"></i>model call</span><span><i class="sw" style="background:#aceebb;border-color:#1a7f37"></i>tool call</span><span><i class="sw" style="background:#d8b9ff;border-color:#8250df"></i>meta-agent</span><span><i class="sw" style="background:#ffcecb;border-color:#cf222e"></i>failed ✕</span><span>×N retried</span><span>⟳ rectification trigger</span><span>hover a bar for details</span></div></div>
<h2>Cost and tokens</h2>
${costs(a)}
<h2>Meta-agent decisions</h2>
${metaDecision('Generator', g, g.template ? `template ${g.template.name}: ${g.template.agents.map((x) => x.id).join(', ')} (final ${g.template.finalAgent})` : 'no template yet')}
${metaDecision('Implementer', im, im.rows.length ? im.rows.map((r) => `${r.agent} → ${r.backbone}`).join(', ') : 'no assignment yet')}
${a.rectifications.map(rectDecision).join('\n') || '<p class="muted">No rectification: no trigger called the Rectifier.</p>'}
${external(a)}
${answer}
${a.notes.length ? `<h2>Notes</h2><div class="card"><ul>${a.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul></div>` : ''}
<footer>Projected from the Temporal history of ${esc(a.runs.length)} run(s): ${a.runs.map((r) => `<span class="mono">${esc(r.runId)}</span> ${esc(r.end)}`).join(', ')}. Generated by <span class="mono">mas2 audit --format html</span>.</footer>
</main></body></html>
`;
}
