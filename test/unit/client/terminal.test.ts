/** Text a model or a user wrote reaches the terminal with its control characters visible; --json stays JSON. */
import { jsonText, oneLine, printable } from '../../../client/terminal';
import { stepLine, summary } from '../../../client/format';
import { ProgressDisplay } from '../../../client/progressDisplay';
import type { Result } from '../../../mas/schemas';

const ATTACKS = [
  '\u001b]0;pwned window title\u0007', // OSC 0: window title
  '\u001b]52;c;cHduZWQ=\u0007', // OSC 52: clipboard write
  '\u001b[2J\u001b[H', // clear screen, cursor home
  '\u009b31m', // C1 CSI
  'safe\rOVERWRITTEN', // carriage return over the line
  '\u202eevil\u202c', // bidi override
  '\u007f\u0008', // DEL, backspace
];
const RAW = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

test('printable keeps lines and tabs and makes every other control character visible', () => {
  for (const a of ATTACKS) expect(printable(`answer: ${a}\n\tnext`)).not.toMatch(RAW);
  expect(printable('a\u001b[31mred\u001b[0m\nline 2\ttab')).toBe('a\\x1b[31mred\\x1b[0m\nline 2\ttab');
  expect(printable('x\u202ey')).toBe('x\\u202ey');
});

test('oneLine also shows line breaks, so one record stays one line', () => {
  expect(oneLine('task\nstatus: completed\r\u001b[1A')).toBe('task\\nstatus: completed\\r\\x1b[1A');
});

test('jsonText parses back to the same value and carries no raw DEL, C1 or bidi character', () => {
  const value = { answer: ATTACKS.join(' | '), nested: [{ t: '\u0085\u2028' }] };
  const text = jsonText(value);
  expect(text).not.toMatch(RAW);
  expect(text).not.toMatch(/[\u2028\u2029]/);
  expect(JSON.parse(text)).toEqual(value);
});

test('progress lines and the summary carry a model-written reason or tool error as one visible line', () => {
  let written = '';
  const printer = new ProgressDisplay({ stream: { write: (s: string) => ((written += s), true) } as unknown as NodeJS.WritableStream, live: false });
  const r = {
    status: 'failed',
    reason: 'tool crashed\n\u001b]52;c;cHduZWQ=\u0007',
    config: null,
    cost: { usd: 0, inputTokens: 0, outputTokens: 0, perBackbone: {}, meta: 0, agents: 0, perMetaRole: {} },
    budgetUsd: 1,
    steps: [{ agent: 'a', kind: 'tool', name: 'python', callIndex: 0, status: 'failed', attempts: 1, costUsd: 0, durationMs: 0, configVersion: 1, error: 'Traceback\n\u001b[2Jboom' }],
    rectifications: [],
    outputs: {},
    simulated: true,
  } as unknown as Result;
  printer.update(r);
  printer.stop();
  const lines = written.split('\n').filter(Boolean);
  expect(lines).toHaveLength(1);
  expect(lines[0]).not.toMatch(RAW);
  expect(stepLine(r.steps[0])).toContain('Traceback');
  const s = printable(summary(r));
  expect(s).not.toMatch(RAW);
  expect(s.split('\n')[0]).toBe('status: failed — tool crashed\\n\\x1b]52;c;cHduZWQ=\\x07');
});
