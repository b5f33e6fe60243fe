import { codeToCheck, combineVerdict } from '../../../mas/codeCheck';

const fn = '```python\ndef is_palindrome(s):\n    t = [c.lower() for c in s if c.isalnum()]\n    return t == t[::-1]\n```';

describe('codeToCheck', () => {
  test('no python code upstream: nothing to execute', () => {
    expect(codeToCheck(['The answer is 18.'], 'PASS')).toBeNull();
    expect(codeToCheck(['```\nsome text\n```'], 'PASS')).toBeNull();
  });

  test("the producer's function alone: runs, but is no evidence of correctness", () => {
    const c = codeToCheck(['plan: write it', `Here it is:\n${fn}`], 'PASS');
    expect(c?.program).toContain('def is_palindrome');
    expect(c?.hasTests).toBe(false);
  });

  test('tests from the team (producer, others, the verifier) are appended; the last defining block wins', () => {
    const old = '```python\ndef is_palindrome(s):\n    return s == s[::-1]\n```';
    const tests = '```python\nassert is_palindrome("A man, a plan, a canal: Panama")\nassert not is_palindrome("ab")\n```';
    const c = codeToCheck([`${old}\nbetter:\n${fn}\n${tests}`], 'FAIL\n```python\nassert is_palindrome("")\n```');
    expect(c?.program).not.toContain('return s == s[::-1]');
    expect(c?.program).toContain('assert not is_palindrome("ab")');
    expect(c?.program).toContain('assert is_palindrome("")');
    expect(c?.hasTests).toBe(true);
  });

  test('a python block that is not valid Python is still run (so it fails)', () => {
    const c = codeToCheck(['```python\nfunction is_palindrome(s):\n    return s == s[::-1]\n```'], 'PASS');
    expect(c?.program).toContain('function is_palindrome(s):');
  });

  test("a test block that redefines the function contributes only its test lines", () => {
    const mixed = '```python\ndef is_palindrome(s):\n    return True\nassert is_palindrome("x")\n```';
    const c = codeToCheck([fn], mixed);
    expect(c?.program).not.toContain('return True');
    expect(c?.program).toContain('assert is_palindrome("x")');
  });
});

describe('combineVerdict: execution decides when it is evidence', () => {
  const withTests = { program: 'x', hasTests: true };
  const noTests = { program: 'x', hasTests: false };
  test('a crash is FAIL whatever the model said, with the error as feedback', () => {
    const r = combineVerdict('PASS looks good', noTests, { ok: false, output: 'SyntaxError: invalid syntax' });
    expect(r.text).toMatch(/^FAIL \(executed check/);
    expect(r.text).toContain('SyntaxError');
    expect(r.overridden).toBe(true);
  });
  test('a failed assert is FAIL', () => {
    expect(combineVerdict('PASS', withTests, { ok: false, output: 'AssertionError' }).text).toMatch(/^FAIL/);
  });
  test("a clean run with tests is PASS even if the model said FAIL", () => {
    const r = combineVerdict('FAIL, the answer is wrong', withTests, { ok: true, output: '' });
    expect(r.text).toMatch(/^PASS \(executed check/);
    expect(r.overridden).toBe(true);
  });
  test("a clean run without tests leaves the model's verdict", () => {
    expect(combineVerdict('FAIL, misses the case-insensitive part', noTests, { ok: true, output: '' })).toEqual({ text: 'FAIL, misses the case-insensitive part', overridden: false });
    expect(combineVerdict('PASS', withTests, { ok: true, output: '' })).toEqual({ text: 'PASS', overridden: false });
  });
});
