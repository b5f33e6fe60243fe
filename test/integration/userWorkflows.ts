/**
 * A Temporal user's workflows module (fixture for ownWorker.test.ts): a
 * workflow of their own beside mas2's, which they re-export from the package.
 */
import { proxyActivities } from '@temporalio/workflow';
export * from 'mas2/workflows';

const { greet } = proxyActivities<{ greet(name: string): Promise<string> }>({ startToCloseTimeout: '10 seconds' });

export async function greeting(name: string): Promise<string> {
  return greet(name);
}
