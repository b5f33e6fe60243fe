/** The CLI's error path: any thrown value becomes one line and an exit code; printing it never throws. */
import { describeError, errorOutcome, UserError } from '../../../client/errors';
import { reportError } from '../../../client/cli';

const hostile: [string, () => unknown][] = [
  ['a gRPC error with a numeric code (history over 4 MiB)', () => Object.assign(new Error('8 RESOURCE_EXHAUSTED: grpc: received message larger than max (5242880 vs. 4194304)'), { code: 8, details: 'grpc: received message larger than max' })],
  ['an object with a numeric code and no message', () => ({ code: 14, details: 'No connection established' })],
  ['a thrown string', () => 'plain string\nsecond line'],
  ['undefined', () => undefined],
  ['null', () => null],
  ['a number', () => 42],
  ['a symbol', () => Symbol('weird')],
  ['an object whose getters throw', () => Object.defineProperty({}, 'message', { get: () => { throw new Error('boom'); } })],
  ['a proxy that throws on every access', () => new Proxy({}, { get: () => { throw new Error('trap'); }, has: () => { throw new Error('trap'); } })],
  ['an object whose toString throws', () => ({ toString: () => { throw new Error('no'); } })],
  ['a code that is an object', () => Object.assign(new Error('odd'), { code: { startsWith: 1 } })],
  ['a ZodError lookalike with broken issues', () => ({ name: 'ZodError', issues: [null, { path: 7 }] })],
  ['an Error with a multi-line message', () => new Error('first line\n    at somewhere\nmore')],
];

describe('describeError and errorOutcome never throw and give one line', () => {
  test.each(hostile)('%s', (_name, make) => {
    const e = make();
    const line = describeError(e);
    expect(typeof line).toBe('string');
    expect(line).not.toMatch(/\n/);
    expect(line.length).toBeGreaterThan(0);
    const o = errorOutcome(e);
    expect(o.exitCode).toBe(1);
    expect(o.line).toMatch(/^internal error: [^\n]+$/);
  });

  test('gRPC status codes are named, user errors and commander errors keep their exits', () => {
    expect(describeError({ code: 14, details: 'No connection established' })).toBe('No connection established (gRPC status 14)');
    expect(errorOutcome(new UserError('bad --budget'))).toEqual({ line: 'error: bad --budget', exitCode: 2, internal: false });
    expect(errorOutcome({ code: 'commander.unknownOption' })).toMatchObject({ line: '', exitCode: 2 });
    expect(errorOutcome({ code: 'commander.helpDisplayed' })).toMatchObject({ exitCode: 0 });
  });
});

describe('reportError (the CLI catch-all)', () => {
  let written: string[];
  let spy: jest.SpyInstance;
  beforeEach(() => {
    written = [];
    spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    delete process.env.MAS2_DEBUG;
  });
  afterEach(() => spy.mockRestore());

  test.each(hostile)('%s: one error line and a hint, exit 1 (2 for input)', (_name, make) => {
    const code = reportError(make());
    expect([1, 2]).toContain(code);
    const lines = written.join('').split('\n').filter(Boolean);
    expect(lines.length).toBeLessThanOrEqual(2);
    expect(lines[0]).toMatch(/^mas2: (internal )?error: /);
  });

  test('escape sequences in an error message reach the terminal visible, not raw', () => {
    reportError(new UserError('no run with id "\u001b]0;pwned\u0007"'));
    expect(written.join('')).toBe('mas2: error: no run with id "\\x1b]0;pwned\\x07"\n');
  });
});
