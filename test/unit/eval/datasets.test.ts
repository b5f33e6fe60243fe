import { DatasetError, gsm8kExpected, mbppEntryPoint, parseDataset } from '../../../mas/eval/datasets';

const line = (o: unknown) => JSON.stringify(o);

describe('parseDataset', () => {
  test('HumanEval lines become a task with the prompt and a spec with test and entry point', () => {
    const [p] = parseDataset('humaneval', line({ task_id: 'HumanEval/0', prompt: 'def add(a, b):\n    """Add."""\n', test: 'def check(c):\n    assert c(1, 2) == 3\n', entry_point: 'add', canonical_solution: '    return a + b\n' }));
    expect(p.id).toBe('HumanEval/0');
    expect(p.task).toContain('def add(a, b):');
    expect(p.task).toContain('```python');
    expect(p.scoring).toEqual({ kind: 'humaneval', prompt: 'def add(a, b):\n    """Add."""\n', test: 'def check(c):\n    assert c(1, 2) == 3\n', entryPoint: 'add' });
  });

  test('MBPP lines carry setup and every assert; the task shows the asserts (the function name)', () => {
    const [p] = parseDataset('mbpp', line({ task_id: 7, text: 'Write a function to add two numbers.', test_list: ['assert add(1, 2) == 3', 'assert add(0, 0) == 0'], test_setup_code: 'import math' }));
    expect(p.id).toBe('7');
    expect(p.task).toContain('assert add(1, 2) == 3');
    expect(p.scoring).toEqual({ kind: 'mbpp', setup: 'import math', tests: ['assert add(1, 2) == 3', 'assert add(0, 0) == 0'], entryPoint: 'add' });
  });

  test('GSM8K: the number after ####, commas removed; ids from line numbers', () => {
    const ps = parseDataset('gsm8k', [line({ question: 'q1?', answer: 'work\n#### 1,200' }), '', line({ question: 'q2?', answer: 'x\n#### -3' })].join('\n'));
    expect(ps.map((p) => [p.id, p.line, p.scoring])).toEqual([
      ['line-1', 1, { kind: 'gsm8k', expected: '1200' }],
      ['line-3', 3, { kind: 'gsm8k', expected: '-3' }],
    ]);
    expect(ps[0].task).toMatch(/Final answer: N/);
  });

  test('MATH: the answer field, else the last \\boxed{} of the solution', () => {
    const [a, b] = parseDataset(
      'math',
      [line({ problem: 'p', solution: 'so \\boxed{1}', answer: '\\frac{1}{2}', unique_id: 'test/a.json' }), line({ problem: 'p2', solution: 'first \\boxed{2} then \\boxed{\\frac{3}{4}}.' })].join('\n'),
    );
    expect(a).toMatchObject({ id: 'test/a.json', scoring: { kind: 'math', expected: '\\frac{1}{2}' } });
    expect(b).toMatchObject({ id: 'line-2', scoring: { kind: 'math', expected: '\\frac{3}{4}' } });
    expect(a.task).toMatch(/\\boxed/);
  });

  test.each([
    ['gsm8k', '{"question": "q"}', /data\.jsonl line 1: field "answer" is missing/],
    ['gsm8k', '{"question": "q", "answer": "no marker"}', /line 1: field "answer" must end with "#### N"/],
    ['gsm8k', '{"question": "q", "answer": "#### twelve"}', /line 1: field "answer" ends with "#### twelve", which is not a number/],
    ['humaneval', '{"task_id": "H/1", "prompt": "p", "test": "t", "entry_point": "not an id"}', /line 1: field "entry_point" must be a Python identifier/],
    ['mbpp', '{"task_id": 1, "text": "t", "test_list": []}', /line 1: field "test_list" must list at least one assert/],
    ['mbpp', '{"task_id": 1, "text": "t", "test_list": "assert f()"}', /line 1: field "test_list"/],
    ['math', '{"problem": "p", "solution": "no box"}', /line 1: needs field "answer", or a "solution" with a \\boxed/],
    ['math', '{"problem": "p", "answer": "1"}\n{oops', /line 2 is not valid JSON/],
    ['math', '[1, 2]', /line 1 is not a JSON object/],
    ['gsm8k', '\n\n', /has no problems/],
  ] as const)('%s %s → one line naming line and field', (suite, text, message) => {
    let err: unknown;
    try {
      parseDataset(suite, text);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DatasetError);
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message).not.toContain('\n');
  });

  test('duplicate ids are refused with both line numbers', () => {
    const l = line({ task_id: 'H/1', prompt: 'p', test: 't', entry_point: 'f' });
    expect(() => parseDataset('humaneval', `${l}\n${l}`)).toThrow(/line 2: id "H\/1" is already used on line 1/);
  });
});

test('mbppEntryPoint reads the called function behind assert / assert not / math.isclose / set()', () => {
  expect(mbppEntryPoint(['assert min_cost([[1]], 0, 0) == 1'])).toBe('min_cost');
  expect(mbppEntryPoint(['assert not is_not_prime(2)'])).toBe('is_not_prime');
  expect(mbppEntryPoint(['assert math.isclose(area(2), 12.56, rel_tol=0.001)'])).toBe('area');
  expect(mbppEntryPoint(['assert set(similar((3, 4), (4, 5))) == set((4,))'])).toBe('similar');
  expect(mbppEntryPoint(['x = 1'])).toBeNull();
});

test('gsm8kExpected', () => {
  expect(gsm8kExpected('steps\n#### 70,000')).toBe('70000');
  expect(gsm8kExpected('#### $5')).toBe('5');
});
