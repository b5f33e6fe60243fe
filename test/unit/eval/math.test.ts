import { finalNumber } from '../../../mas/extract';
import { mathEquivalent, mathFinalAnswer, normalizeMath, scoreGsm8k, scoreMath } from '../../../mas/eval/math';

describe('GSM8K scorer', () => {
  test.each([
    ['She makes 9 * 2 = $18 every day.\nFinal answer: 18', '18', true],
    ['Final answer: $1,200.', '1200', true],
    ['The answer is 42 apples.', '42', true],
    ['So it takes 3 bolts.\n#### 3', '3', true],
    ['Final answer: 18 (9 eggs at $2 each)', '18', true],
    ['Total: 16 - 3 - 4 = 9 eggs; 9 × 2 = 18', '18', true],
    ['\\boxed{70000} is the profit, from 200,000 - 130,000', '70000', true],
    ['Final answer: −5', '-5', true],
    ['Final answer: 0.5', '0.50', true],
    ['Final answer: 17', '18', false],
    ['I do not know', '18', false],
    ['Final answer: 18.5', '18', false],
  ])('%j vs %s → %s', (answer, expected, pass) => {
    expect(scoreGsm8k(answer, expected).pass).toBe(pass);
  });

  test('no answer, no number', () => {
    expect(scoreGsm8k(null, '1')).toMatchObject({ pass: false, extracted: null, detail: 'no answer' });
    expect(scoreGsm8k('none', '1')).toMatchObject({ pass: false, extracted: null });
  });

  test('finalNumber prefers the box, then the first number after the last marker, then the last number', () => {
    expect(finalNumber('a 1 b 2 \\boxed{3} c 4')).toBe('3');
    expect(finalNumber('final answer: 5\nfinal answer: 6 then 7')).toBe('6');
    expect(finalNumber('1 then 2 then 3.')).toBe('3');
    expect(finalNumber('Final answer:\nSolver: the total is 1,234.')).toBe('1234');
  });
});

describe('MATH normaliser and scorer', () => {
  test.each([
    ['\\frac{1}{2}', '\\dfrac{1}{2}'],
    ['\\frac12', '\\tfrac{1}{2}'],
    ['0.5', '\\frac{1}{2}'],
    ['1/2', '\\frac{1}{2}'],
    ['.5', '\\frac12'],
    ['\\left( 3, \\frac{\\pi}{2} \\right)', '(3,\\frac{\\pi}{2})'],
    ['90^\\circ', '90'],
    ['90^{\\circ}', '90 degrees'],
    ['10 \\text{ cm}', '10'],
    ['\\$18', '18'],
    ['x = 5', '5'],
    ['2\\sqrt3', '2\\sqrt{3}'],
    ['1,000', '1000'],
    ['\\text{(C)}', '(C)'],
    ['50\\%', '50'],
    ['\\frac{3}{6}', '0.5'],
    ['-\\frac{1}{4}', '-0.25'],
    ['{5}', '5'],
  ])('%s ≡ %s', (a, b) => {
    expect(mathEquivalent(a, b)).toBe(true);
  });

  test.each([
    ['\\frac{1}{3}', '\\frac{1}{2}'],
    ['(1,2)', '(2,1)'],
    ['2\\sqrt{3}', '3\\sqrt{2}'],
    ['x^2+1', 'x^2-1'],
    ['10', '100'],
  ])('%s ≢ %s', (a, b) => {
    expect(mathEquivalent(a, b)).toBe(false);
  });

  test('weaker than a symbolic checker: equal expressions written differently do not match', () => {
    expect(mathEquivalent('\\frac{\\sqrt{2}}{2}', '\\frac{1}{\\sqrt{2}}')).toBe(false);
    expect(mathEquivalent('x+1', '1+x')).toBe(false);
  });

  test('the last \\boxed{} (nested braces), else the final-answer line, else the last line', () => {
    expect(mathFinalAnswer('first \\boxed{1}, then \\boxed{\\frac{a}{b^{2}}}.')).toBe('\\frac{a}{b^{2}}');
    expect(mathFinalAnswer('work\nFinal answer: $\\frac{3}{4}$.\nthanks')).toBe('\\frac{3}{4}');
    expect(mathFinalAnswer('work\nso it is 7.')).toBe('so it is 7');
    expect(normalizeMath('\\boxed{ 2 }')).toBe('2');
  });

  test('scoreMath on right and wrong answers', () => {
    expect(scoreMath('Thus the answer is $\\boxed{\\dfrac{1}{2}}$.', '\\frac{1}{2}').pass).toBe(true);
    expect(scoreMath('PASS\n\nFinal answer:\nThe polar form is \\boxed{\\left(3, \\frac{\\pi}{2}\\right)}', '\\left( 3, \\frac{\\pi}{2} \\right)').pass).toBe(true);
    expect(scoreMath('\\boxed{3}', '4')).toMatchObject({ pass: false, extracted: '3' });
    expect(scoreMath('', '4')).toMatchObject({ pass: false, extracted: null });
  });
});
