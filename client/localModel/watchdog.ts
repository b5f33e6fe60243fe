/**
 * The idle watchdog of one local llama-server (llama-server has no idle
 * shutdown of its own). A detached `node watchdog.js STATE PID IDLE_SECONDS`
 * started next to the server: every few seconds it reads the server's
 * Prometheus counters (/metrics: tokens processed, requests in flight); after
 * IDLE_SECONDS with no change and nothing in flight it stops the server and
 * removes the state file. It exits by itself when the server dies or the state
 * file no longer names it (`mas2 local-model stop`, or a replacement server).
 * Self-contained on purpose: no imports beyond node, so it costs little memory.
 */
import * as fs from 'node:fs';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function statePid(file: string): { pid?: number; baseURL?: string } {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as { pid?: number; baseURL?: string };
  } catch {
    return {};
  }
}

/** The counters that move when the server works, as one string; undefined if /metrics does not answer. */
export async function activity(baseURL: string): Promise<{ fingerprint: string; busy: boolean } | undefined> {
  try {
    const res = await fetch(`${baseURL.replace(/\/v1\/?$/, '')}/metrics`, { signal: AbortSignal.timeout(5000) });
    if (!res.ok) return undefined;
    return parseMetrics(await res.text());
  } catch {
    return undefined;
  }
}

export function parseMetrics(text: string): { fingerprint: string; busy: boolean } {
  const value = (name: string) => Number(new RegExp(`^llamacpp:${name}\\s+(\\S+)`, 'm').exec(text)?.[1] ?? 0);
  const fingerprint = ['prompt_tokens_total', 'tokens_predicted_total', 'n_decode_total'].map(value).join('/');
  return { fingerprint, busy: value('requests_processing') > 0 || value('requests_deferred') > 0 };
}

async function main(stateFile: string, pid: number, idleSeconds: number): Promise<void> {
  const everyMs = Math.max(1000, Math.min(10_000, (idleSeconds * 1000) / 4));
  let last = Date.now();
  let seen: string | undefined;
  for (;;) {
    await new Promise((r) => setTimeout(r, everyMs));
    const s = statePid(stateFile);
    if (!alive(pid)) {
      if (s.pid === pid) fs.rmSync(stateFile, { force: true });
      return;
    }
    if (s.pid !== pid || !s.baseURL) return;
    const a = await activity(s.baseURL);
    if (!a || a.busy || a.fingerprint !== seen) {
      // No answer counts as busy: a server stuck in a long prompt may not serve /metrics in time.
      last = Date.now();
      if (a) seen = a.fingerprint;
      continue;
    }
    if (Date.now() - last >= idleSeconds * 1000) {
      process.stdout.write(`${new Date().toISOString()} watchdog: idle for ${idleSeconds} s, stopping llama-server pid ${pid}\n`);
      fs.rmSync(stateFile, { force: true });
      process.kill(pid, 'SIGTERM');
      const until = Date.now() + 5000;
      while (alive(pid) && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
      if (alive(pid)) process.kill(pid, 'SIGKILL');
      return;
    }
  }
}

if (require.main === module) {
  const [stateFile, pid, idle] = process.argv.slice(2);
  main(stateFile, Number(pid), Number(idle)).catch((e) => {
    process.stderr.write(`watchdog: ${(e as Error).message}\n`);
    process.exitCode = 1;
  });
}
