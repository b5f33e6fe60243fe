/**
 * The programmer operator: each round, one model call (no tools) whose reply holds a Python
 * program, then one sandbox run of it. number / text: the printed output, read as such, is the
 * answer; code: the reply is, once it loads and passes the task's examples. A failing run goes
 * back as the next round's prompt; after maxRounds the agent ends with `no_answer` (the
 * failure trigger, tool python). An ensemble's programmer samples run this same loop.
 */
import type { Programmer } from '../../../mas/operators';
import type { TurnOutcome } from '../../../mas/turnOutcome';
import type { RunContext } from '../context';
import { agentSetup, takePartial, type SampleCall } from '../agent';
import { callAgentModel } from '../modelCall';
import { verdictFor } from '../triggers';
import { runCodeStep } from './codeStep';

export async function runProgrammer(ctx: RunContext, agentId: string, op: Programmer, sample?: SampleCall): Promise<TurnOutcome> {
  const s = ctx.s;
  const { config, agent, backbone, inputsKey, upstream, promptChars } = agentSetup(ctx, agentId);
  const site = { agent, backbone, partialKey: sample?.partialKey ?? agentId };
  const partial = takePartial(ctx, site.partialKey, inputsKey);
  const { partialKey: _key, note: sampleNote, ...sampleFields } = sample ?? { partialKey: agentId };
  const at = (step: number) => ({ agent: agentId, backbone: backbone.id, step });
  let chars = promptChars;
  while (partial.turns < op.maxRounds) {
    const round = partial.turns + 1;
    const note = `${sampleNote ? `${sampleNote}, ` : ''}round ${round}/${op.maxRounds}`;
    const resumeAt = { ...partial, conversation: [...partial.conversation] };
    const called = await callAgentModel(ctx, site, partial, chars, { ...sampleFields, upstream, feedbackRef: s.feedback[agentId], conversation: partial.conversation, note });
    if (called.kind === 'stopped') return called.outcome;
    const out = called.out;
    partial.turns++;
    partial.conversation = [...partial.conversation, out.messageRef];
    chars = out.promptChars + out.replyChars;
    if (!out.contentRef) {
      // It asked for tools it does not have: the reply holds no program this round.
      partial.lastError = 'the reply called a tool instead of giving a program';
      continue;
    }
    const ran = await runCodeStep(
      ctx,
      site,
      resumeAt,
      {
        codeRef: out.contentRef,
        mode: op.answer === 'code' ? 'tests' : 'print',
        answer: op.answer,
        upstreamRefs: upstream.map((u) => u.ref),
        feedback: { round, maxRounds: op.maxRounds },
      },
      `run of ${note}`,
    );
    if (ran.kind === 'stopped') return ran.outcome;
    const r = ran.r;
    if (r.ok) {
      const stored = op.answer !== 'code' && r.output ? { text: r.output.preview, chars: r.output.chars, ref: r.output.ref } : { text: out.preview ?? '', chars: out.contentChars ?? 0, ref: out.contentRef };
      const output = { ...stored, configVersion: config.version, backbone: backbone.id, inputsKey };
      return {
        kind: 'answered',
        output,
        verifier: false,
        verdict: verdictFor(config.template, agent, stored.text),
        ...at(ran.step),
        ...(sample?.answer ? { extracted: op.answer === 'code' ? null : (r.output?.extracted ?? null) } : {}),
      };
    }
    partial.lastError = r.detail;
    if (r.feedbackRef) partial.conversation = [...partial.conversation, r.feedbackRef];
    chars += r.detail.length + 200;
  }
  return { kind: 'no_answer', tool: 'python', detail: `the program of ${agentId} still fails after ${op.maxRounds} rounds: ${(partial.lastError ?? 'no program').slice(0, 300)}`, ...at(s.steps.length - 1) };
}
