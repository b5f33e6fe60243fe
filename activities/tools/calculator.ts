/**
 * `calculator`: math.js expressions, never JavaScript `eval`.
 *
 * Security, following the math.js security notes: a private math.js instance
 * in which `import`, `createUnit`, `reviver`, `evaluate`, `parse`, `simplify`,
 * `derivative` and `resolve` are replaced by functions that throw, so an
 * expression cannot redefine functions or reach the parser recursively
 * (math.js itself blocks property access to constructors/prototypes).
 *
 * Robustness: expressions such as `ones(1e5, 1e5)` or `sum(1:1e10)` would eat
 * the worker's memory or CPU. They are evaluated in a worker thread with a
 * V8 heap limit and a timeout; a runaway worker is terminated and replaced,
 * and the agent gets an error it can act on.
 */
import { Worker } from 'node:worker_threads';
import { z } from 'zod';
import type { ToolResult } from '../../mas/messages';
import { ToolCrashError } from './errors';
import type { Tool, ToolContext } from './types';
import { defineTool, toolResult } from './own';
import { BUILTIN_TOOLS } from '../../mas/prompts';

export const MAX_EXPRESSION_CHARS = 10_000;
const MAX_RESULT_CHARS = 20_000;

export interface CalculatorOptions {
  /** Per expression (default 5000 ms). */
  timeoutMs?: number;
  /** V8 old-generation heap of the worker thread (default 128 MiB). */
  heapMb?: number;
}

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { create, all } = require(workerData.mathjs);
const math = create(all);
const limitedEvaluate = math.evaluate;
const disabled = (name) => function () { throw new Error('Function ' + name + ' is disabled'); };
math.import({
  import: disabled('import'),
  createUnit: disabled('createUnit'),
  reviver: disabled('reviver'),
  evaluate: disabled('evaluate'),
  parse: disabled('parse'),
  simplify: disabled('simplify'),
  derivative: disabled('derivative'),
  resolve: disabled('resolve'),
}, { override: true });
function fmt(v) {
  if (v && v.isResultSet) return v.entries.map(fmt).join('\\n');
  if (typeof v === 'function') return 'function ' + (v.syntax || v.name || '');
  if (v === undefined) return 'undefined';
  return math.format(v, { precision: 14 });
}
parentPort.on('message', (m) => {
  try {
    const value = fmt(limitedEvaluate(m.expression, new Map()));
    parentPort.postMessage({ id: m.id, ok: true, value });
  } catch (e) {
    parentPort.postMessage({ id: m.id, ok: false, error: e && e.message ? String(e.message) : String(e) });
  }
});
parentPort.postMessage({ ready: true });
`;

type Reply = { ok: true; value: string } | { ok: false; error: string; fatal?: boolean };

/** One worker thread running math.js; requests are served one at a time. */
class CalculatorWorker {
  private readonly worker: Worker;
  private readonly ready: Promise<void>;
  private current: { id: number; resolve: (r: Reply) => void } | undefined;
  private nextId = 1;
  dead = false;

  constructor(heapMb: number) {
    let mathjsPath: string;
    try {
      mathjsPath = require.resolve('mathjs');
    } catch (e) {
      throw new ToolCrashError('calculator', 'the mathjs package is not installed', { cause: e });
    }
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { mathjs: mathjsPath },
      resourceLimits: { maxOldGenerationSizeMb: heapMb, maxYoungGenerationSizeMb: 32, stackSizeMb: 4 },
      env: {},
    });
    this.worker.unref();
    let onReady: () => void = () => undefined;
    let onFail: (e: Error) => void = () => undefined;
    this.ready = new Promise<void>((resolve, reject) => {
      onReady = resolve;
      onFail = reject;
    });
    this.ready.catch(() => undefined);
    this.worker.on('message', (m: { ready?: boolean; id?: number } & Reply) => {
      if (m.ready) return onReady();
      if (this.current && m.id === this.current.id) {
        const { resolve } = this.current;
        this.current = undefined;
        this.worker.unref();
        resolve(m.ok ? { ok: true, value: m.value } : { ok: false, error: m.error });
      }
    });
    const die = (reason: string, oom: boolean) => {
      if (this.dead) return;
      this.dead = true;
      onFail(new Error(reason));
      if (this.current) {
        const { resolve } = this.current;
        this.current = undefined;
        resolve({ ok: false, error: oom ? 'the expression needs too much memory (calculation aborted)' : reason, fatal: !oom });
      }
    };
    this.worker.on('error', (e: Error & { code?: string }) => die(`calculator worker failed: ${e.message}`, e.code === 'ERR_WORKER_OUT_OF_MEMORY'));
    this.worker.on('exit', (code) => die(`calculator worker exited with code ${code}`, false));
  }

  async evaluate(expression: string, timeoutMs: number): Promise<Reply> {
    this.worker.ref();
    try {
      await withTimeout(this.ready, 30_000, 'the calculator worker did not start within 30 s');
    } catch (e) {
      this.terminate();
      throw new ToolCrashError('calculator', (e as Error).message, { cause: e });
    }
    return new Promise<Reply>((resolve) => {
      const id = this.nextId++;
      const timer = setTimeout(() => {
        if (this.current?.id !== id) return;
        this.current = undefined;
        this.terminate();
        resolve({ ok: false, error: `the expression took longer than ${timeoutMs} ms (calculation aborted)` });
      }, timeoutMs);
      this.current = {
        id,
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
      };
      this.worker.postMessage({ id, expression });
    });
  }

  terminate(): void {
    this.dead = true;
    void this.worker.terminate().catch(() => undefined);
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(message)), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e) => {
        clearTimeout(t);
        reject(e);
      },
    );
  });
}

export const CalculatorInput = z
  .object({
    expression: z
      .string()
      .min(1, 'expression must not be empty')
      .max(MAX_EXPRESSION_CHARS, `expression must be at most ${MAX_EXPRESSION_CHARS} characters`)
      .describe('A math.js expression, e.g. "sqrt(2) * 3^4", "5 cm to inch", "det([1,2;3,4])", "a = 3; a^2" (statements ending in ";" are not shown; one result per shown line).'),
  })
  .strict();
export type CalculatorInput = z.infer<typeof CalculatorInput>;

/** Evaluates with its own worker thread (created lazily, replaced after a timeout or out-of-memory). */
export function createCalculator(options: CalculatorOptions = {}): Tool<CalculatorInput> & { shutdown(): void } {
  const timeoutMs = options.timeoutMs ?? 5000;
  const heapMb = options.heapMb ?? 128;
  let worker: CalculatorWorker | undefined;
  let queue: Promise<unknown> = Promise.resolve();

  const evaluateOnce = async (expression: string): Promise<ToolResult> => {
    if (!worker || worker.dead) worker = new CalculatorWorker(heapMb);
    const reply = await worker.evaluate(expression, timeoutMs);
    if (reply.ok) {
      const value = reply.value.length > MAX_RESULT_CHARS ? `${reply.value.slice(0, MAX_RESULT_CHARS)} ... [result truncated: ${reply.value.length} characters]` : reply.value;
      return { ok: true, output: value };
    }
    if ('fatal' in reply && reply.fatal) throw new ToolCrashError('calculator', reply.error);
    return { ok: false, output: `Error: ${reply.error}`, error: reply.error };
  };

  const tool = defineTool({
    name: 'calculator',
    description: BUILTIN_TOOLS.calculator.description(''),
    parameters: CalculatorInput,
    async execute(input, _ctx: ToolContext) {
      const next = queue.then(() => evaluateOnce(input.expression));
      queue = next.catch(() => undefined);
      return toolResult(await next);
    },
  });
  return {
    ...tool,
    shutdown() {
      worker?.terminate();
      worker = undefined;
    },
  };
}

export const calculatorTool = createCalculator();

/** Terminates the shared calculator worker (tests, graceful shutdown). It restarts on the next call. */
export function shutdownCalculator(): void {
  calculatorTool.shutdown();
}
