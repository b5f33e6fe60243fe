/** Worker child processes: spawned, watched until ready, always stopped (cleanup registry). */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { onCleanup, killTree } from './cleanup';

export interface Child {
  proc: ChildProcess;
  pid: number;
  /** Date.now() just before spawn. */
  spawnedAt: number;
  /** Date.now() when the ready pattern appeared. */
  readyAt: number;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM, then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
  kill9(): Promise<void>;
}

export async function spawnWorker(opts: { args: string[]; env?: NodeJS.ProcessEnv; ready: RegExp; logFile: string; timeoutMs?: number }): Promise<Child> {
  const spawnedAt = Date.now();
  const proc = spawn(process.execPath, opts.args, { env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
  const log = fs.createWriteStream(opts.logFile, { flags: 'a' });
  const unregister = onCleanup(() => killTree(proc, 'SIGKILL'));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) =>
    proc.once('exit', (code, signal) => {
      unregister();
      res({ code, signal });
    }),
  );
  const readyAt = await new Promise<number>((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`worker ${opts.args.join(' ')} not ready within ${(opts.timeoutMs ?? 60_000) / 1000} s; see ${opts.logFile}`)), opts.timeoutMs ?? 60_000);
    const onData = (d: Buffer) => {
      log.write(d);
      seen += d.toString();
      if (opts.ready.test(seen)) {
        clearTimeout(timer);
        seen = '';
        resolve(Date.now());
      }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    void exited.then((e) => {
      clearTimeout(timer);
      reject(new Error(`worker exited (${e.signal ?? `code ${e.code}`}) before it was ready; see ${opts.logFile}`));
    });
  });
  const pid = proc.pid!;
  return {
    proc,
    pid,
    spawnedAt,
    readyAt,
    exited,
    async stop(graceMs = 15_000) {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      killTree(proc, 'SIGTERM');
      const timer = setTimeout(() => killTree(proc, 'SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
      log.end();
    },
    async kill9() {
      killTree(proc, 'SIGKILL');
      await exited;
      log.end();
    },
  };
}
