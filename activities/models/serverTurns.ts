/**
 * Which local model calls of this worker compute now. What is limited is
 * servers computing at once, not calls: llama.cpp threads spin at their
 * barriers, so two servers busy at the same time with 2 threads each on 2
 * cores thrash (measured before this scheduler existed: a 3-second 0.5B call
 * took 207.6 s), while calls to ONE server share its batch — 4 streams give
 * about twice the tokens per second of one (docs/local-models.md).
 *
 * So a server holds a turn: calls to it join at once, up to its capacity (its
 * slots), and calls to another server wait. Fairness: once a call to another
 * server is waiting, new calls to the busy server queue behind it instead of
 * joining, so the turn ends when the calls already in it finish and passes to
 * the server that has waited longest, which takes all its waiting calls at once.
 * Capacity 1 for every server is the old gate of one call, first come first served.
 */

interface Waiter {
  server: string;
  capacity: number;
  go: () => void;
}

export class ServerTurns {
  /** Servers holding a turn, and how many of their calls compute. */
  private readonly turns = new Map<string, number>();
  private readonly queue: Waiter[] = [];

  constructor(readonly serversAtOnce: number) {}

  /** Runs `work` as a call to `server` (at most `capacity` of them compute at once). */
  async run<T>(server: string, capacity: number, work: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (signal?.aborted) throw signal.reason ?? new Error('aborted before a local model call');
    if (this.queue.length === 0 && this.admissible(server, capacity)) this.admit(server);
    else await this.wait(server, capacity, signal);
    try {
      return await work();
    } finally {
      this.release(server);
    }
  }

  /** For the bench and tests: which servers hold a turn, with how many calls each, and how many calls wait. */
  snapshot(): { turns: Record<string, number>; waiting: number } {
    return { turns: Object.fromEntries(this.turns), waiting: this.queue.length };
  }

  private admissible(server: string, capacity: number): boolean {
    const active = this.turns.get(server);
    if (active !== undefined) return active < capacity;
    return this.turns.size < this.serversAtOnce;
  }

  private admit(server: string): void {
    this.turns.set(server, (this.turns.get(server) ?? 0) + 1);
  }

  private wait(server: string, capacity: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        server,
        capacity,
        go: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        const i = this.queue.indexOf(waiter);
        if (i >= 0) this.queue.splice(i, 1);
        reject(signal!.reason ?? new Error('aborted while waiting for a local model'));
        this.pump();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.queue.push(waiter);
    });
  }

  private release(server: string): void {
    const active = (this.turns.get(server) ?? 1) - 1;
    if (active > 0) this.turns.set(server, active);
    else this.turns.delete(server);
    this.pump();
  }

  /**
   * Admits from the head of the queue while it can; a server admitted from the head also
   * takes its other waiting calls (its batch), skipping calls to servers that must wait anyway.
   */
  private pump(): void {
    while (this.queue.length > 0) {
      const head = this.queue[0]!;
      if (!this.admissible(head.server, head.capacity)) return;
      for (let i = 0; i < this.queue.length; ) {
        const w = this.queue[i]!;
        if (w.server === head.server && this.admissible(w.server, w.capacity)) {
          this.queue.splice(i, 1);
          this.admit(w.server);
          w.go();
        } else i++;
      }
    }
  }
}
