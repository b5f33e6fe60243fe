/** What every bench scenario gets. */
import type { Client } from '@temporalio/client';
import type { Result, TaskInput } from '../mas/schemas';

export interface BenchContext {
  client: Client;
  /** host:port of the bench's dev server. */
  address: string;
  serverPid: number;
  /** Scratch folder for this bench run (homes, ledgers). */
  tmp: string;
  /** Task queue of mas2's in-process worker (createWorker). */
  taskQueue: string;
  /** Task queue of the in-process bare worker (bareWorkflow), same process. */
  bareTaskQueue: string;
  log: (line: string) => void;
}

let counter = 0;
export function benchId(prefix: string): string {
  return `bench-${prefix}-${process.pid}-${Date.now().toString(36)}-${counter++}`;
}

/** Starts a mas2 task, waits for it; returns the result, the wall time and the first run id. */
export async function runMas2(ctx: BenchContext, input: TaskInput, opts: { taskQueue?: string; id?: string } = {}): Promise<{ result: Result; wallMs: number; workflowId: string; runId: string }> {
  const workflowId = opts.id ?? benchId('mas2');
  const t0 = performance.now();
  const handle = await ctx.client.workflow.start('mas2Task', { taskQueue: opts.taskQueue ?? ctx.taskQueue, workflowId, args: [input] });
  const result = (await handle.result()) as Result;
  const wallMs = performance.now() - t0;
  return { result, wallMs, workflowId, runId: handle.firstExecutionRunId };
}

export function expectCompleted(result: Result, modelCalls: number, what: string): void {
  const calls = result.steps.filter((s) => s.kind === 'llm' && s.status === 'completed').length;
  const meta = result.steps.filter((s) => s.kind === 'meta').length;
  if (result.status !== 'completed' || calls !== modelCalls || meta !== 0) {
    throw new Error(`${what}: expected a completed run with ${modelCalls} model calls and no meta calls, got ${result.status} with ${calls} model calls, ${meta} meta calls (${result.reason ?? ''})`);
  }
}
