/** Scores a finished run: the maths suites purely, the code suites by running their test program in the sandbox. */
import * as path from 'node:path';
import type { EvalProblem } from '../../mas/eval/datasets';
import { planScore, type ScoreOutcome } from '../../mas/eval/score';
import { runTestProgram } from '../../activities/evaluate';
import { runDir } from '../../activities/home';
import { dataPaths } from '../../activities/dataPaths';

export async function scoreAnswer(problem: EvalProblem, answer: string | null, opts: { home: string; workflowId: string }): Promise<ScoreOutcome> {
  const plan = planScore(problem.scoring, answer);
  if (plan.kind === 'scored') return plan.outcome;
  const r = await runTestProgram(plan.program, { workspaceDir: path.join(runDir(opts.home, opts.workflowId), 'eval'), dataPaths: dataPaths(opts.home) });
  return { pass: r.pass, extracted: plan.extracted, detail: `${plan.detail}: ${r.detail}` };
}
