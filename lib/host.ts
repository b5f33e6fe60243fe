/** For Temporal users hosting mas2 in their own worker: where the workflow code is. */
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * The workflows module (mas2Task and the CTO workflows), for `Worker.create({ workflowsPath })`
 * or to re-export from your own workflows file: `export * from 'mas2/workflows'`.
 */
export const workflowsPath: string = require.resolve('../workflows');

/** The pre-built workflow bundle (`npm run build`), when only mas2's workflows run on the worker; null in a source checkout. */
export const workflowBundlePath: string | null = (() => {
  const p = path.join(__dirname, '..', 'workflow-bundle.js');
  return fs.existsSync(p) ? p : null;
})();
