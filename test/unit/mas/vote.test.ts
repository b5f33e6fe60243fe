import fc from 'fast-check';
import { canonicalNumber, describeVote, extractAnswer, normaliseText, sameAnswer, vote, voteOn } from '../../../mas/vote';

describe('extractAnswer: numbers as GSM8K reads them', () => {
  test.each([
    ['The answer is 156.', '156'],
    ['12*13 = 156\nFinal answer: 156', '156'],
    ['So she pays $1,234.50 in total.', '1234.5'],
    ['Final answer: $18', '18'],
    ['\\boxed{42} and then 7 more words with 9', '42'],
    ['#### 3,000', '3000'],
    ['It takes 3 bolts in total.', '3'],
    ['-5 degrees', '-5'],
    ['0.30000000000000004\n', '0.3'],
    ['The result is 7.0', '7'],
    ['Final answer: -0', '0'],
  ])('%j → %s', (text, want) => {
    expect(extractAnswer(text, 'number')).toBe(want);
  });

  test('no number, no answer', () => {
    expect(extractAnswer('I cannot tell.', 'number')).toBeNull();
    expect(extractAnswer('', 'number')).toBeNull();
    expect(extractAnswer(null, 'number')).toBeNull();
  });

  test('property: any integer, however it is dressed, reads as itself', () => {
    const dress = fc.constantFrom(
      (n: string) => `Final answer: ${n}`,
      (n: string) => `The answer is ${n}.`,
      (n: string) => `Step 1: 2 + 2 = 4\nStep 2: so 10 more.\nFinal answer: ${n} apples`,
      (n: string) => `\\boxed{${n}}`,
      (n: string) => `#### ${n}`,
      (n: string) => `Total: $${n}`,
    );
    fc.assert(
      fc.property(fc.integer({ min: -1_000_000, max: 1_000_000 }), fc.boolean(), dress, (n, commas, wrap) => {
        const text = wrap(commas ? n.toLocaleString('en-US') : String(n));
        // "$-5" is no spelling anyone uses; currency dressing only for non-negatives.
        fc.pre(!(text.includes('$') && n < 0));
        expect(extractAnswer(text, 'number')).toBe(String(n));
      }),
      { numRuns: 300 },
    );
  });

  test('canonicalNumber: one spelling per value', () => {
    expect(canonicalNumber('3.000')).toBe('3');
    expect(canonicalNumber('1e3')).toBe('1000');
    expect(canonicalNumber('-0')).toBe('0');
    expect(canonicalNumber('abc')).toBeNull();
    expect(canonicalNumber('Infinity')).toBeNull();
  });
});

describe('extractAnswer: short texts', () => {
  test('the final line after a marker, normalised', () => {
    expect(extractAnswer('Let me think.\nFinal answer: **Paris**.', 'text')).toBe('paris');
    expect(extractAnswer('It is in France.\nThe capital is Paris', 'text')).toBe('capital is paris');
    expect(extractAnswer('The answer is: "The Beatles"', 'text')).toBe('beatles');
    expect(extractAnswer('\\boxed{x = 3.5}', 'text')).toBe('x = 3.5');
  });

  test('normaliseText keeps numbers whole and drops punctuation around them', () => {
    expect(normaliseText('3.5, then 15.')).toBe('3.5 then 15');
    expect(normaliseText('1,000 people')).toBe('1,000 people');
    expect(normaliseText('  An   Apple! ')).toBe('apple');
  });

  test('nothing but punctuation is no answer', () => {
    expect(extractAnswer('...', 'text')).toBeNull();
  });

  test('sameAnswer compares what two texts answer', () => {
    expect(sameAnswer('12*13 is 156', 'Final answer: 156', 'number')).toBe(true);
    expect(sameAnswer('156', '12*13', 'number')).toBe(false);
    expect(sameAnswer('no idea', 'no number either', 'number')).toBe(false);
  });
});

describe('vote', () => {
  test('majority, margin and the representative sample', () => {
    const v = vote(['156', '36', '156', null, '156']);
    expect(v).toMatchObject({ kind: 'winner', answer: '156', votes: 3, of: 5, answered: 4, margin: 2, tie: false, representative: 0 });
    expect(describeVote(v)).toBe('156 (3 of 5 votes, 1 without an answer, margin 2); also 36 ×1');
  });

  test('a tie goes to the answer sampled first, and says so', () => {
    const v = vote([null, '7', '8', '8', '7']);
    expect(v).toMatchObject({ kind: 'winner', answer: '7', votes: 2, margin: 0, tie: true, representative: 1 });
    expect(describeVote(v)).toContain('tie broken by the earliest sample');
  });

  test('no readable answer is its own outcome', () => {
    expect(vote([null, null, null])).toEqual({ kind: 'none', of: 3, reason: 'none of the 3 samples gave a readable answer' });
    expect(vote([])).toEqual({ kind: 'none', of: 0, reason: 'no samples were drawn' });
    expect(describeVote(vote([null]))).toBe('no answer: none of the 1 samples gave a readable answer');
  });

  test('voteOn reads the samples first', () => {
    const v = voteOn(['x = 12*13 = 156', 'Final answer: 156', 'I think 150'], 'number');
    expect(v).toMatchObject({ kind: 'winner', answer: '156', votes: 2 });
  });

  const arbAnswers: fc.Arbitrary<(string | null)[]> = fc.array(fc.option(fc.constantFrom('1', '2', '3', '4'), { nil: null }), { minLength: 0, maxLength: 9 });

  test('property: the winner has the most votes, votes add up, the margin is to the runner-up', () => {
    fc.assert(
      fc.property(arbAnswers, (answers) => {
        const v = vote(answers);
        const answered = answers.filter((a) => a !== null);
        if (!answered.length) {
          expect(v.kind).toBe('none');
          return;
        }
        if (v.kind !== 'winner') throw new Error('expected a winner');
        const counts = new Map<string, number>();
        for (const a of answered) counts.set(a, (counts.get(a) ?? 0) + 1);
        const sorted = [...counts.values()].sort((a, b) => b - a);
        expect(v.votes).toBe(sorted[0]);
        expect(counts.get(v.answer)).toBe(sorted[0]);
        expect(v.margin).toBe(sorted[0] - (sorted[1] ?? 0));
        expect(v.tie).toBe(sorted[1] === sorted[0]);
        expect(v.tally.reduce((n, t) => n + t.votes, 0)).toBe(answered.length);
        expect(answers[v.representative]).toBe(v.answer);
        // Among the tied, the earliest first sample wins.
        const firstOf = (a: string) => answers.indexOf(a);
        for (const [a, c] of counts) if (c === v.votes && a !== v.answer) expect(firstOf(a)).toBeGreaterThan(firstOf(v.answer));
      }),
      { numRuns: 500 },
    );
  });

  test('property: without a tie, the order of the samples does not change the winner', () => {
    fc.assert(
      fc.property(arbAnswers.chain((a) => fc.tuple(fc.constant(a), fc.shuffledSubarray(a, { minLength: a.length, maxLength: a.length }))), ([answers, shuffled]) => {
        const v = vote(answers);
        fc.pre(v.kind === 'winner' && !v.tie);
        const w = vote(shuffled);
        expect(w.kind === 'winner' && w.answer).toBe(v.kind === 'winner' && v.answer);
      }),
      { numRuns: 300 },
    );
  });
});
