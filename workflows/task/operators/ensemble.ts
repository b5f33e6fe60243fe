/**
 * The ensemble operator: k samples of one agent, each with its own recorded seed and the
 * operator's temperature, sent to the model server at once (Promise.all). Each sample is a
 * plain turn loop or a programmer loop (mas/operators.ts sampleMember). number / text: a vote
 * on the extracted answers, the first sample that gave the winner is the output; code: every
 * candidate runs on the task's examples and the team's asserts at once, and selectCode
 * chooses. No readable answer in any sample ends the agent with `no_answer` (the failure
 * trigger), never a completed run without an answer.
 */
import type { AgentSpec } from '../../../mas/schemas';
import { programmer, sampleMember, sampleSeeds, type Ensemble } from '../../../mas/operators';
import { describeVote, vote } from '../../../mas/vote';
import { selectCode, type Candidate } from '../../../mas/codeSelect';
import { SAMPLE_HINT } from '../../../mas/operatorText';
import type { EnsembleProgress } from '../../../mas/runState';
import type { TurnOutcome } from '../../../mas/turnOutcome';
import type { RunContext } from '../context';
import { agentSetup, turnLoop, type SampleCall } from '../agent';
import { verdictFor } from '../triggers';
import { runProgrammer } from './programmer';
import { runCodeStep } from './codeStep';

/** What sample i reads: a mixed ensemble tells each sample which way to work. */
function sampleSpec(agent: AgentSpec, op: Ensemble, i: number): AgentSpec {
  if (op.member !== 'mixed') return agent;
  return { ...agent, instructions: `${agent.instructions}\n${SAMPLE_HINT[sampleMember(op, i)]}` };
}

/** A sample that ended without an answer of its own (a program never ran cleanly, turns ran out): it just has no vote. */
function withoutAnswer(o: TurnOutcome): boolean {
  return o.kind === 'no_answer' || o.kind === 'turns_exhausted';
}

/** The outcome that stops the ensemble when a sample did not answer: a failure first, then a pause. */
function stopping(outcomes: (TurnOutcome | null)[]): TurnOutcome | null {
  const live = outcomes.filter((o): o is TurnOutcome => o !== null && !withoutAnswer(o) && o.kind !== 'answered');
  return live.find((o) => o.kind !== 'paused') ?? live[0] ?? null;
}

export async function runEnsemble(ctx: RunContext, agentId: string, op: Ensemble): Promise<TurnOutcome> {
  const { s, opts } = ctx;
  const { config, agent, backbone, inputsKey, upstream } = agentSetup(ctx, agentId);
  const ensembles = (s.ensembles ??= {});
  const saved = ensembles[agentId];
  // The nonce is the agent's next model-call index: a replay draws the same samples, a re-run after a patch new ones.
  const progress: EnsembleProgress =
    saved && saved.inputsKey === inputsKey ? saved : { inputsKey, seeds: sampleSeeds(opts.seed, agentId, s.counters.llmIndex[agentId] ?? 0, op.k), samples: {} };
  ensembles[agentId] = progress;
  const members = progress.seeds.map((_, i) => sampleMember(op, i));

  const outcomes = await Promise.all(
    progress.seeds.map(async (seed, i): Promise<TurnOutcome | null> => {
      if (progress.samples[i]) return null;
      const call: SampleCall = {
        partialKey: `${agentId}#${i}`,
        spec: sampleSpec(agent, op, i),
        sampling: { temperature: op.temperature, seed },
        sample: { index: i, seed },
        answer: op.answer,
        note: `sample ${i + 1}/${op.k} (seed ${seed})`,
      };
      const o = members[i] === 'programmer' ? await runProgrammer(ctx, agentId, programmer(op.answer, op.maxRounds), call) : await turnLoop(ctx, agentId, call);
      if (o.kind === 'answered') progress.samples[i] = { output: o.output, extracted: o.extracted ?? null };
      if (withoutAnswer(o)) progress.samples[i] = { output: null, extracted: null };
      return o;
    }),
  );
  const stop = stopping(outcomes);
  if (stop) return stop;

  const samples = progress.seeds.map((_, i) => progress.samples[i]);
  let chosen: number | null;
  let outcome: string;
  let answers: (string | null)[];
  if (op.answer === 'code') {
    const site = { agent, backbone, partialKey: agentId };
    const runs = await Promise.all(
      samples.map(async (x, i) =>
        x.output ? runCodeStep(ctx, site, { inputsKey, conversation: [], turns: 0 }, { codeRef: x.output.ref, mode: 'tests', upstreamRefs: upstream.map((u) => u.ref) }, `tests of sample ${i + 1}/${op.k}`) : null,
      ),
    );
    const stopped = runs.find((r) => r?.kind === 'stopped');
    if (stopped?.kind === 'stopped') return stopped.outcome;
    const candidates: Candidate[] = runs.map((r, i) => ({ index: i, run: r?.kind === 'ran' ? (r.r.run ?? null) : null }));
    const selection = selectCode(candidates);
    chosen = selection.kind === 'chosen' ? selection.index : null;
    outcome = selection.kind === 'chosen' ? selection.explanation : `no code: ${selection.reason}`;
    answers = runs.map((r) => (r?.kind === 'ran' && r.r.run ? `${r.r.run.results.filter((t) => t.status === 'pass').length}/${r.r.run.results.length} tests passed` : null));
  } else {
    answers = samples.map((x) => x.extracted);
    const v = vote(answers);
    chosen = v.kind === 'winner' ? v.representative : null;
    outcome = describeVote(v);
  }
  (s.ensembleRuns ??= []).push({ agent: agentId, configVersion: config.version, seeds: progress.seeds, members, answers, outcome, chosen });
  delete ensembles[agentId];
  const step = s.steps.length - 1;
  const output = chosen !== null ? samples[chosen].output : null;
  if (!output) return { kind: 'no_answer', detail: `no extractable answer from the ${op.k} samples of ${agentId}: ${outcome}`, agent: agentId, backbone: backbone.id, step };
  return { kind: 'answered', output, verifier: false, verdict: verdictFor(config.template, agent, output.text), agent: agentId, backbone: backbone.id, step };
}
