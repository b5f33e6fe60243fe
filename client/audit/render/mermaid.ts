/** The audit as a Mermaid flowchart: one subgraph per config version, changed agents and added edges highlighted. */
import type { Audit } from '../schemas';
import { edgeKey } from '../project/versions';

/** Mermaid label text inside "…": quotes and angle brackets as entities, so only our <br/> is markup. */
const mm = (s: string) => s.replace(/"/g, '#quot;').replace(/</g, '#lt;').replace(/>/g, '#gt;').replace(/\s*\n\s*/g, ' ');

export function renderMermaid(a: Audit): string {
  const L: string[] = ['flowchart TD'];
  if (!a.versions.length) {
    L.push(`  empty["${mm(`${a.workflowId}: no configuration yet (${a.status})`)}"]`);
    return L.join('\n') + '\n';
  }
  const ids = new Map<string, string>();
  const nodeId = (v: number, agent: string) => {
    const key = `${v}\u0000${agent}`;
    let id = ids.get(key);
    if (!id) {
      const base = `v${v}_${agent.replace(/[^A-Za-z0-9_]/g, '_')}`;
      id = [...ids.values()].includes(base) ? `${base}_${ids.size}` : base;
      ids.set(key, id);
    }
    return id;
  };
  let link = 0;
  const highlightLinks: number[] = [];
  const changedNodes: string[] = [];
  for (const ver of a.versions) {
    const c = ver.config;
    const sub = `v${ver.version}`;
    L.push(`  subgraph ${sub}["${mm(`${ver.label} · final: ${c.template.finalAgent}`)}"]`);
    L.push('    direction TB');
    for (const ag of c.template.agents) {
      const id = nodeId(ver.version, ag.id);
      L.push(`    ${id}["${mm(ag.id)}<br/>${mm(ag.role)}<br/>${mm(c.assignment[ag.id] ?? '?')}"]`);
      if (ver.changed.includes(ag.id)) changedNodes.push(id);
    }
    for (const e of c.template.edges) {
      L.push(`    ${nodeId(ver.version, e.from)} --> ${nodeId(ver.version, e.to)}`);
      if (ver.addedEdges.includes(edgeKey(e))) highlightLinks.push(link);
      link++;
    }
    for (const l of c.template.loops) {
      L.push(`    ${nodeId(ver.version, l.from)} -. "REVISE ≤${l.maxRounds}" .-> ${nodeId(ver.version, l.to)}`);
      link++;
    }
    L.push('  end');
  }
  for (let i = 1; i < a.versions.length; i++) {
    const ver = a.versions[i];
    const r = typeof ver.origin === 'number' ? a.rectifications.find((x) => x.index === ver.origin) : undefined;
    const label = r ? `${r.trigger.kind}: ${r.patch?.ops.map((op) => op.op).join(', ') ?? ''}` : 'carried';
    L.push(`  v${a.versions[i - 1].version} ==>|"${mm(label)}"| v${ver.version}`);
    link++;
  }
  L.push('  classDef changed fill:#fff3b0,stroke:#d97706,stroke-width:3px');
  if (changedNodes.length) L.push(`  class ${changedNodes.join(',')} changed`);
  if (highlightLinks.length) L.push(`  linkStyle ${highlightLinks.join(',')} stroke:#d97706,stroke-width:3px`);
  return L.join('\n') + '\n';
}
