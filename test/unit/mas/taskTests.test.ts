import { execFileSync } from 'node:child_process';
import { humanevalTask, mbppTask, parseDataset } from '../../../mas/eval/datasets';
import { assertsIn, taskTests, teamTests, topLevelStatements, withoutDefinitions, type TaskTest } from '../../../mas/taskTests';
import { compactRun, countResults, parseTestReport, testProgram, type TestRun } from '../../../mas/testRun';
import { HUMANEVAL_LINES, MBPP_LINES } from '../../fixtures/codeProblems';

// Real Python runs of the test program (the harness is Python; only running it tests it).
jest.setTimeout(60_000);
const PYTHON = '/usr/bin/python3';
function run(code: string, tests: TaskTest[]): TestRun {
  let stdout = '';
  let error: string | undefined;
  try {
    stdout = execFileSync(PYTHON, ['-I', '-B', '-'], { input: testProgram(code, tests), encoding: 'utf8', timeout: 30_000, maxBuffer: 1 << 20 });
  } catch (e) {
    const err = e as { stdout?: string; message: string };
    stdout = err.stdout ?? '';
    error = err.message.split('\n')[0];
  }
  return parseTestReport(stdout, tests, error);
}

describe('topLevelStatements / assertsIn', () => {
  test('statements keep their bodies, bracket continuations and decorators', () => {
    const code = 'import math\n\n@cache\ndef f(x):\n    return x\n# comment\nassert f([1,\n   2]) == [1,\n   2]\nif x:\n    pass\nelse:\n    y = 1\nz = 2 + \\\n  3\n';
    expect(topLevelStatements(code)).toEqual(['import math', '@cache\ndef f(x):\n    return x', 'assert f([1,\n   2]) == [1,\n   2]', 'if x:\n    pass\nelse:\n    y = 1', 'z = 2 + \\\n  3']);
  });

  test('one test per assert, with the setup above it; definitions, prints and main guards are not tests', () => {
    const block = 'from math import isclose\ndef area(r):\n    return 3.14 * r * r\nxs = [1, 2]\nprint(area(1))\nassert area(0) == 0\nassert isclose(area(1), 3.14)\nif __name__ == "__main__":\n    assert False\n';
    expect(assertsIn(block)).toEqual(['from math import isclose\nxs = [1, 2]\nassert area(0) == 0', 'from math import isclose\nxs = [1, 2]\nassert isclose(area(1), 3.14)']);
    expect(withoutDefinitions(block)).not.toContain('def area');
  });
});

describe('taskTests: the examples a task shows', () => {
  test("MBPP: the asserts of the task's test list", () => {
    const task = mbppTask('Write a function to add two numbers.', ['assert add(1, 2) == 3', 'assert add(-1, 1) == 0']);
    expect(taskTests(task)).toEqual([
      { id: 'task-1', source: 'task', kind: 'assert', code: 'assert add(1, 2) == 3' },
      { id: 'task-2', source: 'task', kind: 'assert', code: 'assert add(-1, 1) == 0' },
    ]);
  });

  test('HumanEval: doctest examples with multi-line calls and outputs; setup lines are not examples', () => {
    const prompt = 'def f(xs):\n    """ Doubles.\n    >>> f([1,\n    ... 2])\n    [2,\n     4]\n    >>> y = f([])\n    >>> f([])\n    []\n    """\n';
    expect(taskTests(humanevalTask(prompt, 'f'))).toEqual([
      { id: 'task-ex-1', source: 'task', kind: 'example', call: 'f([1,\n2])', expected: '[2,\n 4]' },
      { id: 'task-ex-2', source: 'task', kind: 'example', call: 'f([])', expected: '[]' },
    ]);
  });

  test('example lines with arrows, for functions the task defines only', () => {
    const task = 'def digitSum(s):\n    """Examples:\n        digitSum("") => 0\n        digitSum("abAB") ➞ 131.\n        fruit(5) -> 19 - 5 = 14\n        digitSum("a(") -> 0\n        other("x") => 1\n    """';
    expect(taskTests(task).map((t) => (t.kind === 'example' ? [t.call, t.expected] : t.code))).toEqual([
      ['digitSum("")', '0'],
      ['digitSum("abAB")', '131'],
      ['digitSum("a(")', '0'],
    ]);
  });

  test('no examples, no tests; duplicates and overlong tests are dropped', () => {
    expect(taskTests('What is 12*13?')).toEqual([]);
    const dup = '```python\nassert f(1) == 1\nassert f(1)  ==  1\n```\nassert f(1) == 1';
    expect(taskTests(dup)).toHaveLength(1);
    // Spaces inside a string literal are part of the test (MBPP 800).
    expect(taskTests("assert f('a  b') == 'ab'\nassert f('a b') == 'ab'")).toHaveLength(2);
    expect(taskTests(`assert f("${'x'.repeat(3000)}") == 1`)).toEqual([]);
  });

  test("teamTests: the team's asserts, not its code", () => {
    const coder = 'Here:\n```python\ndef add(a, b):\n    return a + b\n\nassert add(2, 2) == 4\n```';
    const tester = '```python\nassert add(0, 0) == 0\nassert add(2, 2) == 4\n```';
    expect(teamTests([coder, tester]).map((t) => t.kind === 'assert' && t.code)).toEqual(['assert add(2, 2) == 4', 'assert add(0, 0) == 0']);
  });
});

