/**
 * At most N local model calls compute at once in this worker, N = cores / threads per
 * server (1 on the 2-core machine). llama.cpp threads spin at their barriers, so two
 * servers busy at the same time with 2 threads each on 2 cores thrash: measured in
 * `mas2 eval --pool local --concurrency 2`, a 0.5B call of 142 in / 58 out tokens took
 * 207.6 s instead of ~3 s. Runs still overlap everything else (meta-agent bookkeeping,
 * tools, the sandbox); only the model calls queue, first come first served.
 */
import * as os from 'node:os';

export class Gate {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(readonly limit: number) {}

  async run<T>(work: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (this.active >= this.limit) {
      await new Promise<void>((resolve, reject) => {
        const go = () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        };
        const onAbort = () => {
          const i = this.waiting.indexOf(go);
          if (i >= 0) this.waiting.splice(i, 1);
          reject(signal!.reason ?? new Error('aborted while waiting for a local model'));
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        this.waiting.push(go);
      });
    } else {
      this.active++;
    }
    try {
      return await work();
    } finally {
      // Hand the slot straight to the next waiter (active stays the same), else free it.
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}

/** MAS2_LOCAL_CONCURRENCY, else cores / threads per server (at least 1). */
export function localConcurrency(env: NodeJS.ProcessEnv, threads: number, cores = os.cpus().length): number {
  const raw = env.MAS2_LOCAL_CONCURRENCY;
  if (raw) {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1) throw new Error(`MAS2_LOCAL_CONCURRENCY must be a whole number ≥ 1 (got "${raw}")`);
    return n;
  }
  return Math.max(1, Math.floor(cores / Math.max(1, threads)));
}
