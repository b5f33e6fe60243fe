/**
 * Code extraction and the HumanEval / MBPP test programs, run for real in the
 * sandboxed python tool (the same path `mas2 eval` scores with).
 */
import * as os from 'node:os';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildTestProgram } from '../../../mas/eval/code';
import { codeBlocks, extractCode } from '../../../mas/extract';
import { parseDataset, type ScoringSpec } from '../../../mas/eval/datasets';
import { planScore } from '../../../mas/eval/score';
import { runTestProgram } from '../../../activities/evaluate';

const workspaceDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mas2-eval-code-'));
afterAll(() => fs.rmSync(workspaceDir, { recursive: true, force: true }));

const HE = parseDataset(
  'humaneval',
  JSON.stringify({
    task_id: 'HumanEval/x',
    prompt: 'from typing import List\n\n\ndef helper(x):\n    return x * 2\n\n\ndef double_all(xs: List[int]) -> List[int]:\n    """Double every element.\n    >>> double_all([1, 2])\n    [2, 4]\n    """\n',
    test: 'def check(candidate):\n    assert candidate([1, 2]) == [2, 4]\n    assert candidate([]) == []\n',
    entry_point: 'double_all',
  }),
)[0];
const MBPP = parseDataset(
  'mbpp',
  JSON.stringify({ task_id: 3, text: 'Write a function to square a number.', test_list: ['assert square(3) == 9', 'assert square(-2) == LIMIT - 96'], test_setup_code: 'LIMIT = 100' }),
)[0];

async function passes(spec: ScoringSpec, answer: string | null): Promise<boolean> {
  const plan = planScore(spec, answer);
  if (plan.kind === 'scored') return plan.outcome.pass;
  return (await runTestProgram(plan.program, { workspaceDir })).pass;
}

describe('extractCode', () => {
  test('the last python block that defines the entry point wins over later usage blocks and other languages', () => {
    const answer = [
      'Plan:', '```python\ndef double_all(xs):\n    return xs  # draft\n```', 'Better:', '```python\ndef double_all(xs):\n    return [2 * x for x in xs]\n```', 'Usage:', '```python\nprint(double_all([1]))\n```', '```bash\npython main.py\n```',
    ].join('\n');
    expect(extractCode(answer, 'double_all')).toEqual({ code: 'def double_all(xs):\n    return [2 * x for x in xs]\n', from: 'block' });
  });

  test('untagged blocks count only when no block is tagged python; no block → the whole answer', () => {
    expect(extractCode('```\ndef f():\n    return 1\n```', 'f')?.code).toContain('def f');
    expect(extractCode('```python\nx = 1\n```\n```\ndef f(): pass\n```', 'f')?.code).toBe('x = 1\n');
    expect(extractCode('def f():\n    return 1', 'f')).toEqual({ code: 'def f():\n    return 1\n', from: 'whole' });
    expect(extractCode('```text\nno python here\n```', 'f')).toBeNull();
    expect(extractCode('   ', 'f')).toBeNull();
  });

  test('a block cut off by max_tokens (no closing fence) still counts', () => {
    expect(codeBlocks('```python\ndef f():\n    return 1\n')).toEqual([{ lang: 'python', code: 'def f():\n    return 1\n' }]);
  });
});

describe('HumanEval programs', () => {
  test('a full function keeps the prompt (imports, helpers) and overrides its stub', () => {
    const { program, mode } = buildTestProgram(HE.scoring as Extract<ScoringSpec, { kind: 'humaneval' }>, 'def double_all(xs):\n    return [helper(x) for x in xs]\n');
    expect(mode).toBe('full-function');
    expect(program.indexOf('def helper')).toBeLessThan(program.lastIndexOf('def double_all'));
    expect(program.trim().endsWith('check(double_all)')).toBe(true);
  });

  test('a body-only completion is appended to the prompt, indented when it is not', () => {
    const p = buildTestProgram(HE.scoring as Extract<ScoringSpec, { kind: 'humaneval' }>, 'return [2 * x for x in xs]\n');
    expect(p.mode).toBe('body');
    expect(p.program).toContain('    """\n    return [2 * x for x in xs]');
  });

  test.each([
    ['full function in a block', 'Here:\n```python\ndef double_all(xs):\n    return [helper(x) for x in xs]\n```', true],
    ['body only, indented', '```python\n    return [2 * x for x in xs]\n```', true],
    ['body only, not indented', '```python\nreturn [x + x for x in xs]\n```', true],
    ['wrong function', '```python\ndef double_all(xs):\n    return xs\n```', false],
    ['syntax error', '```python\ndef double_all(xs) return xs\n```', false],
    ['prose only', 'I would double each element.', false],
    ['no answer', null, false],
  ])('%s → pass %s (run in the sandbox)', async (_name, answer, pass) => {
    expect(await passes(HE.scoring, answer)).toBe(pass);
  });
});

describe('MBPP programs', () => {
  test('setup code, then the code, then every assert', () => {
    const { program } = buildTestProgram(MBPP.scoring as Extract<ScoringSpec, { kind: 'mbpp' }>, 'def square(x):\n    return x * x\n');
    expect(program.indexOf('LIMIT = 100')).toBeLessThan(program.indexOf('def square'));
    expect(program.indexOf('def square')).toBeLessThan(program.indexOf('assert square(3) == 9'));
    expect(program).toContain('assert square(-2) == LIMIT - 96');
  });

  test.each([
    ['right', '```python\ndef square(x):\n    return x * x\n```', true],
    ['uses the setup code', '```python\ndef square(x):\n    return x ** 2 if LIMIT else 0\n```', true],
    ['wrong on one assert', '```python\ndef square(x):\n    return abs(x) * 3\n```', false],
    ['raises', '```python\ndef square(x):\n    raise ValueError(x)\n```', false],
  ])('%s → pass %s (run in the sandbox)', async (_name, answer, pass) => {
    expect(await passes(MBPP.scoring, answer)).toBe(pass);
  });
});
