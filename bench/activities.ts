/** Activities only the bench worker hosts. */
import { Context } from '@temporalio/activity';
import type { BareVariant, BenchActivities } from './bareWorkflow';

export const benchActivities: BenchActivities = {
  async benchNoop(i: number, variant?: BareVariant, payload?: string) {
    if (variant?.heartbeat) Context.current().heartbeat();
    return { n: i >= 0 ? 1 : 0, payload };
  },
};
