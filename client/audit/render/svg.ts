/**
 * Inline SVG for the HTML audit, drawn here so the page needs no library and
 * no network: a layered DAG of one config version, and a timeline of steps
 * with one lane per agent. Every text goes through `esc`.
 */
import type { Config } from '../../../mas/schemas';
import type { Audit, AuditStep } from '../schemas';
import { clip, dur } from './text';
import { describeOperator } from '../../../mas/operators';
import { formatUsd } from '../../../mas/cost';

/** HTML/SVG text and attribute escaping: task text and model output are untrusted. */
export const esc = (v: unknown): string =>
  String(v ?? '').replace(/[&<>"'`]/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' })[ch]!);

// ------------------------------------------------------------------ agent graph

const NODE_H = 54;
const COL_GAP = 70;
const ROW_GAP = 22;
const PAD = 16;
const CHAR_W = 7.2;

/** Layer = longest path from a source; edges that would close a cycle are ignored for layering. */
function layers(ids: string[], edges: { from: string; to: string }[]): Map<string, number> {
  const layer = new Map(ids.map((id) => [id, 0]));
  for (let pass = 0; pass < ids.length; pass++) {
    let moved = false;
    for (const e of edges) {
      const from = layer.get(e.from);
      const to = layer.get(e.to);
      if (from === undefined || to === undefined || to > from) continue;
      if (from + 1 >= ids.length) continue; // a cycle: stop pushing
      layer.set(e.to, from + 1);
      moved = true;
    }
    if (!moved) break;
  }
  return layer;
}

export function graphSvg(config: Config, changed: string[], addedEdges: string[]): string {
  const t = config.template;
  const ids = t.agents.map((a) => a.id);
  const layer = layers(ids, t.edges);
  const cols: string[][] = [];
  for (const id of ids) (cols[layer.get(id)!] ??= []).push(id);
  const label = (id: string) => {
    const a = t.agents.find((x) => x.id === id)!;
    return [clip(id, 24), clip(a.role, 26), clip(config.assignment[id] ?? '?', 26)];
  };
  const colW = cols.map((col) => Math.max(130, ...col.flatMap((id) => label(id).map((s) => s.length * CHAR_W + 22))));
  const maxRows = Math.max(1, ...cols.map((c) => c.length));
  const height = PAD * 2 + maxRows * NODE_H + (maxRows - 1) * ROW_GAP + 18;
  const pos = new Map<string, { x: number; y: number; w: number }>();
  let x = PAD;
  cols.forEach((col, ci) => {
    const colH = col.length * NODE_H + (col.length - 1) * ROW_GAP;
    const y0 = PAD + (height - 18 - PAD * 2 - colH) / 2;
    col.forEach((id, ri) => pos.set(id, { x, y: y0 + ri * (NODE_H + ROW_GAP), w: colW[ci] }));
    x += colW[ci] + COL_GAP;
  });
  const width = x - COL_GAP + PAD;
  const out: string[] = [];
  const marker = `arrow-v${config.version}`;
  const edge = (from: string, to: string, cls: string, extra = '') => {
    const a = pos.get(from);
    const b = pos.get(to);
    if (!a || !b) return;
    const forward = b.x > a.x;
    const x1 = forward ? a.x + a.w : a.x + a.w / 2;
    const y1 = forward ? a.y + NODE_H / 2 : a.y + NODE_H;
    const x2 = forward ? b.x : b.x + b.w / 2;
    const y2 = forward ? b.y + NODE_H / 2 : b.y + NODE_H;
    const d = forward ? `M${x1},${y1} C${x1 + COL_GAP / 2},${y1} ${x2 - COL_GAP / 2},${y2} ${x2},${y2}` : `M${x1},${y1} C${x1},${y1 + 40} ${x2},${y2 + 40} ${x2},${y2}`;
    out.push(`<path class="${cls}" d="${d}" marker-end="url(#${marker})"${extra}/>`);
  };
  for (const e of t.edges) edge(e.from, e.to, addedEdges.includes(`${e.from} → ${e.to}`) ? 'edge added' : 'edge');
  for (const l of t.loops) edge(l.from, l.to, 'edge loop', ` data-rounds="${esc(l.maxRounds)}"`);
  for (const a of t.agents) {
    const p = pos.get(a.id)!;
    const [id, role, backbone] = label(a.id);
    const cls = ['node', changed.includes(a.id) ? 'changed' : '', a.id === t.finalAgent ? 'final' : '', a.verifier ? 'verifier' : ''].filter(Boolean).join(' ');
    out.push(
      `<g class="${cls}" data-agent="${esc(a.id)}"><title>${esc(`${a.id} (${a.role}) on ${config.assignment[a.id] ?? '?'}\n${a.operator ? `${describeOperator(a.operator)}\n` : ''}tools: ${a.tools.join(', ') || 'none'}\n${a.instructions}`)}</title>` +
        `<rect x="${p.x}" y="${p.y}" width="${p.w}" height="${NODE_H}" rx="8"/>` +
        `<text x="${p.x + 11}" y="${p.y + 18}" class="n-id">${esc(id)}${a.id === t.finalAgent ? ' ★' : ''}</text>` +
        `<text x="${p.x + 11}" y="${p.y + 33}" class="n-role">${esc(role)}</text>` +
        `<text x="${p.x + 11}" y="${p.y + 47}" class="n-bb">${esc(backbone)}</text></g>`,
    );
  }
  const legend = t.loops.length ? `<text x="${PAD}" y="${height - 6}" class="legend">dashed: revise loop (${t.loops.map((l) => `${esc(l.from)} ⟲ ${esc(l.to)} ≤${esc(l.maxRounds)}`).join(', ')}) · ★ final agent</text>` : `<text x="${PAD}" y="${height - 6}" class="legend">★ final agent</text>`;
  return (
    `<svg class="graph" viewBox="0 0 ${Math.ceil(width)} ${Math.ceil(height)}" width="${Math.ceil(width)}" height="${Math.ceil(height)}" role="img" aria-label="agent graph v${esc(config.version)}">` +
    `<defs><marker id="${marker}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" class="arrowhead"/></marker></defs>` +
    out.join('') +
    legend +
    `</svg>`
  );
}

// ------------------------------------------------------------------ timeline

const LANE_H = 26;
const LABEL_W = 110;
const TL_W = 1080;

const ms = (s: string | undefined) => (s ? Date.parse(s) : NaN);

/** Lanes: the Generator and Implementer, the agents in team order, the Rectifier. */
function lanesOf(a: Audit): string[] {
  const seen = new Set<string>();
  const order: string[] = [];
  const add = (id: string) => {
    if (!seen.has(id)) {
      seen.add(id);
      order.push(id);
    }
  };
  for (const m of ['generator', 'implementer']) if (a.steps.some((s) => s.agent === m)) add(m);
  for (const v of a.versions) for (const ag of v.config.template.agents) add(ag.id);
  for (const s of a.steps) if (s.agent !== 'rectifier') add(s.agent);
  if (a.steps.some((s) => s.agent === 'rectifier') || a.rectifications.length) add('rectifier');
  return order;
}

function stepTitle(s: AuditStep): string {
  const what = s.kind === 'tool' ? `tool ${s.name ?? '?'}` : s.kind === 'meta' ? `${s.agent} meta-agent on ${s.backbone ?? '?'}` : `model call on ${s.backbone ?? '?'}`;
  const lines = [`#${s.index} ${s.agent} · ${what} · v${s.configVersion}`, `${s.status}${s.attempts > 1 ? ` after ${s.attempts} attempts` : ''} · ${dur(s.durationMs)}`];
  if (s.kind !== 'tool') lines.push(`${s.inputTokens} in / ${s.outputTokens} out tokens · ${formatUsd(s.costUsd)}`);
  if (s.error) lines.push(`error: ${clip(s.error.split('\n')[0], 200)}${s.errorType ? ` (${s.errorType})` : ''}`);
  return lines.join('\n');
}

export function timelineSvg(a: Audit): string {
  const lanes = lanesOf(a);
  const starts = a.steps.map((s) => ms(s.scheduledAt)).filter((n) => !isNaN(n));
  if (!starts.length) return '<p class="muted">No steps yet.</p>';
  const t0 = Math.min(...starts);
  const ends = a.steps.map((s) => ms(s.closedAt ?? s.scheduledAt)).filter((n) => !isNaN(n));
  const t1 = Math.max(t0 + 1, ...ends);
  const plotW = TL_W - LABEL_W - 20;
  const X = (t: number) => LABEL_W + ((t - t0) / (t1 - t0)) * plotW;
  const height = lanes.length * LANE_H + 44;
  const out: string[] = [];
  lanes.forEach((id, i) => {
    const y = 8 + i * LANE_H;
    out.push(`<rect class="lane${i % 2 ? ' odd' : ''}" x="0" y="${y}" width="${TL_W}" height="${LANE_H}"/><text class="lane-label" x="8" y="${y + 17}">${esc(clip(id, 14))}</text>`);
  });
  // Rectification triggers: a marker across all lanes at the time the Rectifier was consulted.
  for (const r of a.rectifications) {
    const t = ms(r.at);
    if (isNaN(t)) continue;
    const x = X(Math.min(Math.max(t, t0), t1));
    out.push(
      `<g class="trigger"><title>${esc(`rectification ${r.index}: ${r.trigger.kind} trigger — ${clip(r.trigger.detail.split('\n')[0], 200)}\n${r.status}${r.toVersion !== null ? ` → v${r.toVersion}` : ''}`)}</title><line x1="${x}" y1="4" x2="${x}" y2="${height - 34}"/><text x="${x + 3}" y="${height - 22}">⟳${esc(r.index)} ${esc(r.trigger.kind)}</text></g>`,
    );
  }
  for (const s of a.steps) {
    const lane = lanes.indexOf(s.agent);
    const start = ms(s.scheduledAt);
    if (lane < 0 || isNaN(start)) continue;
    const end = ms(s.closedAt) || t1;
    const x = X(start);
    const w = Math.max(4, X(end) - x);
    const y = 8 + lane * LANE_H + 5;
    const cls = `step ${s.kind} ${s.status}${s.attempts > 1 ? ' retried' : ''}`;
    out.push(`<g class="${cls}" data-step="${s.index}"><title>${esc(stepTitle(s))}</title><rect x="${x.toFixed(1)}" y="${y}" width="${w.toFixed(1)}" height="${LANE_H - 10}" rx="3"/>`);
    if (s.attempts > 1) out.push(`<text class="retry" x="${(x + w + 2).toFixed(1)}" y="${y + 12}">×${s.attempts}</text>`);
    if (s.status === 'failed' || s.status === 'timed_out') out.push(`<text class="fail" x="${(x + w / 2).toFixed(1)}" y="${y + 12}" text-anchor="middle">✕</text>`);
    out.push('</g>');
  }
  const axisY = height - 10;
  out.push(`<text class="axis" x="${LABEL_W}" y="${axisY}">0</text><text class="axis" x="${LABEL_W + plotW}" y="${axisY}" text-anchor="end">${esc(dur(t1 - t0))}</text>`);
  return `<svg class="timeline" viewBox="0 0 ${TL_W} ${height}" width="${TL_W}" height="${height}" role="img" aria-label="timeline of steps">${out.join('')}</svg>`;
}
