/**
 * pareto.svg: mean cost per problem (log x) against pass rate (y) with the
 * 95 % interval as a bar, one labelled point per variant and the frontier.
 * Hand-written SVG: it is one scatter plot, and a plotting library (vega,
 * d3 + jsdom, chart.js + canvas) would add megabytes or native builds for it.
 */
import type { VariantSummary } from '../../mas/eval/summary';

const W = 900;
const H = 600;
const M = { left: 84, right: 36, top: 96, bottom: 74 };
const COLORS: Record<string, string> = { full: '#1f5fbf', 'no-generator': '#d9822b', 'no-implementer': '#2b9a4a', 'no-rectifier': '#b8336a', 'single-agent': '#555555' };

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function formatUsdShort(v: number): string {
  if (v === 0) return '$0';
  if (v >= 1) return `$${Number(v.toPrecision(3))}`;
  const s = Number(v.toPrecision(2)).toString();
  return `$${s.includes('e') ? v.toExponential(0).replace('e-', 'e−') : s}`;
}

/** Decade ticks, with 2 and 5 between them when the axis spans less than three decades. */
function logTicks(lo: number, hi: number): number[] {
  const out: number[] = [];
  const dense = Math.log10(hi / lo) < 3;
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    for (const m of dense ? [1, 2, 5] : [1]) {
      const v = m * 10 ** e;
      if (v >= lo * 0.999 && v <= hi * 1.001) out.push(Number(v.toPrecision(3)));
    }
  }
  return out;
}

export interface PlotMeta {
  title: string;
  subtitle: string;
}

