/**
 * Scoring an answer against a problem's spec. The maths suites are scored
 * here; the code suites need their test program run in the sandbox, so this
 * returns the program and the caller runs it (client/eval/score.ts).
 */
import type { ScoringSpec } from './datasets';
import { buildTestProgram } from './code';
import { extractCode } from '../extract';
import { scoreGsm8k, scoreMath, type ScoreOutcome } from './math';

export type { ScoreOutcome } from './math';

export type ScorePlan =
  | { kind: 'scored'; outcome: ScoreOutcome }
  | { kind: 'run'; program: string; extracted: string; detail: string };

/** The reference answer, as shown in results.json. */
export function expectedOf(spec: ScoringSpec): string {
  switch (spec.kind) {
    case 'gsm8k':
    case 'math':
      return spec.expected;
    case 'humaneval':
      return `check(${spec.entryPoint}) passes`;
    case 'mbpp':
      return `${spec.tests.length} assert${spec.tests.length === 1 ? '' : 's'} pass`;
  }
}

export function planScore(spec: ScoringSpec, answer: string | null): ScorePlan {
  switch (spec.kind) {
    case 'gsm8k':
      return { kind: 'scored', outcome: scoreGsm8k(answer, spec.expected) };
    case 'math':
      return { kind: 'scored', outcome: scoreMath(answer, spec.expected) };
    case 'humaneval':
    case 'mbpp': {
      const code = extractCode(answer, spec.entryPoint);
      if (!code) return { kind: 'scored', outcome: { pass: false, extracted: null, detail: answer?.trim() ? 'no python code in the answer' : 'no answer' } };
      const { program, mode } = buildTestProgram(spec, code.code);
      return { kind: 'run', program, extracted: code.code, detail: `${code.from === 'block' ? 'fenced block' : 'whole answer'}, ${mode}` };
    }
  }
}
