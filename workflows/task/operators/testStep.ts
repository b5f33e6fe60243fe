/**
 * The test step: no model call. It runs the code its producer gave (the nearest finished
 * predecessor) on the task's examples and the asserts the other upstream agents wrote, and the
 * evidence decides (mas/evidence.ts judge): PASS; REVISE with the failing tests when its
 * feedback loop has a round left (the producer runs again with them); FAIL otherwise — an
 * evidence-backed rejection, the verifier trigger, `unverified` if it cannot be fixed.
 */
import { canRevise } from '../../../mas/loops';
import { topologicalOrder } from '../../../mas/graph';
import type { Verdict } from '../../../mas/verdict';
import type { TurnOutcome } from '../../../mas/turnOutcome';
import type { RunContext } from '../context';
import { agentSetup } from '../agent';
import { runCodeStep } from './codeStep';

const VERDICT_OF: Record<'accept' | 'revise' | 'reject', Verdict> = { accept: 'PASS', revise: 'REVISE', reject: 'FAIL' };

export async function runTestStep(ctx: RunContext, agentId: string): Promise<TurnOutcome> {
  const s = ctx.s;
  const { config, agent, backbone, inputsKey, upstream } = agentSetup(ctx, agentId);
  const order = topologicalOrder(config.template) ?? config.template.agents.map((a) => a.id);
  const producer = [...upstream].sort((a, b) => order.indexOf(b.agent) - order.indexOf(a.agent))[0];
  const site = { agent, backbone, partialKey: agentId };
  const ran = await runCodeStep(
    ctx,
    site,
    { inputsKey, conversation: [], turns: 0 },
    {
      codeRef: producer.ref,
      mode: 'tests',
      upstreamRefs: upstream.filter((u) => u !== producer).map((u) => u.ref),
      judge: { canRevise: canRevise(config.template, agentId, s.rounds) },
    },
    `tests of ${producer.agent}'s code`,
  );
  if (ran.kind === 'stopped') return ran.outcome;
  const v = ran.r.verdict!;
  (s.judgements ??= []).push({ agent: agentId, configVersion: config.version, said: null, action: v.action, decidedBy: v.decidedBy, reason: v.reason.slice(0, 500), step: ran.step });
  const output = { text: v.preview, chars: v.chars, ref: v.ref, configVersion: config.version, backbone: backbone.id, inputsKey };
  return { kind: 'answered', output, verifier: true, verdict: VERDICT_OF[v.action], agent: agentId, backbone: backbone.id, step: ran.step };
}
