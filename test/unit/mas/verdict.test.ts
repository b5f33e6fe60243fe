/** The one verdict grammar (mas/verdict.ts): every reader reads PASS / FAIL / REVISE through verdictOf. */
import fc from 'fast-check';
import { VERDICT_PREFIX_CHARS, legacyVerdictOf, stripVerdict, verdictOf, type Verdict } from '../../../mas/verdict';
import { previewOf } from '../../../mas/content';

describe('verdictOf reads the ways models write a verdict', () => {
  test.each<[string, Verdict]>([
    ['PASS', 'PASS'],
    ['PASS: fine', 'PASS'],
    ['FAIL. The sum is 5.', 'FAIL'],
    ['fail.', 'FAIL'],
    ['Fail - wrong unit', 'FAIL'],
    ['  **FAIL** the sum is wrong', 'FAIL'],
    ['**FAIL:** the sum is wrong', 'FAIL'],
    ['**FAIL**: the sum is wrong', 'FAIL'],
    ['__PASS__', 'PASS'],
    ['*Pass*, it checks out', 'PASS'],
    ['"FAIL" — the code crashes', 'FAIL'],
    ["'PASS'", 'PASS'],
    ['“REVISE”: show the steps', 'REVISE'],
    ['`FAIL`', 'FAIL'],
    ['**"FAIL"**', 'FAIL'],
    ['(FAIL) missing edge case', 'FAIL'],
    ['[PASS]', 'PASS'],
    ['FAIL!', 'FAIL'],
    ['FAIL\nthe code is wrong', 'FAIL'],
    ['revise: the second step', 'REVISE'],
    ['REVISE', 'REVISE'],
    ['Verdict: FAIL', 'FAIL'],
    ['**Verdict:** PASS', 'PASS'],
    ['Verdict - **fail**', 'FAIL'],
    ['# FAIL', 'FAIL'],
    ['> PASS', 'PASS'],
    ['- FAIL: no tests', 'FAIL'],
    ['\n\n\t FAIL', 'FAIL'],
  ])('%j → %s', (text, verdict) => {
    expect(verdictOf(text)).toBe(verdict);
  });

  test.each([
    'The answer is 18. PASS',
    'PASSWORD reset',
    'PASSED',
    'Failure of the second step',
    'FAILS to compile',
    'Revised version attached',
    'REVISED',
    'pass_through',
    'Looks good. REVISE nothing',
    'APPROVE',
    '',
    'I think it fails',
    'The verdict is FAIL',
  ])('%j → null', (text) => {
    expect(verdictOf(text)).toBeNull();
  });
});

describe('stripVerdict', () => {
  test.each([
    ['PASS: the answer is 18', 'the answer is 18'],
    ['PASS\n```python\nx = 1\n```', '```python\nx = 1\n```'],
    ['**FAIL:** the sum is 5', 'the sum is 5'],
    ['**FAIL**: the sum is 5', 'the sum is 5'],
    ['"PASS" — fine', 'fine'],
    ['Verdict: PASS. 18', '18'],
    ['no verdict here', 'no verdict here'],
  ])('%j → %j', (text, rest) => {
    expect(stripVerdict(text)).toBe(rest);
  });
});

const word = fc.constantFrom<Verdict>('PASS', 'FAIL', 'REVISE');
const casing = fc.constantFrom((w: string) => w, (w: string) => w.toLowerCase(), (w: string) => w[0] + w.slice(1).toLowerCase());
const wrap = fc.constantFrom(['', ''], ['**', '**'], ['__', '__'], ['*', '*'], ['"', '"'], ["'", "'"], ['“', '”'], ['`', '`'], ['**"', '"**'], ['(', ')']);
const label = fc.constantFrom('', 'Verdict: ', '**Verdict:** ', 'verdict - ');
const lead = fc.constantFrom('', ' ', '\n\n', '\t', '# ', '> ');
const after = fc.constantFrom('', ':', '.', '!', ',', ' -', ' —', '\n', ': ');
const rest = fc.string({ maxLength: 300 }).filter((r) => !/^[\p{L}\p{N}_]/u.test(r));

test('property: any bold / quoted / labelled / cased verdict followed by punctuation reads as itself', () => {
  fc.assert(
    fc.property(lead, label, wrap, casing, word, after, rest, (l, lab, [open, close], c, w, a, r) => {
      const text = `${l}${lab}${open}${c(w)}${close}${a}${r}`;
      expect(verdictOf(text)).toBe(w);
      // What the workflow keeps of an output gives the same verdict.
      expect(verdictOf(previewOf(text))).toBe(w);
    }),
    { numRuns: 2000 },
  );
});

test('property: a verdict word glued to more letters is no verdict', () => {
  fc.assert(
    fc.property(word, fc.stringMatching(/^_?[A-Za-z0-9]{1,8}$/), (w, tail) => {
      expect(verdictOf(`${w}${tail} and more`)).toBeNull();
    }),
  );
});

test('property: the grammar never reads past its bounded prefix, so a preview decides like the whole text', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 400 }), fc.string({ maxLength: 400 }), (head, tail) => {
      const text = head + tail;
      expect(verdictOf(previewOf(text))).toBe(verdictOf(text));
      expect(verdictOf(text.trimStart().slice(0, VERDICT_PREFIX_CHARS))).toBe(verdictOf(text));
    }),
    { numRuns: 3000 },
  );
});

test('the legacy reader (replay of older runs only) knew just a plain FAIL or REVISE', () => {
  expect(legacyVerdictOf('FAIL: x')).toBe('FAIL');
  expect(legacyVerdictOf('  revise')).toBe('REVISE');
  expect(legacyVerdictOf('**FAIL**')).toBeNull();
  expect(legacyVerdictOf('PASS')).toBeNull();
});