describe('testProgram: one sandbox-style run, one line per test', () => {
  const tests: TaskTest[] = [
    { id: 'a', source: 'task', kind: 'assert', code: 'assert add(1, 2) == 3' },
    { id: 'b', source: 'task', kind: 'example', call: 'add(2, 2)', expected: '4' },
    { id: 'c', source: 'team', kind: 'assert', code: 'assert add(-1, 1) == 0' },
    { id: 'd', source: 'team', kind: 'assert', code: 'assert add(1,' },
    { id: 'e', source: 'task', kind: 'example', call: 'add(1, 1)', expected: 'two' },
  ];

  test('right code passes, with the values it returned; unusable tests are invalid, not failures', () => {
    const r = run('def add(a, b):\n    print("noise " * 1000)\n    return a + b\n', tests);
    expect(r.loaded).toBe(true);
    expect(r.complete).toBe(true);
    expect(r.results.map((x) => [x.id, x.status, x.output])).toEqual([
      ['a', 'pass', '3'],
      ['b', 'pass', '4'],
      ['c', 'pass', '0'],
      ['d', 'invalid', undefined],
      ['e', 'invalid', '2'],
    ]);
    expect(countResults(r.results)).toEqual({ passed: 3, failed: 0, usable: 3 });
    expect(countResults(r.results, 'team')).toEqual({ passed: 1, failed: 0, usable: 1 });
  });

  test('wrong code fails with expected and got; a crash is an error', () => {
    const r = run('def add(a, b):\n    if a < 0:\n        raise ValueError("negative")\n    return a * b\n', tests);
    expect(r.results.slice(0, 3).map((x) => [x.id, x.status, x.detail])).toEqual([
      ['a', 'fail', 'expected 3, got 2'],
      ['b', 'pass', undefined],
      ['c', 'error', 'ValueError: negative'],
    ]);
    expect(countResults(r.results)).toEqual({ passed: 1, failed: 2, usable: 3 });
  });

  test('code that does not load fails every test, with the reason', () => {
    const r = run('def add(a, b)\n    return a + b\n', tests);
    expect(r.loaded).toBe(false);
    expect(r.loadError).toMatch(/^SyntaxError/);
    expect(r.results.every((x) => x.status === 'error')).toBe(true);
    expect(run('import sys\nsys.exit(3)\n', tests).loadError).toBe('SystemExit: 3');
  });

  test('a test that never ends is an error after its time limit; the others still run', () => {
    const r = run('def add(a, b):\n    while a == 7:\n        pass\n    return a + b\n', [
      { id: 'slow', source: 'team', kind: 'assert', code: 'assert add(7, 1) == 8' },
      { id: 'fast', source: 'team', kind: 'assert', code: 'assert add(1, 1) == 2' },
    ]);
    expect(r.results.map((x) => [x.id, x.status])).toEqual([
      ['slow', 'error'],
      ['fast', 'pass'],
    ]);
    expect(r.results[0].detail).toMatch(/longer than 3 s/);
  });

  test("a name only the test uses makes it invalid; a function the code lacks, or a name the code misuses, is the code's error", () => {
    const r = run('def is_happy(s):\n    return len(s) > 2 and undefined_helper(s)\n', [
      { id: 'free', source: 'task', kind: 'example', call: 'is_happy(abcd)', expected: 'True' },
      { id: 'lacks', source: 'task', kind: 'assert', code: 'assert happy("abc")' },
      { id: 'inside', source: 'task', kind: 'example', call: 'is_happy("abc")', expected: 'True' },
    ]);
    expect(r.results.map((x) => [x.id, x.status])).toEqual([
      ['free', 'invalid'],
      ['lacks', 'error'],
      ['inside', 'error'],
    ]);
  });

  test('quotes and backslashes in code and tests cannot break the program', () => {
    const code = 'def q(s):\n    return s + "\\"\'\'\'\\\\"\n';
    const r = run(code, [{ id: 'x', source: 'task', kind: 'assert', code: 'assert q("a") == "a\\"\'\'\'\\\\"' }]);
    expect(r.results[0].status).toBe('pass');
  });

  test('a report cut short marks the rest missing; no report at all is a load failure', () => {
    const t: TaskTest[] = [
      { id: 'a', source: 'task', kind: 'assert', code: 'assert 1' },
      { id: 'b', source: 'task', kind: 'assert', code: 'assert 1' },
    ];
    const cut = parseTestReport('@@mas2-test {"id":"load","status":"pass"}\n@@mas2-test {"id":"a","status":"pass"}\n@@mas2-test {"id":"b","sta', t, 'wall-time limit');
    expect(cut.complete).toBe(false);
    expect(cut.results.map((x) => x.status)).toEqual(['pass', 'missing']);
    expect(cut.results[1].detail).toBe('the run stopped before this test: wall-time limit');
    expect(parseTestReport('', t, 'memory limit')).toMatchObject({ loaded: false, loadError: 'memory limit', complete: false });
  });
});

