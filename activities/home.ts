import * as os from 'node:os';
import * as path from 'node:path';

/** $MAS2_HOME, default ~/.mas2: the dev server's database, the blob store and run workspaces. */
export function mas2Home(env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(env.MAS2_HOME || path.join(os.homedir(), '.mas2'));
}

/** A run's own folder. Workflow ids are user input (`--id`), so they never reach the path unchecked. */
export function runDir(home: string, workflowId: string): string {
  const safe = workflowId.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_');
  return path.join(home, 'runs', safe);
}
