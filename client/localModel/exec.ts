/** Running the external tools provisioning needs (pip, tar, cmake), with their output kept in a log. */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';

export interface ExecOptions {
  cwd?: string;
  /** Every output line, e.g. to turn build progress into a progress line. */
  onLine?: (line: string) => void;
  /** Appended with the command and all its output. */
  logFile?: string;
  /** Lower the priority (compiling on a shared machine should not starve the runs). */
  nice?: boolean;
}

export function exec(cmd: string, args: string[], o: ExecOptions = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    const log = o.logFile ? fs.openSync(o.logFile, 'a') : undefined;
    if (log !== undefined) fs.writeSync(log, `\n$ ${cmd} ${args.join(' ')}\n`);
    const child = spawn(cmd, args, { cwd: o.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    if (o.nice && child.pid) {
      try {
        // Never raise it: under a caller that is already nicer (a shared machine's queue), keep that.
        os.setPriority(child.pid, Math.max(10, os.getPriority()));
      } catch {
        /* not permitted: run at normal priority */
      }
    }
    const last: string[] = [];
    let partial = '';
    const onData = (buf: Buffer) => {
      if (log !== undefined) fs.writeSync(log, buf);
      const lines = (partial + buf.toString('utf8')).split(/\r?\n|\r/);
      partial = lines.pop() ?? '';
      for (const l of lines) {
        last.push(l);
        if (last.length > 12) last.shift();
        o.onLine?.(l);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('error', (e) => {
      if (log !== undefined) fs.closeSync(log);
      reject(new Error(`cannot run ${cmd}: ${e.message}`));
    });
    child.once('close', (code, signal) => {
      if (log !== undefined) fs.closeSync(log);
      if (code === 0) resolve();
      else reject(new Error(`${cmd} ${args.slice(0, 3).join(' ')} … failed (${signal ?? `exit ${code}`}):\n${[...last, partial].filter(Boolean).join('\n')}`));
    });
  });
}

/** True if `cmd args` runs and exits 0 (used to check the tools before a long job starts). */
export function runsOk(cmd: string, args: string[]): boolean {
  const r = spawnSync(cmd, args, { stdio: 'ignore', timeout: 30_000 });
  return !r.error && r.status === 0;
}
