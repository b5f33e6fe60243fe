/**
 * verifier: a checking agent rejected what it checked (its answer opens with FAIL, read by
 * mas/verdict.ts). A silent error the paper's Failure signal would not see.
 */
import type { AgentSpec, PatchOp } from '../schemas';
import { callsModel } from '../operators';
import { executionRescue } from './shared';
import { backbonePrice, strongerThan } from '../pool';
import type { TriggerDescriptor } from './types';

/** Opens the line a rule-based patch appends to the rejected producer's instructions. */
const REJECTED = 'A reviewer rejected the previous attempt:';

/** The instructions without the rejection line an earlier patch appended. */
function withoutRejection(instructions: string): string {
  const at = instructions.indexOf(`\n${REJECTED}`);
  return at >= 0 ? instructions.slice(0, at) : instructions;
}

/** The producer's instructions with the latest rejection appended. */
function toldWhy(producer: AgentSpec, detail: string): PatchOp {
  return { op: 'set_instructions', agent: producer.id, instructions: `${withoutRejection(producer.instructions)}\n${REJECTED} ${detail.slice(0, 300).replace(/[\s.]+$/, '')}. Fix it.` };
}

export const verifier: TriggerDescriptor = {
  priority: 1,
  once: null,
  noun: 'a verifier rejection',
  rectifierHint:
    'Fix the agent whose output the verifier rejected (the one feeding it), not the verifier; if that agent is on a weaker backbone, moving it to a stronger one (set_backbone) is often the fix.',
  fromOutcome(o) {
    if (o.kind !== 'answered' || !o.verifier || o.verdict !== 'FAIL') return null;
    return { kind: 'verifier', detail: o.output.text.slice(0, 300), agent: o.agent, step: o.step };
  },
  // A rejection that cannot be fixed is never a completed answer: the run ends unverified with
  // the rejected candidate as its answer (mas/answer.ts), and the reason says why.
  unfixable: (t, u) => ({ status: 'unverified', reason: `the verifier ${t.agent} rejected the answer and ${u.why}: ${t.detail}` }),
  // A rejected verdict must be given again after the fix, even when the verifier itself is unchanged.
  rerun: (t) => (t.agent ? [t.agent] : []),
  patches({ config, pool, trigger }) {
    const checker = config.template.agents.find((a) => a.id === trigger.agent);
    const producer = checker ? config.template.agents.find((a) => a.id === config.template.edges.find((e) => e.to === checker.id)?.from) : undefined;
    if (!checker || !producer) return [];
    // A test step's FAIL is evidence (its tests failed): the producer gets a stronger backbone, then a vote.
    if (!callsModel(checker)) return executionRescue(producer, config, pool, `${producer.id}'s code still fails the tests of ${checker.id}`, toldWhy(producer, trigger.detail));
    const out = [];
    const checkerPrice = backbonePrice(pool, config.assignment[checker.id]);
    const producerPrice = backbonePrice(pool, config.assignment[producer.id]);
    if (checkerPrice !== undefined && producerPrice !== undefined && checkerPrice < producerPrice) {
      // A checker weaker than the producer is not evidence: check again on the producer's backbone first.
      out.push({
        scope: 'local' as const,
        ops: [{ op: 'set_backbone' as const, agent: checker.id, backbone: config.assignment[producer.id] }],
        rationale: `The verifier ${checker.id} runs on a weaker backbone than ${producer.id}, whose output it rejected; check again on ${config.assignment[producer.id]}.`,
      });
    }
    // Only the latest verdict: stacked verdicts ("…is 36", "…is 48") confused the local
    // 1.5B into answering one of the quoted wrong numbers.
    const told = toldWhy(producer, trigger.detail);
    // A rejected producer on a weaker backbone moves up at once: on the local pool the
    // 0.5B repeated the same wrong answer when only told why (12*13 → 36, then 36 again).
    const stronger = strongerThan(pool, config.assignment[producer.id]);
    out.push(
      stronger
        ? {
            scope: 'local' as const,
            ops: [told, { op: 'set_backbone' as const, agent: producer.id, backbone: stronger }],
            rationale: `The verifier ${checker.id} rejected ${producer.id}'s output; tell ${producer.id} why and move it to the stronger ${stronger}.`,
          }
        : { scope: 'local' as const, ops: [told], rationale: `The verifier ${checker.id} rejected ${producer.id}'s output; tell ${producer.id} what was wrong and run it again.` },
    );
    return out;
  },
};
