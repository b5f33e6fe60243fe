import { answerFrom, metaValidity } from '../../../mas/answer';
import type { MetaDecision } from '../../../mas/schemas';
import { out, tmpl } from './fixtures';
import { TEST_STEP } from '../../../mas/operators';

const chain = () => tmpl(['solver', { id: 'checker', verifier: true }], ['solver>checker'], 'checker');

describe('answerFrom: a verifier verdict is never the answer', () => {
  test('a final verifier that says PASS: the answer is the verified producer output', () => {
    const outputs = { solver: out('18', 'a'), checker: out('PASS, the correct answer is 27', 'b') };
    expect(answerFrom(chain(), outputs)).toBe('18');
  });

  test('a final verifier that says FAIL (rejection stood): the rejected candidate, not the FAIL text', () => {
    const outputs = { solver: out('18', 'a'), checker: out('FAIL, the answer 18 is incorrect. The correct answer is 27 dollars.', 'b') };
    expect(answerFrom(chain(), outputs)).toBe('18');
  });

  test('a final test step is a checker too: the answer is the code it tested, not its PASS', () => {
    const t = tmpl(['coder', 'test'], ['coder>test'], 'test');
    t.agents[1].operator = TEST_STEP;
    expect(answerFrom(t, { coder: out('def f(): return 1', 'a'), test: out('PASS: all 2 usable tests passed', 'b') })).toBe('def f(): return 1');
  });

  test('a non-verifier final agent is the answer as is', () => {
    const t = tmpl(['solver', { id: 'checker', verifier: true }, 'writer'], ['solver>checker', 'checker>writer'], 'writer');
    expect(answerFrom(t, { solver: out('18', 'a'), checker: out('PASS', 'b'), writer: out('The pencils cost 18 dollars.', 'c') })).toBe('The pencils cost 18 dollars.');
  });

  test('the final agent has not run: the closest finished non-verifier output', () => {
    const t = tmpl(['solver', { id: 'checker', verifier: true }, 'writer'], ['solver>checker', 'checker>writer'], 'writer');
    expect(answerFrom(t, { solver: out('18', 'a'), checker: out('FAIL wrong', 'b') })).toBe('18');
  });

  test('a verifier with two producers takes the later one in topological order', () => {
    const t = tmpl(['a', 'b', { id: 'v', verifier: true }], ['a>b', 'a>v', 'b>v'], 'v');
    expect(answerFrom(t, { a: out('plan', 'x'), b: out('code', 'y'), v: out('PASS', 'z') })).toBe('code');
  });

  test('a lone verifier gives its own text without the verdict line', () => {
    const t = tmpl([{ id: 'v', verifier: true }]);
    expect(answerFrom(t, { v: out('PASS: 156', 'x') })).toBe('156');
    expect(answerFrom(t, { v: out('PASS', 'x') })).toBeNull();
  });

  test('nothing finished: no answer', () => {
    expect(answerFrom(chain(), {})).toBeNull();
  });
});

describe('metaValidity', () => {
  const d = (role: MetaDecision['role'], source: MetaDecision['source']): MetaDecision => ({ role, source, output: null, rationale: '', costUsd: 0 });
  test('counts first try / repair / fallback per role; forced and ablation are not model decisions', () => {
    expect(
      metaValidity([d('generator', 'repair'), d('implementer', 'fallback'), d('rectifier', 'model'), d('rectifier', 'model'), d('rectifier', 'fallback'), d('implementer', 'forced'), d('generator', 'ablation')]),
    ).toEqual({
      generator: { firstTry: 0, repair: 1, fallback: 0 },
      implementer: { firstTry: 0, repair: 0, fallback: 1 },
      rectifier: { firstTry: 2, repair: 0, fallback: 1 },
    });
    expect(metaValidity([d('generator', 'forced')])).toEqual({});
  });
});
