/** A trained prior's advice as a meta-agent reads it (mas/prompts/prior.ts). */
import { priorText, withPrior } from '../../mas/prompts';
import type { ChatMessage } from '../../mas/messages';
import type { PriorExemplar } from '../../mas/schemas';

const exemplar = (output: unknown, value = 0.9, score = 0.2): PriorExemplar => ({ signature: 'x', score, meanValue: value - 0.1, decisions: 3, example: { output, task: 'Janet has   3 apples\nand buys 2 more.', value } });

test('the advice names the role, each decision with its value and its margin, and the output as JSON', () => {
  const text = priorText('generator', [exemplar({ blueprint: 'program' }), exemplar({ blueprint: 'single' }, 0.7, 0.05)]);
  expect(text).toMatch(/^Advice from earlier runs: the team designs below did best on tasks of this kind/);
  expect(text).toContain('1. On "Janet has 3 apples and buys 2 more." this answer reached value 0.90 (mean 0.80 over 3 decisions; it beat the alternatives tried beside it by 0.20 on average):\n{"blueprint":"program"}');
  expect(text).toContain('2. On "Janet has 3 apples and buys 2 more." this answer reached value 0.70');
  expect(priorText('rectifier', [exemplar({ ops: [] })])).toContain('the patches below');
});

test('a long output is clipped, so a huge decision cannot crowd out the task', () => {
  const text = priorText('implementer', [exemplar({ assignment: 'x'.repeat(5000) })]);
  expect(text.length).toBeLessThan(2200);
  expect(text).toContain('…');
});

test('withPrior appends to the system text only, and changes nothing without advice', () => {
  const messages: ChatMessage[] = [
    { role: 'system', content: 'You design teams.' },
    { role: 'user', content: 'Task: add 2 and 3.' },
  ];
  expect(withPrior(messages, 'generator', undefined)).toBe(messages);
  expect(withPrior(messages, 'generator', [])).toBe(messages);
  const advised = withPrior(messages, 'generator', [exemplar({ blueprint: 'program' })]);
  expect(advised[0].content).toMatch(/^You design teams\.\n\nAdvice from earlier runs/);
  expect(advised[1]).toBe(messages[1]);
  expect(messages[0].content).toBe('You design teams.');
});
