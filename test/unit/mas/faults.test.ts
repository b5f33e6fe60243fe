import { extraLatencyMs, FAULT_SYNTAX, modelErrors, parseFault, toolCrashes } from '../../../mas/faults';
import type { Fault } from '../../../mas/schemas';

describe('parseFault', () => {
  test.each<[string, Fault]>([
    ['tool:python:crash@2', { kind: 'tool_crash', tool: 'python', at: 2 }],
    ['tool:my_tool-2:crash@1', { kind: 'tool_crash', tool: 'my_tool-2', at: 1 }],
    ['model:sim-large:error@3', { kind: 'model_error', backbone: 'sim-large', at: 3 }],
    ['model:*:error@1', { kind: 'model_error', backbone: '*', at: 1 }],
    ['model:gpt_4o:latency=250', { kind: 'model_latency', backbone: 'gpt_4o', ms: 250 }],
    ['model:*:latency=0', { kind: 'model_latency', backbone: '*', ms: 0 }],
    ['  tool:search:crash@10  ', { kind: 'tool_crash', tool: 'search', at: 10 }],
  ])('%j', (spec, fault) => {
    expect(parseFault(spec)).toEqual(fault);
  });

  test.each([
    '',
    'python',
    'tool:python',
    'tool:python:crash',
    'tool:python:crash@',
    'tool:python:crash@x',
    'tool:python:crash@-1',
    'tool:python:explode@1',
    'tool:py thon:crash@1',
    'tool:*:crash@1',
    'model:sim:error=1',
    'model:sim:latency@5',
    'model:sim:latency=1.5',
    'model::error@1',
    'disk:sda:crash@1',
    'TOOL:python:crash@1',
  ])('%j is refused with the syntax in the message', (spec) => {
    expect(() => parseFault(spec)).toThrow(`invalid --fault "${spec}": expected ${FAULT_SYNTAX} (K counts from 1)`);
  });

  test.each(['tool:python:crash@0', 'model:sim:error@0', 'model:sim:error@99999999999999999999'])(
    '%j (K out of range) gets the same clear sentence, not a schema dump',
    (spec) => {
      let message = '';
      try {
        parseFault(spec);
      } catch (e) {
        message = (e as Error).message;
      }
      expect(message).toBe(`invalid --fault "${spec}": expected ${FAULT_SYNTAX} (K counts from 1)`);
    },
  );
});

describe('toolCrashes', () => {
  const faults = [parseFault('tool:python:crash@2'), parseFault('tool:search:crash@1'), parseFault('model:*:error@2')];

  test('only the K-th call of that tool', () => {
    expect(toolCrashes(faults, 'python', 1)).toBe(false);
    expect(toolCrashes(faults, 'python', 2)).toBe(true);
    expect(toolCrashes(faults, 'python', 3)).toBe(false);
    expect(toolCrashes(faults, 'search', 1)).toBe(true);
    expect(toolCrashes(faults, 'calculator', 2)).toBe(false);
    expect(toolCrashes([], 'python', 2)).toBe(false);
  });

  test('model faults never crash a tool', () => {
    expect(toolCrashes([parseFault('model:python:error@1')], 'python', 1)).toBe(false);
  });
});

describe('modelErrors', () => {
  test('per-backbone K counts calls on that backbone only', () => {
    const f = [parseFault('model:big:error@2')];
    expect(modelErrors(f, 'big', 2, 7)).toBe(true);
    expect(modelErrors(f, 'big', 1, 2)).toBe(false);
    expect(modelErrors(f, 'mid', 2, 2)).toBe(false);
  });

  test("'*' counts all calls, whatever the backbone", () => {
    const f = [parseFault('model:*:error@3')];
    expect(modelErrors(f, 'mid', 1, 3)).toBe(true);
    expect(modelErrors(f, 'big', 3, 2)).toBe(false);
    expect(modelErrors(f, 'anything', 9, 3)).toBe(true);
  });

  test('tool faults and latency never raise model errors', () => {
    expect(modelErrors([parseFault('tool:big:crash@1'), parseFault('model:big:latency=5')], 'big', 1, 1)).toBe(false);
  });
});

describe('extraLatencyMs', () => {
  test('sums the faults for this backbone and for *', () => {
    const f = [parseFault('model:big:latency=100'), parseFault('model:*:latency=20'), parseFault('model:mid:latency=7'), parseFault('model:big:error@1')];
    expect(extraLatencyMs(f, 'big')).toBe(120);
    expect(extraLatencyMs(f, 'mid')).toBe(27);
    expect(extraLatencyMs(f, 'cheap')).toBe(20);
    expect(extraLatencyMs([], 'big')).toBe(0);
  });
});
