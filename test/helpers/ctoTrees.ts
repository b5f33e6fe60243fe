/** Hand-built CTO trees for tests: nested specs → a node map, and a credited tree. */
import { ROOT_ID, assignCredit, childId, type CtoNode, type CtoTree } from '../../mas/cto';
import { CtoParamsSchema } from '../../mas/ctoSchemas';
import type { MetaRole } from '../../mas/schemas';

export interface Spec {
  cost?: number;
  out?: unknown;
  ref?: string;
  leaf?: { pass: boolean; runCost: number };
  kids?: Spec[];
}

const ROLE_BELOW: Record<string, MetaRole> = { root: 'generator', generator: 'implementer', implementer: 'rectifier', rectifier: 'rectifier' };

/** Builds a node map from nested specs; children get the role below their parent. */
export function build(kids: Spec[]): Record<string, CtoNode> {
  const nodes: Record<string, CtoNode> = { [ROOT_ID]: { id: ROOT_ID, parent: null, role: 'root', sample: 0, depth: 0, children: [] } };
  const add = (parent: CtoNode, spec: Spec, sample: number) => {
    const role = ROLE_BELOW[parent.role];
    const node: CtoNode = {
      id: childId(parent.id, role, sample),
      parent: parent.id,
      role,
      sample,
      depth: parent.depth + (role === 'rectifier' ? 1 : 0),
      children: [],
      decision: { output: spec.out ?? { pick: `${parent.id}/${sample}` }, promptRef: spec.ref ?? `prompt:${parent.id}`, source: 'model', rationale: '', costUsd: spec.cost ?? 0, callKey: `k:${sample}` },
    };
    nodes[node.id] = node;
    parent.children.push(node.id);
    if (spec.leaf) node.outcome = { pass: spec.leaf.pass, detail: '', runCostUsd: spec.leaf.runCost };
    (spec.kids ?? []).forEach((k, i) => add(node, k, i));
  };
  kids.forEach((k, i) => add(nodes[ROOT_ID], k, i));
  return nodes;
}

export function treeOf(nodes: Record<string, CtoNode>, queryId = 'q', task = 't'): CtoTree {
  return assignCredit({ queryId, task, workflowId: 'wf', evaluator: 'exact', params: CtoParamsSchema.parse({}), root: ROOT_ID, nodes });
}
