/**
 * The baseline for the orchestration-overhead benchmark: a bare Temporal
 * workflow that runs `steps` no-op activities one after the other, with the
 * same activity options mas2 uses for a model call. Workflow code: imports
 * only @temporalio/workflow.
 *
 * `variant` exists for profiling the gap to mas2 (not for the ratio): the
 * no-op can heartbeat once, as mas2's model-call activity does, and/or carry
 * a payload of mas2's size each way.
 */
import { proxyActivities } from '@temporalio/workflow';

export interface BareVariant {
  heartbeat?: boolean;
  /** Characters of dummy payload sent to and returned from every activity. */
  payloadChars?: number;
}

export interface BenchActivities {
  benchNoop(i: number, variant?: BareVariant, payload?: string): Promise<{ n: number; payload?: string }>;
}

const { benchNoop } = proxyActivities<BenchActivities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '10 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '20 seconds', maximumAttempts: 5 },
});

export async function bareWorkflow(steps: number, variant?: BareVariant): Promise<number> {
  let n = 0;
  const payload = variant?.payloadChars ? 'x'.repeat(variant.payloadChars) : undefined;
  for (let i = 0; i < steps; i++) n += (await benchNoop(i, variant, payload)).n;
  return n;
}
