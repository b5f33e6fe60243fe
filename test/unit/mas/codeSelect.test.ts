import fc from 'fast-check';
import { selectCode, type Candidate } from '../../../mas/codeSelect';
import type { TestResult, TestRun, TestStatus } from '../../../mas/testRun';

const result = (id: string, source: 'task' | 'team', status: TestStatus, output?: string): TestResult => ({ id, source, status, ...(output !== undefined ? { output } : {}) });
const ran = (results: TestResult[]): TestRun => ({ loaded: true, complete: true, results });
const noLoad: TestRun = { loaded: false, loadError: 'SyntaxError: invalid syntax', complete: true, results: [] };

describe('selectCode', () => {
  test("the task's tests decide first", () => {
    const s = selectCode([
      { index: 0, run: ran([result('t1', 'task', 'fail', '2'), result('m1', 'team', 'pass', '4'), result('m2', 'team', 'pass', '0')]) },
      { index: 1, run: ran([result('t1', 'task', 'pass', '3'), result('m1', 'team', 'fail', '5'), result('m2', 'team', 'fail', '1')]) },
    ]);
    expect(s).toMatchObject({ kind: 'chosen', index: 1 });
    expect(s.kind === 'chosen' && s.explanation).toBe(
      "candidate 2 of 2 chosen (more of the task's tests passed): candidate 2: task tests 1/1, team tests 0/2, behaves like no other; runner-up candidate 1: task tests 0/1, team tests 2/2, behaves like no other",
    );
  });

  test('then agreement: candidates that return the same values on every test', () => {
    const same = () => ran([result('m1', 'team', 'pass', '4'), result('x', 'team', 'fail', '7')]);
    const s = selectCode([
      { index: 0, run: ran([result('m1', 'team', 'pass', '4'), result('x', 'team', 'fail', '9')]) },
      { index: 1, run: same() },
      { index: 2, run: null },
      { index: 3, run: same() },
    ]);
    expect(s).toMatchObject({ kind: 'chosen', index: 1, score: { agreeing: [1, 3] } });
    expect(s.kind === 'chosen' && s.explanation).toContain('(more candidates behave the same)');
  });

  test('code that does not load loses to any that does; invalid tests count for no one', () => {
    const s = selectCode([
      { index: 0, run: noLoad },
      { index: 1, run: ran([result('t1', 'task', 'fail', '1'), result('t2', 'task', 'invalid', '1')]) },
    ]);
    expect(s).toMatchObject({ kind: 'chosen', index: 1, score: { task: { passed: 0, usable: 1 } } });
    expect(s.kind === 'chosen' && s.explanation).toContain('(the runner-up did not load)');
  });

  test('no tests at all: the earliest sample, and the explanation says agreement told nothing', () => {
    const s = selectCode([
      { index: 0, run: ran([]) },
      { index: 1, run: ran([]) },
    ]);
    expect(s).toMatchObject({ kind: 'chosen', index: 0, score: { agreeing: [0] } });
    expect(s.kind === 'chosen' && s.explanation).toBe('candidate 1 of 2 chosen (tied: the earliest sample): candidate 1: no usable tests, behaves like no other; runner-up candidate 2: no usable tests, behaves like no other');
  });

  test('no code from any sample is its own outcome', () => {
    expect(selectCode([{ index: 0, run: null }, { index: 1, run: null }])).toEqual({ kind: 'none', reason: 'none of the 2 samples gave code' });
    expect(selectCode([])).toEqual({ kind: 'none', reason: 'no samples were drawn' });
  });

  // Random candidates over the same three tests (two from the task, one from the team).
  const arbRun: fc.Arbitrary<TestRun | null> = fc.oneof(
    { weight: 1, arbitrary: fc.constant(null) },
    { weight: 1, arbitrary: fc.constant(noLoad) },
    {
      weight: 6,
      arbitrary: fc
        .tuple(fc.constantFrom<TestStatus>('pass', 'fail', 'error'), fc.constantFrom<TestStatus>('pass', 'fail'), fc.constantFrom<TestStatus>('pass', 'fail', 'invalid'), fc.constantFrom('1', '2'))
        .map(([a, b, c, out]) => ran([result('t1', 'task', a, out), result('t2', 'task', b, out), result('m1', 'team', c, out)])),
    },
  );
  const arbCandidates = fc.array(arbRun, { minLength: 1, maxLength: 9 }).map((runs) => runs.map((run, index): Candidate => ({ index, run })));

  test('property: the chosen candidate passes the most task tests among those that load, and the order of the list does not matter', () => {
    fc.assert(
      fc.property(arbCandidates.chain((cs) => fc.tuple(fc.constant(cs), fc.shuffledSubarray(cs, { minLength: cs.length, maxLength: cs.length }))), ([cs, shuffled]) => {
        const s = selectCode(cs);
        const withCode = cs.filter((c) => c.run);
        if (!withCode.length) {
          expect(s.kind).toBe('none');
          return;
        }
        if (s.kind !== 'chosen') throw new Error('expected a choice');
        const chosen = cs[s.index].run!;
        const passed = (r: TestRun) => r.results.filter((x) => x.source === 'task' && x.status === 'pass').length;
        const loaded = withCode.filter((c) => c.run!.loaded);
        if (loaded.length) {
          expect(chosen.loaded).toBe(true);
          expect(passed(chosen)).toBe(Math.max(...loaded.map((c) => passed(c.run!))));
        }
        expect(s.ranking).toHaveLength(withCode.length);
        expect(selectCode(shuffled)).toEqual(s);
      }),
      { numRuns: 400 },
    );
  });
});
