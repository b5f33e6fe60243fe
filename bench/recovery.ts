/**
 * Recovery after a worker kill: a real `mas2 worker` child (bin/mas2.js, with
 * TEMPORAL_ADDRESS, MAS2_HOME and MAS2_CALL_LEDGER) runs a chain whose every
 * model call takes `latencyMs`; it is killed with SIGKILL in the middle of
 * the second call and a new worker is started at once. Measures the seconds
 * from the new worker's start to the next finished call (the ledger's `at`),
 * and counts repeated calls: the same workflowId + callKey finished twice.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Result } from '../mas/schemas';
import type { BenchContext } from './context';
import { benchId, expectCompleted } from './context';
import { spawnWorker, type Child } from './child';
import { chainTemplate, forcedInput } from './tasks';
import { round, sleep } from './stats';

interface LedgerEntry {
  kind: string;
  workflowId: string;
  callKey: string;
  attempt: number;
  at: number;
}

export interface RecoveryResult {
  /** Seconds from spawning the new worker to the next finished model call. */
  resumeSeconds: number;
  /** Seconds from the kill to the next finished model call. */
  killToNextCallSeconds: number;
  /** Seconds from spawning the new worker until it polled. */
  workerStartSeconds: number;
  /** Seconds from spawning the new worker to the run's completion. */
  restartToCompletionSeconds: number;
  repeatedCalls: number;
  /** Finished calls on attempt > 1 (the call cut short by the kill, retried; not a repeat). */
  retriedCalls: number;
  calls: number;
  latencyMs: number;
  status: string;
}

function readLedger(file: string): LedgerEntry[] {
  try {
    return fs
      .readFileSync(file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as LedgerEntry);
  } catch {
    return [];
  }
}

export async function benchRecovery(ctx: BenchContext, agents: number, latencyMs: number): Promise<RecoveryResult> {
  const dir = path.join(ctx.tmp, 'recovery');
  fs.mkdirSync(dir, { recursive: true });
  const ledger = path.join(dir, 'ledger.jsonl');
  const taskQueue = `bench-recovery-${process.pid}`;
  const cli = path.join(__dirname, '..', '..', 'bin', 'mas2.js');
  const env = { ...process.env, TEMPORAL_ADDRESS: ctx.address, MAS2_HOME: path.join(dir, 'home'), MAS2_CALL_LEDGER: ledger, MAS2_TASK_QUEUE: taskQueue };
  const start = () =>
    spawnWorker({ args: [cli, 'worker', '--task-queue', taskQueue], env, ready: /worker polling/, logFile: path.join(dir, 'worker.log') });

  let first: Child | undefined = await start();
  let second: Child | undefined;
  try {
    const workflowId = benchId('recovery');
    const handle = await ctx.client.workflow.start('mas2Task', { taskQueue, workflowId, args: [forcedInput(chainTemplate(agents), latencyMs)] });
    const mine = () => readLedger(ledger).filter((e) => e.workflowId === workflowId);
    const until = Date.now() + 60_000;
    while (mine().length < 1) {
      if (Date.now() > until) throw new Error('recovery: the first call did not finish within 60 s');
      await sleep(20);
    }
    // The second call started right after the first finished; kill in its middle.
    const firstDone = mine()[0].at;
    await sleep(Math.max(0, firstDone + latencyMs / 2 - Date.now()));
    const before = mine().length;
    await first.kill9();
    const killedAt = Date.now();
    first = undefined;
    if (before !== 1) throw new Error(`recovery: expected the kill during the 2nd call, but ${before} calls had finished`);
    ctx.log(`  killed the worker mid-call (1 of ${agents} calls finished); starting a new one`);

    second = await start();
    const spawnedAt = second.spawnedAt;
    let next: LedgerEntry | undefined;
    const until2 = Date.now() + 120_000;
    while (!(next = mine().find((e) => e.at > killedAt))) {
      if (Date.now() > until2) throw new Error('recovery: no call finished within 120 s of the restart');
      await sleep(20);
    }
    const result = (await handle.result()) as Result;
    const doneAt = Date.now();
    expectCompleted(result, agents, 'recovery run');

    const entries = mine();
    const byKey = new Map<string, number>();
    for (const e of entries) byKey.set(`${e.workflowId}|${e.callKey}`, (byKey.get(`${e.workflowId}|${e.callKey}`) ?? 0) + 1);
    const repeatedCalls = [...byKey.values()].reduce((s, n) => s + (n - 1), 0);
    return {
      resumeSeconds: round((next.at - spawnedAt) / 1000, 2),
      killToNextCallSeconds: round((next.at - killedAt) / 1000, 2),
      workerStartSeconds: round((second.readyAt - spawnedAt) / 1000, 2),
      restartToCompletionSeconds: round((doneAt - spawnedAt) / 1000, 2),
      repeatedCalls,
      retriedCalls: entries.filter((e) => e.attempt > 1).length,
      calls: entries.length,
      latencyMs,
      status: result.status,
    };
  } finally {
    await first?.kill9();
    await second?.stop();
  }
}
