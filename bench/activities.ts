/** Activities only the bench worker hosts. */
import type { BenchActivities } from './bareWorkflow';

export const benchActivities: BenchActivities = {
  async benchNoop(i: number): Promise<number> {
    return i >= 0 ? 1 : 0;
  },
};
