import { bestAnswer, initialState, toResult, type RunState } from '../../../mas/runState';
import { ResultSchema, TaskInputSchema } from '../../../mas/schemas';
import { cfg, out, POOL, tmpl } from './fixtures';

const input = TaskInputSchema.parse({ task: 'what is 2+2?', budgetUsd: 0.25, pool: POOL });

function state(outputs: Record<string, string>, template = tmpl(['A', 'B', 'C', 'D'], ['A>B', 'A>C', 'B>D', 'C>D'], 'D')): RunState {
  const s = initialState(input, '2024-01-01T00:00:00.000Z');
  s.config = cfg(template);
  s.outputs = Object.fromEntries(Object.entries(outputs).map(([id, text]) => [id, out(text, `k-${id}`)]));
  return s;
}

describe('bestAnswer', () => {
  test('null before there is a config or any output', () => {
    expect(bestAnswer(initialState(input, 'now'))).toBeNull();
    expect(bestAnswer(state({}))).toBeNull();
  });

  test('prefers the final agent, even when listed first or other outputs exist', () => {
    expect(bestAnswer(state({ A: 'a', B: 'b', C: 'c', D: 'final' }))).toBe('final');
    expect(bestAnswer(state({ A: 'a', D: 'final' }, tmpl(['D', 'A'], ['A>D'], 'D')))).toBe('final');
  });

  test('else the finished output latest in topological order', () => {
    expect(bestAnswer(state({ A: 'a', B: 'b' }))).toBe('b');
    expect(bestAnswer(state({ A: 'a', C: 'c' }))).toBe('c');
    expect(bestAnswer(state({ A: 'a' }))).toBe('a');
    // Topological, not listing order: agents listed backwards.
    expect(bestAnswer(state({ A: 'a', B: 'b' }, tmpl(['C', 'B', 'A'], ['A>B', 'B>C'], 'C')))).toBe('b');
  });

  test('an empty final answer is still the final answer', () => {
    expect(bestAnswer(state({ B: 'b', D: '' }))).toBe('');
  });
});

describe('initialState / toResult', () => {
  test('a fresh state is running with nothing spent', () => {
    const s = initialState(input, 't0');
    expect(s.status).toBe('running');
    expect(s.budgetUsd).toBe(0.25);
    expect(s.cost.usd).toBe(0);
    expect(s.fired).toEqual({});
  });

  test('the result document validates and carries the best answer', () => {
    const s = state({ A: 'a', B: 'b' });
    const r = toResult(s, input, 'wf-1');
    expect(() => ResultSchema.parse(r)).not.toThrow();
    expect(r.answer).toBe('b');
    expect(r.workflowId).toBe('wf-1');
    expect(r.simulated).toBe(true);
    expect(r.task).toBe('what is 2+2?');
  });
});
