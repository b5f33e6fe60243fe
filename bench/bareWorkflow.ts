/**
 * The baseline for the orchestration-overhead benchmark: a bare Temporal
 * workflow that runs `steps` no-op activities one after the other, with the
 * same activity options mas2 uses for a model call. Workflow code: imports
 * only @temporalio/workflow.
 */
import { proxyActivities } from '@temporalio/workflow';

export interface BenchActivities {
  benchNoop(i: number): Promise<number>;
}

const { benchNoop } = proxyActivities<BenchActivities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '10 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '20 seconds', maximumAttempts: 5 },
});

export async function bareWorkflow(steps: number): Promise<number> {
  let n = 0;
  for (let i = 0; i < steps; i++) n += await benchNoop(i);
  return n;
}
