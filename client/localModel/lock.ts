/**
 * A lock file owned by a live process: provisioning takes minutes, so unlike
 * the dev server's lock it cannot go stale by age — it is stale when the pid
 * that wrote it is gone (a killed `mas2` leaves no wedged cache behind).
 */
import * as fs from 'node:fs';
import { pidAlive } from '../devServer';

const sleep = (ms: number) => new Promise<void>((res) => setTimeout(res, ms));

function owner(file: string): number | undefined {
  try {
    const pid = (JSON.parse(fs.readFileSync(file, 'utf8')) as { pid?: unknown }).pid;
    return typeof pid === 'number' ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Runs `work` holding `file`. While another live process holds it, waits
 * (calling `onWait` once with its pid) up to `waitMs`.
 */
export async function withLock<T>(file: string, waitMs: number, work: () => Promise<T>, onWait?: (pid: number | undefined) => void): Promise<T> {
  const until = Date.now() + waitMs;
  let told = false;
  for (;;) {
    try {
      const fd = fs.openSync(file, fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_WRONLY, 0o644);
      fs.writeSync(fd, JSON.stringify({ pid: process.pid, at: new Date().toISOString() }));
      fs.closeSync(fd);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const pid = owner(file);
    let age = 0;
    try {
      age = Date.now() - fs.statSync(file).mtimeMs;
    } catch {
      continue; // released between open and stat
    }
    // No readable pid after a few seconds means a writer died mid-write.
    if ((pid !== undefined && !pidAlive(pid)) || (pid === undefined && age > 5000)) {
      fs.rmSync(file, { force: true });
      continue;
    }
    if (!told) {
      told = true;
      onWait?.(pid);
    }
    if (Date.now() > until) throw new Error(`timed out waiting for ${file} (held by pid ${pid ?? '?'})`);
    await sleep(500);
  }
  try {
    return await work();
  } finally {
    if (owner(file) === process.pid) fs.rmSync(file, { force: true });
  }
}
