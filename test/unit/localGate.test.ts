/** The local-model gate: at most N calls compute at once, the rest wait in order; an abort leaves the queue. */
import { Gate, localConcurrency } from '../../activities/models/localGate';

const tick = () => new Promise((r) => setImmediate(r));

test('at most `limit` run at once, and waiters start in arrival order', async () => {
  const gate = new Gate(1);
  const log: string[] = [];
  const releases: (() => void)[] = [];
  const job = (name: string) => gate.run(() => new Promise<string>((res) => {
    log.push(`start ${name}`);
    releases.push(() => res(name));
  }));
  const all = Promise.all([job('a'), job('b'), job('c')]);
  await tick();
  expect(log).toEqual(['start a']);
  releases.shift()!();
  await tick();
  expect(log).toEqual(['start a', 'start b']);
  releases.shift()!();
  await tick();
  releases.shift()!();
  expect(await all).toEqual(['a', 'b', 'c']);
  expect(log).toEqual(['start a', 'start b', 'start c']);
});

test('a failing call frees its slot; an aborted waiter leaves the queue without running', async () => {
  const gate = new Gate(1);
  let release!: () => void;
  const first = gate.run(() => new Promise<void>((res) => (release = res)));
  const ctl = new AbortController();
  let ran = false;
  const aborted = gate.run(async () => { ran = true; }, ctl.signal);
  ctl.abort(new Error('cancelled'));
  await expect(aborted).rejects.toThrow('cancelled');
  release();
  await first;
  await expect(gate.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
  expect(await gate.run(async () => 'next')).toBe('next');
  expect(ran).toBe(false);
});

test('the limit: cores / threads per server, at least 1, or MAS2_LOCAL_CONCURRENCY', () => {
  expect(localConcurrency({}, 2, 2)).toBe(1);
  expect(localConcurrency({}, 2, 8)).toBe(4);
  expect(localConcurrency({}, 4, 2)).toBe(1);
  expect(localConcurrency({ MAS2_LOCAL_CONCURRENCY: '3' }, 2, 2)).toBe(3);
  expect(() => localConcurrency({ MAS2_LOCAL_CONCURRENCY: 'x' }, 2, 2)).toThrow(/MAS2_LOCAL_CONCURRENCY must be a whole number/);
});
