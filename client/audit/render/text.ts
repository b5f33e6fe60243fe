/** Small text helpers shared by the renderers. */
import type { PatchOp } from '../../../mas/schemas';
import { describeOperator } from '../../../mas/operators';
import type { Audit } from '../schemas';

/** A Markdown table cell: pipes escaped, on one line. */
export const cell = (v: unknown): string =>
  String(v ?? '')
    .replace(/\|/g, '\\|')
    .replace(/\s*\n\s*/g, ' ')
    .trim();
export const clip = (s: string, n: number) => (s.length > n ? s.slice(0, n - 1) + '…' : s);
export const price = (n: number | null) => (n === null ? '?' : `$${n}`);
export const dur = (ms: number | null | undefined) => (ms === null || ms === undefined ? '–' : ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`);

export function describeOp(op: PatchOp): string {
  switch (op.op) {
    case 'set_backbone':
      return `set_backbone(${op.agent} → ${op.backbone})`;
    case 'set_instructions':
      return `set_instructions(${op.agent}: "${clip(op.instructions, 80)}")`;
    case 'set_tools':
      return `set_tools(${op.agent}: [${op.tools.join(', ')}])`;
    case 'add_agent':
      return `add_agent(${op.agent.id} (${op.agent.role}) on ${op.backbone})`;
    case 'remove_agent':
      return `remove_agent(${op.agent})`;
    case 'add_edge':
      return `add_edge(${op.from} → ${op.to})`;
    case 'remove_edge':
      return `remove_edge(${op.from} → ${op.to})`;
    case 'set_final':
      return `set_final(${op.agent})`;
    case 'replace_topology':
      return `replace_topology(${op.template.agents.map((x) => x.id).join(', ')}; final ${op.template.finalAgent})`;
    case 'set_operator':
      return `set_operator(${op.agent}: ${describeOperator(op.operator ?? undefined)})`;
    case 'set_k':
      return `set_k(${op.agent}: ${op.k})`;
    case 'bypass_agent':
      return `bypass_agent(${op.agent})`;
  }
}

/** "name vN (trainer, manifest digest)" and the adapter each role applied. */
export function metaPolicyLine(p: NonNullable<Audit['metaPolicy']>): string {
  const adapters = Object.entries(p.adapters ?? {}).map(([role, file]) => `${role}: ${file}`);
  return `${p.name} v${p.version} (${p.trainer}, manifest ${p.digest})${adapters.length ? `; LoRA ${adapters.join(', ')}` : ''}`;
}
