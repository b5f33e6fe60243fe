/**
 * The bench's own Temporal dev server: a temp SQLite file, free ports, no Web
 * UI, a child of the bench process, stopped at the end (and on error/SIGINT
 * through the cleanup registry in cleanup.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { isTemporalServer, startDevArgs } from '../client/devServer';
import { findTemporalCli } from '../client/temporalBinary';
import { onCleanup, killTree } from './cleanup';

export interface BenchServer {
  address: string;
  pid: number;
  dir: string;
  bin: string;
  stop(): Promise<void>;
}

export async function freePorts(n: number): Promise<number[]> {
  const servers: net.Server[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const srv = net.createServer();
      await new Promise<void>((res, rej) => {
        srv.once('error', rej);
        srv.listen(0, '127.0.0.1', () => res());
      });
      servers.push(srv);
    }
    return servers.map((s) => (s.address() as net.AddressInfo).port);
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((res) => s.close(() => res()))));
  }
}

export async function startBenchServer(dir: string, extraArgs: string[] = []): Promise<BenchServer> {
  const bin = findTemporalCli();
  const [port, uiPort] = await freePorts(2);
  const args = [...startDevArgs({ home: dir, port, uiPort }), '--headless', ...extraArgs];
  const logFile = path.join(dir, 'server.log');
  const logFd = fs.openSync(logFile, 'a');
  const child: ChildProcess = spawn(bin, args, { cwd: dir, stdio: ['ignore', logFd, logFd] });
  fs.closeSync(logFd);
  let exited: string | undefined;
  child.once('exit', (code, signal) => (exited = signal ?? `code ${code}`));
  child.once('error', (e) => (exited = e.message));
  const pid = child.pid!;
  const unregister = onCleanup(() => killTree(child, 'SIGKILL'));
  const address = `127.0.0.1:${port}`;
  const until = Date.now() + 60_000;
  for (;;) {
    if (exited) throw new Error(`Temporal dev server exited (${exited}) before answering; see ${logFile}`);
    if (await isTemporalServer(address, 'default', 2000)) break;
    if (Date.now() > until) throw new Error(`Temporal dev server did not answer on ${address} within 60 s; see ${logFile}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    address,
    pid,
    dir,
    bin,
    async stop() {
      unregister();
      if (exited) return;
      const gone = new Promise<void>((res) => child.once('exit', () => res()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await gone;
      clearTimeout(timer);
    },
  };
}
