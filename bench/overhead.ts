/**
 * Orchestration overhead: per-step wall time of a mas2 run whose S agents form
 * a chain (forced template and assignment: no meta calls, one zero-latency
 * simulator call per agent) over that of bareWorkflow running S no-op
 * activities; same server, same worker process (mas2's createWorker and a
 * bare Worker side by side). Runs alternate; medians.
 */
import type { BenchContext } from './context';
import { benchId, expectCompleted, runMas2 } from './context';
import { chainTemplate, forcedInput } from './tasks';
import { fetchChain, stepProfile } from './history';
import { median, round } from './stats';

type Profile = ReturnType<typeof stepProfile>;

export interface OverheadResult {
  overheadRatio: number;
  steps: number;
  repetitions: number;
  mas2MsPerStep: number;
  bareMsPerStep: number;
  mas2Samples: number[];
  bareSamples: number[];
  /** Mean ms per step by phase from the server's event times; the median over the counted runs. */
  profile: { mas2: Profile; bare: Profile };
}

export async function benchOverhead(ctx: BenchContext, steps: number, repetitions: number): Promise<OverheadResult> {
  const input = forcedInput(chainTemplate(steps), 0);
  const mas2 = async () => {
    const r = await runMas2(ctx, input, { id: benchId('overhead-mas2') });
    expectCompleted(r.result, steps, 'overhead mas2 run');
    return r;
  };
  const bare = async () => {
    const workflowId = benchId('overhead-bare');
    const t0 = performance.now();
    const handle = await ctx.client.workflow.start('bareWorkflow', { taskQueue: ctx.bareTaskQueue, workflowId, args: [steps] });
    const n = (await handle.result()) as number;
    const wallMs = performance.now() - t0;
    if (n !== steps) throw new Error(`bare workflow ran ${n} of ${steps} activities`);
    return { wallMs, workflowId, runId: handle.firstExecutionRunId };
  };
  // Warm-up (not counted): the first workflow of each type pays for loading code in the worker.
  await mas2();
  await bare();
  const m: number[] = [];
  const b: number[] = [];
  const runsM: { workflowId: string; runId: string }[] = [];
  const runsB: { workflowId: string; runId: string }[] = [];
  for (let i = 0; i < repetitions; i++) {
    // Alternate which side goes first, so neither always runs on a warmer server.
    if (i % 2 === 0) {
      const x = await mas2();
      const y = await bare();
      m.push(x.wallMs / steps);
      b.push(y.wallMs / steps);
      runsM.push(x);
      runsB.push(y);
    } else {
      const y = await bare();
      const x = await mas2();
      m.push(x.wallMs / steps);
      b.push(y.wallMs / steps);
      runsM.push(x);
      runsB.push(y);
    }
    ctx.log(`  overhead rep ${i + 1}/${repetitions}: mas2 ${m[i].toFixed(1)} ms/step, bare ${b[i].toFixed(1)} ms/step`);
  }
  const profileOf = async (runs: { workflowId: string; runId: string }[]): Promise<Profile> => {
    const ps = await Promise.all(runs.map(async (r) => stepProfile((await fetchChain(ctx.client, r.workflowId, r.runId)).flat())));
    const med = (k: keyof Profile) => round(median(ps.map((p) => p[k])), 2);
    return { steps: ps[0].steps, wfts: ps[0].wfts, activityDispatch: med('activityDispatch'), activityRun: med('activityRun'), wftDispatch: med('wftDispatch'), wftRun: med('wftRun') };
  };
  const mm = median(m);
  const bm = median(b);
  return {
    overheadRatio: round(mm / bm),
    steps,
    repetitions,
    mas2MsPerStep: round(mm, 2),
    bareMsPerStep: round(bm, 2),
    mas2Samples: m.map((x) => round(x, 2)),
    bareSamples: b.map((x) => round(x, 2)),
    profile: { mas2: await profileOf(runsM), bare: await profileOf(runsB) },
  };
}
