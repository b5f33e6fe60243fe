/**
 * Choosing one program among an ensemble's candidates, CodeT-style: every candidate runs on
 * the same tests (the task's public examples and the team's asserts, mas/taskTests.ts); the
 * one that passes the most wins, then the one most other candidates behave like (the same
 * results and the same returned values on every test), then the earliest sample. Public
 * examples come first because they are the task's own; the team's tests are model-written
 * and may be wrong, which agreement between independent candidates corrects for. Pure.
 */
import { countResults, type TestRun } from './testRun';

export interface Candidate {
  /** The sample's index in the ensemble (its seed order). */
  index: number;
  /** The run of its code on the tests; null when the sample gave no code. */
  run: TestRun | null;
}

export interface CandidateScore {
  index: number;
  loaded: boolean;
  task: { passed: number; usable: number };
  team: { passed: number; usable: number };
  /** Indices of the candidates (itself included) that behave the same on every test. */
  agreeing: number[];
}

export type Selection =
  | {
      kind: 'chosen';
      index: number;
      score: CandidateScore;
      /** Every candidate with code, best first. */
      ranking: CandidateScore[];
      /** One line for the audit: why this candidate. */
      explanation: string;
    }
  | { kind: 'none'; reason: string };

/** What a candidate did on the tests, in one comparable string: per test, pass or not and the value returned. */
function behaviour(run: TestRun): string {
  if (!run.loaded) return 'did not load';
  return JSON.stringify(run.results.map((r) => [r.id, r.status === 'pass', r.output ?? null]));
}

function scoreOf(c: Candidate & { run: TestRun }, all: (Candidate & { run: TestRun })[]): CandidateScore {
  const task = countResults(c.run.results, 'task');
  const team = countResults(c.run.results, 'team');
  const mine = behaviour(c.run);
  // Without a test there is no behaviour to compare: agreement says nothing then.
  const comparable = c.run.loaded && c.run.results.length > 0;
  const agreeing = comparable ? all.filter((o) => o.run.loaded && behaviour(o.run) === mine).map((o) => o.index).sort((x, y) => x - y) : [c.index];
  return { index: c.index, loaded: c.run.loaded, task: { passed: task.passed, usable: task.usable }, team: { passed: team.passed, usable: team.usable }, agreeing };
}

/** Best first: loads, task tests passed, team tests passed, candidates agreeing, earliest sample. */
function compare(a: CandidateScore, b: CandidateScore): number {
  return Number(b.loaded) - Number(a.loaded) || b.task.passed - a.task.passed || b.team.passed - a.team.passed || b.agreeing.length - a.agreeing.length || a.index - b.index;
}

const n = (i: number) => `candidate ${i + 1}`;

function describeScore(s: CandidateScore): string {
  if (!s.loaded) return `${n(s.index)} did not load`;
  const parts = [];
  if (s.task.usable) parts.push(`task tests ${s.task.passed}/${s.task.usable}`);
  if (s.team.usable) parts.push(`team tests ${s.team.passed}/${s.team.usable}`);
  if (!parts.length) parts.push('no usable tests');
  const others = s.agreeing.filter((i) => i !== s.index);
  parts.push(others.length ? `behaves like ${others.map((i) => i + 1).join(', ')}` : 'behaves like no other');
  return `${n(s.index)}: ${parts.join(', ')}`;
}

/** What decided between the winner and the runner-up (the best candidate that behaves differently). */
function decidedBy(a: CandidateScore, b: CandidateScore | undefined, candidates: number): string {
  if (!b) return candidates > 1 ? 'every candidate with code behaves the same' : 'the only candidate with code';
  if (a.loaded !== b.loaded) return 'the runner-up did not load';
  if (a.task.passed !== b.task.passed) return "more of the task's tests passed";
  if (a.team.passed !== b.team.passed) return "more of the team's tests passed";
  if (a.agreeing.length !== b.agreeing.length) return 'more candidates behave the same';
  return 'tied: the earliest sample';
}

export function selectCode(candidates: readonly Candidate[]): Selection {
  const withCode = candidates.filter((c): c is Candidate & { run: TestRun } => c.run !== null);
  if (!withCode.length) return { kind: 'none', reason: candidates.length ? `none of the ${candidates.length} samples gave code` : 'no samples were drawn' };
  const ranking = withCode.map((c) => scoreOf(c, withCode)).sort(compare);
  const best = ranking[0];
  const second = ranking.find((s) => !best.agreeing.includes(s.index));
  const explanation = `${n(best.index)} of ${candidates.length} chosen (${decidedBy(best, second, ranking.length)}): ${describeScore(best)}${second ? `; runner-up ${describeScore(second)}` : ''}`;
  return { kind: 'chosen', index: best.index, score: best, ranking, explanation };
}
