import fc from 'fast-check';
import { bearingOf, describeEvidence, evidenceFromAnswer, evidenceFromExecution, evidenceFromTests, judge, type Evidence, type VerdictWord } from '../../../mas/evidence';
import type { TestRun } from '../../../mas/testRun';
import { testStepVerdict } from '../../../mas/operatorText';
import { verdictOf } from '../../../mas/verdict';

describe('gathering evidence', () => {
  test('the 12*13 run: the calculator computed 156 and the answer says 156', () => {
    const e = evidenceFromExecution('The product is 156.', '156', 'calculator', 'number');
    expect(e).toEqual([{ kind: 'executed', value: '156', source: 'calculator', agrees: true }]);
    expect(bearingOf(e[0])).toBe('supports');
    expect(evidenceFromExecution('The product is 36.', '156', 'calculator', 'number')[0]).toMatchObject({ agrees: false });
  });

  test('an executed result or an answer that reads as nothing compares with nothing', () => {
    expect(evidenceFromExecution('156', 'ok', 'python', 'number')).toEqual([]);
    expect(evidenceFromExecution('I do not know', '156', 'python', 'number')).toEqual([]);
  });

  test('an answer that does not parse as what it should be', () => {
    expect(evidenceFromAnswer('Final answer: 18', 'number')).toEqual([]);
    expect(evidenceFromAnswer('no idea', 'number')).toEqual([{ kind: 'unparseable', expected: 'number', detail: 'no number in "no idea"' }]);
    expect(evidenceFromAnswer('', 'text')).toEqual([{ kind: 'unparseable', expected: 'text', detail: 'the answer is empty' }]);
    expect(evidenceFromAnswer('```python\ndef f():\n    return 1\n```', 'code')).toEqual([]);
    expect(evidenceFromAnswer('```text\nhello\n```', 'code')[0]).toMatchObject({ kind: 'unparseable', expected: 'code' });
  });

  const run = (statuses: ('pass' | 'fail' | 'error' | 'invalid' | 'missing')[]): TestRun => ({
    loaded: true,
    complete: !statuses.includes('missing'),
    results: statuses.map((status, i) => ({ id: `t${i}`, source: i ? 'team' : 'task', status, ...(status === 'pass' || status === 'invalid' || status === 'missing' ? {} : { detail: 'expected 3, got 2' }) })),
  });

  test('a test run: failures are evidence against, a clean run of every usable test supports', () => {
    expect(evidenceFromTests(run(['pass', 'pass', 'invalid']))).toEqual([{ kind: 'tests_passed', passed: 2, of: 2 }]);
    expect(evidenceFromTests(run(['fail', 'pass']), { t0: 'assert add(1, 2) == 3' })).toEqual([{ kind: 'test_failed', test: 'assert add(1, 2) == 3', source: 'task', detail: 'expected 3, got 2' }]);
    expect(evidenceFromTests({ loaded: false, loadError: 'SyntaxError: bad', complete: true, results: [] })).toEqual([{ kind: 'traceback', detail: 'SyntaxError: bad' }]);
    // Tests cut off by a sandbox limit are no evidence either way.
    expect(evidenceFromTests(run(['pass', 'missing']))).toEqual([]);
    // Only invalid tests: nothing was tested.
    expect(evidenceFromTests(run(['invalid']))).toEqual([]);
  });
});

