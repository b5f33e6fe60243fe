/**
 * A Temporal user's workflows module (fixture for ownWorker.test.ts): a
 * workflow of their own beside mas2's, which they re-export from the package.
 */
import { proxyActivities } from '@temporalio/workflow';
// Resolved through the package's own `exports` map (a self-reference), as in a user's project; the
// bundler reads exports maps, this repo's tsc (moduleResolution node10) does not — library.test.ts
// checks that a TypeScript user resolves the types.
// @ts-expect-error node10 resolution does not read `exports`
export * from 'mas2/workflows';

const { greet } = proxyActivities<{ greet(name: string): Promise<string> }>({ startToCloseTimeout: '10 seconds' });

export async function greeting(name: string): Promise<string> {
  return greet(name);
}