export function paretoSvg(summaries: VariantSummary[], frontier: string[], meta: PlotMeta): string {
  const pts = summaries.filter((s) => s.n > 0);
  const positive = pts.map((s) => s.meanCostUsd).filter((c) => c > 0);
  let lo = positive.length ? Math.min(...positive) / 1.8 : 1e-4;
  let hi = positive.length ? Math.max(...positive) * 1.8 : 1e-2;
  if (hi / lo < 10) {
    const mid = Math.sqrt(lo * hi);
    lo = mid / Math.sqrt(10);
    hi = mid * Math.sqrt(10);
  }
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const x = (c: number) => M.left + (Math.log10(Math.max(c, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo)) * pw;
  const y = (p: number) => M.top + (1 - p) * ph;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif">`);
  out.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  out.push(`<text x="${W / 2}" y="30" text-anchor="middle" font-size="19" font-weight="bold" fill="#222">${esc(meta.title)}</text>`);
  out.push(`<text x="${W / 2}" y="54" text-anchor="middle" font-size="13" fill="#555">${esc(meta.subtitle)}</text>`);
  // grid and axes
  for (let p = 0; p <= 1.0001; p += 0.2) {
    out.push(`<line x1="${M.left}" x2="${M.left + pw}" y1="${y(p)}" y2="${y(p)}" stroke="#e4e4e4"/>`);
    out.push(`<text x="${M.left - 10}" y="${y(p) + 4}" text-anchor="end" font-size="12" fill="#444">${Math.round(p * 100)}%</text>`);
  }
  for (const t of logTicks(lo, hi)) {
    out.push(`<line x1="${x(t)}" x2="${x(t)}" y1="${M.top}" y2="${M.top + ph}" stroke="#efefef"/>`);
    out.push(`<line x1="${x(t)}" x2="${x(t)}" y1="${M.top + ph}" y2="${M.top + ph + 5}" stroke="#444"/>`);
    out.push(`<text x="${x(t)}" y="${M.top + ph + 20}" text-anchor="middle" font-size="12" fill="#444">${esc(formatUsdShort(t))}</text>`);
  }
  out.push(`<rect x="${M.left}" y="${M.top}" width="${pw}" height="${ph}" fill="none" stroke="#444"/>`);
  out.push(`<text x="${M.left + pw / 2}" y="${H - 22}" text-anchor="middle" font-size="14" fill="#222">mean cost per problem (USD, log scale)</text>`);
  out.push(`<text transform="translate(24 ${M.top + ph / 2}) rotate(-90)" text-anchor="middle" font-size="14" fill="#222">pass rate (bars: 95% Wilson interval)</text>`);
  // frontier
  const front = frontier.map((id) => pts.find((s) => s.variant === id)).filter((s): s is VariantSummary => !!s);
  if (front.length > 1) {
    const path = front.map((s, i) => `${i ? 'L' : 'M'}${x(s.meanCostUsd).toFixed(1)},${y(s.passRate).toFixed(1)}`).join(' ');
    out.push(`<path d="${path}" fill="none" stroke="#1f5fbf" stroke-width="2" stroke-dasharray="7 5" opacity="0.7"/>`);
  }
  // points with interval bars
  for (const s of pts) {
    const cx = x(s.meanCostUsd);
    const c = COLORS[s.variant] ?? '#333';
    if (s.interval) {
      out.push(`<line x1="${cx}" x2="${cx}" y1="${y(s.interval.high)}" y2="${y(s.interval.low)}" stroke="${c}" stroke-width="2" opacity="0.55"/>`);
      for (const v of [s.interval.low, s.interval.high]) out.push(`<line x1="${cx - 6}" x2="${cx + 6}" y1="${y(v)}" y2="${y(v)}" stroke="${c}" stroke-width="2" opacity="0.55"/>`);
    }
    const onFront = frontier.includes(s.variant);
    out.push(`<circle cx="${cx}" cy="${y(s.passRate)}" r="${onFront ? 7 : 6}" fill="${onFront ? c : '#ffffff'}" stroke="${c}" stroke-width="2.5"/>`);
  }
  // Labels: the first free spot around the point (right/left, above/below, then further up or
  // down); a spot is free when its box hits no placed label, no point and stays inside the plot.
  type Box = { x0: number; y0: number; x1: number; y1: number };
  const hit = (a: Box, b: Box) => a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;
  const placed: Box[] = pts.map((s) => ({ x0: x(s.meanCostUsd) - 8, y0: y(s.passRate) - 8, x1: x(s.meanCostUsd) + 8, y1: y(s.passRate) + 8 }));
  for (const s of [...pts].sort((a, b) => a.meanCostUsd - b.meanCostUsd)) {
    const text = `${s.variant}  ${Math.round(s.passRate * 100)}% (${s.passed}/${s.n}) · ${formatUsdShort(s.meanCostUsd)}`;
    const w = text.length * 7.4;
    const px = x(s.meanCostUsd);
    const py = y(s.passRate);
    let best: { lx: number; ly: number; anchor: 'start' | 'end'; box: Box } | undefined;
    search: for (let step = 0; step < 24; step++) {
      const dy = 16 * Math.ceil(step / 2) * (step % 2 ? -1 : 1);
      for (const [side, vert] of [[1, -1], [-1, -1], [1, 1], [-1, 1]] as const) {
        const ly = py + vert * 12 + (vert < 0 ? 0 : 10) + dy;
        const lx = px + side * 12;
        const box = side > 0 ? { x0: lx, y0: ly - 13, x1: lx + w, y1: ly + 3 } : { x0: lx - w, y0: ly - 13, x1: lx, y1: ly + 3 };
        if (box.x0 < M.left + 2 || box.x1 > M.left + pw - 2 || box.y0 < M.top + 2 || box.y1 > M.top + ph - 2) continue;
        if (placed.some((b) => hit(b, box))) continue;
        best = { lx, ly, anchor: side > 0 ? 'start' : 'end', box };
        break search;
      }
    }
    const c = COLORS[s.variant] ?? '#333';
    const l = best ?? { lx: px + 12, ly: py - 12, anchor: 'start' as const, box: { x0: px + 12, y0: py - 25, x1: px + 12 + w, y1: py - 9 } };
    placed.push(l.box);
    const ex = l.anchor === 'start' ? l.box.x0 - 2 : l.box.x1 + 2;
    if (Math.abs(l.ly - 5 - py) > 22) out.push(`<line x1="${px}" y1="${py}" x2="${ex}" y2="${l.ly - 5}" stroke="${c}" stroke-width="1" opacity="0.6"/>`);
    out.push(`<text x="${l.lx}" y="${l.ly}" text-anchor="${l.anchor}" font-size="13" fill="${c}" font-weight="bold" stroke="#ffffff" stroke-width="3" paint-order="stroke">${esc(text)}</text>`);
  }
  // legend, above the plot so it never hides a point
  const gy = M.top - 14;
  out.push(`<line x1="${M.left}" x2="${M.left + 30}" y1="${gy - 4}" y2="${gy - 4}" stroke="#1f5fbf" stroke-width="2" stroke-dasharray="7 5"/>`);
  out.push(`<text x="${M.left + 38}" y="${gy}" font-size="12" fill="#333">Pareto frontier: filled points (no other variant is as cheap and at least as accurate); hollow points are dominated</text>`);
  out.push('</svg>');
  return out.join('\n') + '\n';
}
