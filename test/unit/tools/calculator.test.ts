import { calculatorTool, createCalculator, shutdownCalculator } from '../../../activities/tools/calculator';

// Sandbox runs and the math.js worker start-up can be slow on a busy 2-core machine.
jest.setTimeout(30_000);

const ctx = { workspaceDir: '/nonexistent' };
const calc = (expression: string) => calculatorTool.execute({ expression }, ctx);

afterAll(() => shutdownCalculator());

describe('calculator', () => {
  test.each([
    ['1 + 2 * 3', '7'],
    ['0.1 + 0.2', '0.3'],
    ['sqrt(16) + 2^10', '1028'],
    ['det([1, 2; 3, 4])', '-2'],
    ['5 cm to mm', '50 mm'],
    ['a = 3; b = 4; sqrt(a^2 + b^2)', '5'],
    ['a = 3\na + 1', '3\n4'],
    ['f(x) = x^2; f(12)', '144'],
    ['bignumber(2)^100', '1.2676506002282e+30'],
    ['mean([1, 2, 3, 4])', '2.5'],
    ['sqrt(-4)', '2i'],
  ])('%s = %s', async (expression, expected) => {
    const r = await calc(expression);
    expect(r).toEqual({ ok: true, output: expected });
  });

  test.each([
    ['import({x: 1}, {override: true})', /import is disabled/],
    ['evaluate("1+1")', /evaluate is disabled/],
    ['parse("1+1")', /parse is disabled/],
    ['createUnit("foo")', /createUnit is disabled/],
    ['simplify("x+x")', /simplify is disabled/],
    ['derivative("x^2", "x")', /derivative is disabled/],
    ['resolve("x", {})', /resolve is disabled/],
    ['reviver()', /reviver is disabled/],
  ])('refuses %s', async (expression, message) => {
    const r = await calc(expression);
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(message);
    expect(r.output).toMatch(/^Error: /);
  });

  test('no way out to JavaScript', async () => {
    for (const e of ['cos.constructor("return process")()', '[].constructor', 'cos["constructor"]', 'f(x)=x; f.constructor']) {
      const r = await calc(e);
      expect(r.ok).toBe(false);
    }
  });

  test('syntax errors and unknown symbols are agent errors', async () => {
    expect((await calc('1 +')).ok).toBe(false);
    const r = await calc('foo + 1');
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/Undefined symbol foo/);
  });

  test('variables do not leak between calls', async () => {
    expect((await calc('secret = 42')).ok).toBe(true);
    expect((await calc('secret')).ok).toBe(false);
  });

  test('a runaway expression times out and the calculator recovers', async () => {
    const fast = createCalculator({ timeoutMs: 200 });
    try {
      const r = await fast.execute({ expression: 'sum(1:3e7)' }, ctx);
      expect(r.ok).toBe(false);
      expect(r.error).toMatch(/took longer than 200 ms|too much memory/);
      expect(await fast.execute({ expression: '2 + 2' }, ctx)).toEqual({ ok: true, output: '4' });
    } finally {
      fast.shutdown();
    }
  }, 30_000);

  test('a memory-hungry expression is stopped, not the worker process', async () => {
    const small = createCalculator({ heapMb: 64, timeoutMs: 20_000 });
    try {
      const r = await small.execute({ expression: 'size(zeros(3000, 3000))' }, ctx);
      expect(r.ok).toBe(false);
      expect(r.error).toMatch(/too much memory|took longer/);
      expect(await small.execute({ expression: '3 * 3' }, ctx)).toEqual({ ok: true, output: '9' });
    } finally {
      small.shutdown();
    }
  }, 60_000);

  test('concurrent calls are all answered', async () => {
    const rs = await Promise.all(Array.from({ length: 20 }, (_, i) => calc(`${i} * 2`)));
    expect(rs.map((r) => r.output)).toEqual(Array.from({ length: 20 }, (_, i) => String(i * 2)));
  });
});
