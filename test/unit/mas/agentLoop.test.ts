import { AGENT_LIMITS, boundText, splitToolCalls, toolSignature, wallTimeExceeded, withoutToolsReason, type TurnState } from '../../../mas/agentLoop';

const turn = (over: Partial<TurnState> = {}): TurnState => ({ turns: 0, maxTurns: 4, toolRounds: 0, repeated: false, promptChars: 1000, hasTools: true, ...over });

describe('withoutToolsReason: when the next turn gets no tools', () => {
  test('tools stay on in an ordinary early turn', () => {
    expect(withoutToolsReason(turn())).toBeNull();
    expect(withoutToolsReason(turn({ turns: 2, toolRounds: 2 }))).toBeNull();
  });
  test('the last allowed turn answers without tools', () => {
    expect(withoutToolsReason(turn({ turns: 3 }))).toBe('this is your last turn');
    expect(withoutToolsReason(turn({ turns: 0, maxTurns: 1 }))).toBe('this is your last turn');
  });
  test('after a repeated call', () => {
    expect(withoutToolsReason(turn({ turns: 1, repeated: true }))).toMatch(/repeated a tool call/);
  });
  test(`after ${AGENT_LIMITS.maxToolRounds} tool rounds, even when maxTurns allows more`, () => {
    expect(withoutToolsReason(turn({ turns: 3, maxTurns: 10, toolRounds: AGENT_LIMITS.maxToolRounds }))).toMatch(/already used tools/);
  });
  test('when the prompt has grown past the bound', () => {
    expect(withoutToolsReason(turn({ turns: 1, promptChars: AGENT_LIMITS.maxPromptChars + 1 }))).toMatch(/long enough/);
  });
  test('an agent without tools is not told anything', () => {
    expect(withoutToolsReason(turn({ turns: 3, hasTools: false }))).toBeNull();
  });
});

describe('tool calls per turn', () => {
  test('the first calls run, the rest are refused', () => {
    const calls = Array.from({ length: 30 }, (_, i) => ({ id: `c${i}` }));
    const { run, refused } = splitToolCalls(calls);
    expect(run.map((c) => c.id)).toEqual(['c0', 'c1', 'c2']);
    expect(refused).toHaveLength(27);
    expect(splitToolCalls([{ id: 'x' }]).refused).toEqual([]);
  });

  test('toolSignature compares JSON arguments by value and invalid JSON as text', () => {
    expect(toolSignature({ name: 'search', arguments: '{"query":"a","limit":3}' })).toBe(toolSignature({ name: 'search', arguments: ' {"limit":3, "query":"a"}' }));
    expect(toolSignature({ name: 'search', arguments: '{"query":"a"}' })).not.toBe(toolSignature({ name: 'python', arguments: '{"query":"a"}' }));
    expect(toolSignature({ name: 'search', arguments: '{"query":"a' })).toBe('search({"query":"a)');
  });
});

describe('bounds on prompt growth and wall time', () => {
  test('boundText keeps head and tail and says how much was cut', () => {
    const long = 'a'.repeat(5000) + 'END';
    const b = boundText(long, 1000);
    expect(b.length).toBeLessThan(1100);
    expect(b.startsWith('aaaa')).toBe(true);
    expect(b.endsWith('END')).toBe(true);
    expect(b).toContain('4003 characters elided');
    expect(boundText('short', 1000)).toBe('short');
  });

  test('wallTimeExceeded', () => {
    expect(wallTimeExceeded(0, 10_000, 10)).toBe(false);
    expect(wallTimeExceeded(0, 10_001, 10)).toBe(true);
    expect(wallTimeExceeded(0, 1_799_000)).toBe(false);
    expect(wallTimeExceeded(0, 1_800_001)).toBe(true);
  });
});
