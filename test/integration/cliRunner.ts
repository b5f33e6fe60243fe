/** The built `mas2` command run as a user runs it, against the test server, with its own home and task queue. */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { testServerAddress } from './server';

export const BIN = path.join(__dirname, '..', '..', 'bin', 'mas2.js');

export function mas2Runner(home: string, queue: string) {
  return (args: string[], env: Record<string, string> = {}) => {
    const r = spawnSync(process.execPath, [BIN, ...args], {
      encoding: 'utf8',
      timeout: 120_000,
      env: { ...process.env, TEMPORAL_ADDRESS: testServerAddress(), MAS2_HOME: home, MAS2_TASK_QUEUE: queue, OPENAI_API_KEY: '', MAS2_POOL: '', ...env },
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
}