test('compactRun keeps what selection and feedback need, bounded', () => {
  const run: TestRun = {
    loaded: true,
    complete: true,
    results: Array.from({ length: 8 }, (_, i) => ({ id: `t${i}`, source: 'team' as const, status: i < 7 ? ('fail' as const) : ('pass' as const), output: 'x'.repeat(200), detail: 'd'.repeat(300) })),
  };
  const c = compactRun(run);
  expect(c.results.map((r) => r.status)).toEqual(run.results.map((r) => r.status));
  expect(c.results.filter((r) => r.detail).map((r) => r.detail!.length)).toEqual([200, 200, 200, 200, 200]);
  expect(new Set(c.results.map((r) => r.output)).size).toBe(1);
  expect(c.results[0].output).toHaveLength(16);
  expect(JSON.stringify(c).length).toBeLessThan(JSON.stringify(run).length / 2);
});

describe('in the benchmark line formats: the reference solutions pass every public test', () => {
  test('HumanEval format: doctest and example lines pass on the right solution and fail a wrong one', () => {
    for (const p of HUMANEVAL_LINES) {
      const tests = taskTests(humanevalTask(p.prompt, p.entry_point));
      expect({ entry: p.entry_point, n: tests.length > 0 }).toEqual({ entry: p.entry_point, n: true });
      const right = run(p.prompt + p.canonical_solution, tests);
      // A doctest statement that is not an expression (a `for` loop) is `invalid`: no evidence either way.
      const bad = right.results.filter((r) => r.status !== 'pass' && r.status !== 'invalid');
      expect(right.results.some((r) => r.status === 'pass')).toBe(true);
      expect({ entry: p.entry_point, bad }).toEqual({ entry: p.entry_point, bad: [] });
      // A wrong solution fails at least one of them.
      const wrong = run(`${p.prompt}    return None\n`, tests);
      expect(countResults(wrong.results).failed).toBeGreaterThan(0);
    }
  });

  test("MBPP format: the task's asserts, with its setup code", () => {
    const raw = MBPP_LINES.map((l) => JSON.stringify(l)).join('\n');
    const problems = parseDataset('mbpp', raw);
    for (const [i, p] of problems.entries()) {
      const tests = taskTests(p.task);
      expect(tests.length).toBe(p.scoring.kind === 'mbpp' ? p.scoring.tests.length : -1);
      const r = run(`${MBPP_LINES[i].test_setup_code}\n${MBPP_LINES[i].code}`, tests);
      expect(r.results.filter((x) => x.status !== 'pass')).toEqual([]);
    }
  });
});