describe('judge: a FAIL stands when evidence backs it', () => {
  const supports: Evidence = { kind: 'executed', value: '156', source: 'calculator', agrees: true };
  const against: Evidence = { kind: 'test_failed', test: 'assert f(1) == 2', source: 'task', detail: 'expected 2, got 1' };

  test("the checker's FAIL against an executed 156 is advisory", () => {
    const j = judge({ said: 'FAIL', evidence: [supports], canRevise: false });
    expect(j).toMatchObject({ action: 'accept', decidedBy: 'evidence', advisory: { said: 'FAIL' }, overruledPass: false });
    expect(j.reason).toBe('the checker said FAIL, advisory: overruled by evidence: calculator computed 156, which the answer agrees with');
  });

  test('a FAIL with no evidence either way is advisory too: opinion alone never rejects', () => {
    const j = judge({ said: 'FAIL', evidence: [], canRevise: true });
    expect(j).toMatchObject({ action: 'accept', decidedBy: 'model', advisory: { said: 'FAIL' } });
    expect(j.advisory?.why).toContain("a model's opinion alone is advisory");
  });

  test('evidence against rejects even a PASS; with a loop round left the producer revises', () => {
    expect(judge({ said: 'PASS', evidence: [against, supports], canRevise: false })).toMatchObject({ action: 'reject', decidedBy: 'evidence', overruledPass: true, reason: "a task's test failed: assert f(1) == 2 (expected 2, got 1)" });
    expect(judge({ said: 'FAIL', evidence: [against], canRevise: true })).toMatchObject({ action: 'revise', overruledPass: false });
  });

  test('a PASS with no evidence is the model\'s word; with evidence, evidence decided', () => {
    expect(judge({ said: 'PASS', evidence: [], canRevise: false })).toMatchObject({ action: 'accept', decidedBy: 'model', reason: 'the checker said PASS; no evidence either way' });
    expect(judge({ said: null, evidence: [{ kind: 'tests_passed', passed: 3, of: 3 }], canRevise: false })).toMatchObject({ action: 'accept', decidedBy: 'evidence', reason: 'all 3 usable tests passed' });
  });

  const arbEvidence: fc.Arbitrary<Evidence> = fc.oneof(
    fc.constant<Evidence>({ kind: 'traceback', detail: 'ZeroDivisionError' }),
    fc.constant<Evidence>(against),
    fc.constant<Evidence>({ kind: 'tests_passed', passed: 2, of: 2 }),
    fc.constant<Evidence>({ kind: 'unparseable', expected: 'number', detail: 'no number' }),
    fc.boolean().map((agrees): Evidence => ({ kind: 'executed', value: '7', source: 'python', agrees })),
  );

  test('property: the answer is rejected exactly when some evidence is against it, whatever the model said', () => {
    fc.assert(
      fc.property(fc.constantFrom<VerdictWord | null>('PASS', 'FAIL', 'REVISE', null), fc.array(arbEvidence, { maxLength: 4 }), fc.boolean(), (said, evidence, canRevise) => {
        const j = judge({ said, evidence, canRevise });
        const anyAgainst = evidence.some((e) => bearingOf(e) === 'against');
        expect(j.action === 'accept').toBe(!anyAgainst);
        if (anyAgainst) expect(j.action).toBe(canRevise ? 'revise' : 'reject');
        // A model's rejection that did not stand is always on the record.
        if (!anyAgainst && (said === 'FAIL' || said === 'REVISE')) expect(j.advisory?.said).toBe(said);
        expect(j.against.length + j.supports.length).toBe(evidence.length);
        for (const e of evidence) expect(describeEvidence(e).length).toBeGreaterThan(0);
      }),
      { numRuns: 400 },
    );
  });
});

describe("a test step's verdict text (mas/operatorText.ts testStepVerdict)", () => {
  const failing: Evidence = { kind: 'test_failed', test: 'fib(10)  # expected: 55', source: 'task', detail: 'expected 55, got 10' };
  test('PASS with what passed; REVISE with the failing tests as feedback; FAIL when no round is left — read as such by the one grammar', () => {
    const pass = testStepVerdict(judge({ said: null, evidence: [{ kind: 'tests_passed', passed: 2, of: 2 }], canRevise: true }));
    expect(pass).toBe('PASS: all 2 usable tests passed');
    const revise = testStepVerdict(judge({ said: null, evidence: [failing], canRevise: true }));
    expect(revise).toBe("REVISE\nYour answer was checked by running it, and it failed:\n- a task's test failed: fib(10)  # expected: 55 (expected 55, got 10)\nFix these and give the complete answer again.");
    const fail = testStepVerdict(judge({ said: null, evidence: [failing], canRevise: false }));
    expect(fail).toBe("FAIL: a task's test failed: fib(10)  # expected: 55 (expected 55, got 10)");
    expect([pass, revise, fail].map((t) => verdictOf(t))).toEqual(['PASS', 'REVISE', 'FAIL']);
  });
});
