/**
 * Verdicts need evidence. A checker's rejection (FAIL, or REVISE in a feedback loop) stands
 * when evidence backs it: a traceback, a failing test, an answer that does not parse, or an
 * executed result the answer contradicts. A model's rejection without such evidence is
 * *advisory*: recorded for the audit, it never turns a run `unverified` and never sends a
 * producer back (small checkers reject right answers: on the local pool a 1.5B checker
 * failed "156" for 12*13 that the calculator had just computed). Evidence against an answer
 * rejects it even when the model said PASS. The verdict word itself is parsed elsewhere (one
 * grammar for PASS / FAIL / REVISE); this module decides what it is worth. Pure.
 */
import type { AnswerKind } from './operators';
import { extractCode } from './extract';
import { extractAnswer, sameAnswer } from './vote';
import { countResults, type TestResult, type TestRun } from './testRun';

export type Evidence =
  /** The answer's code crashed, or did not load, when run. */
  | { kind: 'traceback'; detail: string }
  /** A test of the answer's code failed (false assertion, wrong output, an error inside the test). */
  | { kind: 'test_failed'; test: string; source: 'task' | 'team'; detail: string }
  /** Every usable test of the answer's code passed (at least one). */
  | { kind: 'tests_passed'; passed: number; of: number }
  /** The answer gives no readable number / text / code where one was expected. */
  | { kind: 'unparseable'; expected: AnswerKind; detail: string }
  /** An executed result (a program's output, a calculator's value) compared with the answer. */
  | { kind: 'executed'; value: string; source: string; agrees: boolean };

export type Bearing = 'against' | 'supports';

export function bearingOf(e: Evidence): Bearing {
  switch (e.kind) {
    case 'traceback':
    case 'test_failed':
    case 'unparseable':
      return 'against';
    case 'tests_passed':
      return 'supports';
    case 'executed':
      return e.agrees ? 'supports' : 'against';
  }
}

export function describeEvidence(e: Evidence): string {
  switch (e.kind) {
    case 'traceback':
      return `the code failed when run: ${e.detail}`;
    case 'test_failed':
      return `a ${e.source === 'task' ? "task's" : "team's"} test failed: ${e.test} (${e.detail})`;
    case 'tests_passed':
      return `all ${e.of} usable tests passed`;
    case 'unparseable':
      return `no ${e.expected === 'code' ? 'code' : `${e.expected} answer`} could be read: ${e.detail}`;
    case 'executed':
      return `${e.source} computed ${e.value}, which the answer ${e.agrees ? 'agrees with' : 'contradicts'}`;
  }
}

// ---------------------------------------------------------------- gathering evidence
/** What a run of the answer's code on its tests shows (mas/taskTests.ts). `texts` names each test for the feedback. */
export function evidenceFromTests(run: TestRun, texts: Readonly<Record<string, string>> = {}): Evidence[] {
  if (!run.loaded) return [{ kind: 'traceback', detail: run.loadError ?? 'the code did not load' }];
  const failed = run.results.filter((r: TestResult) => r.status === 'fail' || r.status === 'error');
  const out: Evidence[] = failed.map((r) => ({ kind: 'test_failed', test: texts[r.id] ?? r.id, source: r.source, detail: r.detail ?? r.status }));
  const counts = countResults(run.results);
  // Tests the run never reached (a sandbox limit) are no evidence either way; all-passed needs them all.
  const missing = run.results.some((r) => r.status === 'missing');
  if (!failed.length && !missing && counts.usable > 0) out.push({ kind: 'tests_passed', passed: counts.passed, of: counts.usable });
  return out;
}

/** Whether the answer can be read at all as what it should be. */
export function evidenceFromAnswer(answer: string | null, expected: AnswerKind): Evidence[] {
  if (expected === 'code') {
    return extractCode(answer) ? [] : [{ kind: 'unparseable', expected, detail: answer?.trim() ? 'the answer holds no Python code' : 'the answer is empty' }];
  }
  if (extractAnswer(answer, expected) !== null) return [];
  return [{ kind: 'unparseable', expected, detail: answer?.trim() ? `no ${expected} in "${answer.trim().slice(0, 80)}"` : 'the answer is empty' }];
}

/**
 * An executed result (what a program printed, what the calculator returned) set against the
 * answer. Only a result that reads as an answer of the same kind compares; otherwise it says
 * nothing (an intermediate value is not a contradiction).
 */
export function evidenceFromExecution(answer: string | null, executed: string, source: string, kind: 'number' | 'text'): Evidence[] {
  const value = extractAnswer(executed, kind);
  if (value === null || extractAnswer(answer, kind) === null) return [];
  return [{ kind: 'executed', value, source, agrees: sameAnswer(answer, executed, kind) }];
}

// ---------------------------------------------------------------- the decision
export type VerdictWord = 'PASS' | 'FAIL' | 'REVISE';

export interface JudgeInput {
  /** What the checker's model said (null: no verdict word, or a test step with no model). */
  said: VerdictWord | null;
  evidence: readonly Evidence[];
  /** A feedback loop from this checker still has a round left: a backed rejection goes back to the producer. */
  canRevise: boolean;
}

export interface Judgement {
  /** accept: the answer stands; revise: back to the producer with the evidence; reject: the verifier trigger (and `unverified` if it is not fixed). */
  action: 'accept' | 'revise' | 'reject';
  /** evidence: executed or parsed evidence decided; model: only the model's PASS (or silence), with no evidence either way. */
  decidedBy: 'evidence' | 'model';
  /** A model's FAIL or REVISE that did not stand: kept for the audit, it changes nothing. */
  advisory?: { said: 'FAIL' | 'REVISE'; why: string };
  /** The model said PASS and evidence rejected the answer. */
  overruledPass: boolean;
  against: Evidence[];
  supports: Evidence[];
  /** One line for the audit; on revise / reject, what the producer is told. */
  reason: string;
}

export function judge(input: JudgeInput): Judgement {
  const against = input.evidence.filter((e) => bearingOf(e) === 'against');
  const supports = input.evidence.filter((e) => bearingOf(e) === 'supports');
  if (against.length) {
    const action = input.canRevise ? 'revise' : 'reject';
    return {
      action,
      decidedBy: 'evidence',
      overruledPass: input.said === 'PASS',
      against,
      supports,
      reason: against.map(describeEvidence).join('; '),
    };
  }
  const rejecting = input.said === 'FAIL' || input.said === 'REVISE' ? input.said : null;
  const why = supports.length
    ? `overruled by evidence: ${supports.map(describeEvidence).join('; ')}`
    : "no evidence backs it (no failing run, test or unreadable answer); a model's opinion alone is advisory";
  return {
    action: 'accept',
    decidedBy: supports.length ? 'evidence' : 'model',
    ...(rejecting ? { advisory: { said: rejecting, why } } : {}),
    overruledPass: false,
    against,
    supports,
    reason: rejecting ? `the checker said ${rejecting}, advisory: ${why}` : supports.length ? supports.map(describeEvidence).join('; ') : `the checker said ${input.said ?? 'nothing'}; no evidence either way`,
  };
}
