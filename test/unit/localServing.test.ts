/**
 * How a worker serves local model calls, without a model: which calls compute
 * at once (servers take turns, calls to one server share its batch, nobody
 * starves) and which server slot each call goes to (a conversation keeps its
 * slot; a new one takes the idle slot with the longest shared prefix).
 */
import { ServerTurns } from '../../activities/models/serverTurns';
import { commonPrefix, promptText, SlotAllocator } from '../../activities/models/slots';

const tick = () => new Promise((r) => setImmediate(r));

/** Calls whose completion the test decides; `log` says when each started. */
function harness(turns: ServerTurns) {
  const log: string[] = [];
  const open = new Map<string, () => void>();
  const call = (server: string, name: string, capacity = 8, signal?: AbortSignal) =>
    turns.run(
      server,
      capacity,
      () =>
        new Promise<string>((res) => {
          log.push(name);
          open.set(name, () => res(name));
        }),
      signal,
    );
  const finish = async (...names: string[]) => {
    for (const n of names) {
      const f = open.get(n);
      if (!f) throw new Error(`${n} is not running (running: ${[...open.keys()].join(', ')})`);
      open.delete(n);
      f();
    }
    await tick();
    await tick();
  };
  return { log, call, finish, running: () => [...open.keys()].sort() };
}

describe('server turns: servers computing at once are limited, not calls', () => {
  test('calls to one server join its batch up to its capacity; the rest wait for a free place', async () => {
    const h = harness(new ServerTurns(1));
    const all = Promise.all(['a1', 'a2', 'a3'].map((n) => h.call('A', n, 2)));
    await tick();
    expect(h.running()).toEqual(['a1', 'a2']);
    await h.finish('a1');
    expect(h.running()).toEqual(['a2', 'a3']);
    await h.finish('a2', 'a3');
    expect(await all).toEqual(['a1', 'a2', 'a3']);
  });

  test('another server waits its turn, then takes all its waiting calls at once; later calls to the first server do not cut in', async () => {
    const turns = new ServerTurns(1);
    const h = harness(turns);
    const calls = [h.call('A', 'a1'), h.call('A', 'a2')];
    await tick();
    calls.push(h.call('B', 'b1'), h.call('A', 'a3'), h.call('B', 'b2'));
    await tick();
    // B is waiting: a3 queues behind it instead of joining A's batch.
    expect(h.running()).toEqual(['a1', 'a2']);
    expect(turns.snapshot()).toEqual({ turns: { A: 2 }, waiting: 3 });
    await h.finish('a1');
    expect(h.running()).toEqual(['a2']);
    await h.finish('a2');
    expect(h.running()).toEqual(['b1', 'b2']);
    await h.finish('b1', 'b2');
    expect(h.running()).toEqual(['a3']);
    await h.finish('a3');
    await Promise.all(calls);
    expect(h.log).toEqual(['a1', 'a2', 'b1', 'b2', 'a3']);
    expect(turns.snapshot()).toEqual({ turns: {}, waiting: 0 });
  });

  test('no starvation: a server whose calls keep coming still hands over its turn', async () => {
    const h = harness(new ServerTurns(1));
    const calls = [h.call('A', 'a0')];
    await tick();
    calls.push(h.call('B', 'b'));
    // A keeps receiving calls while B waits; each one queues behind B.
    for (let i = 1; i <= 3; i++) {
      calls.push(h.call('A', `a${i}`));
      await tick();
    }
    await h.finish('a0');
    expect(h.running()).toEqual(['b']);
    await h.finish('b');
    expect(h.running()).toEqual(['a1', 'a2', 'a3']);
    await h.finish('a1', 'a2', 'a3');
    await Promise.all(calls);
  });

  test('capacity 1 is the old gate: one call at a time, first come first served, across servers', async () => {
    const h = harness(new ServerTurns(1));
    const calls = [h.call('A', 'a1', 1), h.call('B', 'b1', 1), h.call('A', 'a2', 1)];
    await tick();
    expect(h.running()).toEqual(['a1']);
    await h.finish('a1');
    expect(h.running()).toEqual(['b1']);
    await h.finish('b1');
    expect(h.running()).toEqual(['a2']);
    await h.finish('a2');
    await Promise.all(calls);
    expect(h.log).toEqual(['a1', 'b1', 'a2']);
  });

  test('two servers at once where the cores allow it', async () => {
    const h = harness(new ServerTurns(2));
    const calls = [h.call('A', 'a'), h.call('B', 'b'), h.call('C', 'c')];
    await tick();
    expect(h.running()).toEqual(['a', 'b']);
    await h.finish('b');
    expect(h.running()).toEqual(['a', 'c']);
    await h.finish('a', 'c');
    await Promise.all(calls);
  });

  test('an aborted waiter leaves the queue without running; a failing call frees its place', async () => {
    const turns = new ServerTurns(1);
    const h = harness(turns);
    const a = h.call('A', 'a');
    const ctl = new AbortController();
    const b = h.call('B', 'b', 8, ctl.signal);
    await tick();
    ctl.abort(new Error('cancelled'));
    await expect(b).rejects.toThrow('cancelled');
    await h.finish('a');
    await a;
    expect(h.log).toEqual(['a']);
    await expect(turns.run('A', 1, () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await turns.run('B', 1, async () => 'next')).toBe('next');
    expect(turns.snapshot()).toEqual({ turns: {}, waiting: 0 });
  });
});

describe('slot allocator: each conversation keeps its slot, new ones reuse the longest prefix', () => {
  const clock = () => {
    let t = 1000;
    return { now: () => t, advance: (ms: number) => (t += ms) };
  };
  /** One finished call: the slot it got, which now holds its prompt. */
  const served = (a: SlotAllocator, conversation: string, prompt: string) => {
    const slot = a.acquire(conversation, prompt)!;
    a.release(slot, prompt);
    return slot;
  };

  test('a conversation goes back to its own slot; others get other slots while it is in flight', () => {
    const c = clock();
    const a = new SlotAllocator(3, 60_000, c.now);
    const s1 = served(a, 'run1/agent/solver', 'SYS solve');
    c.advance(10);
    expect(served(a, 'run1/generator/g', 'GEN')).not.toBe(s1);
    c.advance(10);
    expect(a.acquire('run1/agent/solver', 'SYS solve + turn 2')).toBe(s1);
  });

  test('a new conversation takes the idle slot whose last prompt shares the longest prefix; ties go to the least recently used', () => {
    const c = clock();
    const a = new SlotAllocator(3, 60_000, c.now);
    const prompts = ['GENERATOR RULES… task 1', 'IMPLEMENTER RULES… task 1', 'AGENT solver… task 1'];
    const slots = prompts.map((p, i) => a.acquire(`run1/c${i}`, p)!);
    prompts.forEach((p, i) => {
      c.advance(1);
      a.release(slots[i]!, p);
    });
    // Past the reservation, run 2's Generator finds run 1's Generator slot (same static prefix).
    c.advance(120_000);
    expect(a.acquire('run2/generator', 'GENERATOR RULES… task 2')).toBe(slots[0]);
    // No shared prefix with any idle slot: the least recently used of them.
    expect(a.acquire('run2/x', 'zzz')).toBe(slots[1]);
  });

  test('slots of conversations in flight are left alone while another is idle; stale reservations are free; all reserved: the least recently used is taken', () => {
    const c = clock();
    const a = new SlotAllocator(2, 60_000, c.now);
    const s0 = served(a, 'run1/agent/a', 'SAME PREFIX a');
    c.advance(5);
    const s1 = served(a, 'run1/agent/b', 'other');
    c.advance(5);
    // Both reserved: no prefix preference, the least recently used one is taken (s0).
    expect(served(a, 'run2/agent/a', 'SAME PREFIX a again')).toBe(s0);
    // run1/agent/a lost its slot; it gets the other idle one, the least recently used.
    c.advance(5);
    expect(served(a, 'run1/agent/a', 'SAME PREFIX a, turn 2')).toBe(s1);
    c.advance(61_000);
    // Both reservations are stale now: the longest prefix wins again.
    expect(a.acquire('run3/agent/a', 'SAME PREFIX a, turn 2 of run 3')).toBe(s1);
  });

  test('an ended conversation frees its slot, which keeps its prompt for the next conversation with the same prefix', () => {
    const c = clock();
    const a = new SlotAllocator(2, 600_000, c.now);
    served(a, 'run1/rectifier/r1', 'RECTIFIER RULES… trigger 1');
    c.advance(5);
    const agent = served(a, 'run1/agent/solver', 'AGENT solver');
    // r1 is still in flight, the solver has ended: r2 gets the solver's slot, not r1's longer prefix.
    c.advance(5);
    a.end('run1/agent/solver');
    expect(served(a, 'run1/rectifier/r2', 'RECTIFIER RULES… trigger 2')).toBe(agent);
    a.end('run1/rectifier/r2');
    a.end('run1/rectifier/r1');
    c.advance(5);
    // Both ended: the longest prefix wins, though the other slot was used longer ago.
    expect(a.acquire('run1/rectifier/r3', 'RECTIFIER RULES… trigger 2, again')).toBe(agent);
    a.end('unknown');
  });

  test('a busy slot is never handed out; with every slot busy there is none', () => {
    const a = new SlotAllocator(2);
    const x = a.acquire('c', 'p');
    // The same conversation twice at once (an ensemble's samples): another slot.
    const y = a.acquire('c', 'p');
    expect(new Set([x, y]).size).toBe(2);
    expect(a.acquire('d', 'p')).toBeUndefined();
    a.release(x!, '');
    expect(a.acquire('d', 'p')).toBe(x);
    expect(a.snapshot().every((s) => s.busy)).toBe(true);
  });

  test('prompts are compared in the order the chat template lays them out: system text, tools, then the turns', () => {
    const tools = [{ name: 'calculator', description: 'math', parameters: { type: 'object' } }];
    const first = promptText({ messages: [{ role: 'system', content: 'You solve.' }, { role: 'user', content: 'task' }], tools });
    const next = promptText({
      messages: [
        { role: 'system', content: 'You solve.' },
        { role: 'user', content: 'task' },
        { role: 'assistant', content: null, toolCalls: [{ id: '1', name: 'calculator', arguments: '{}' }] },
        { role: 'tool', toolCallId: '1', content: '4' },
      ],
      tools,
    });
    expect(next.startsWith(first)).toBe(true);
    expect(first.indexOf('You solve.')).toBeLessThan(first.indexOf('calculator'));
    expect(first.indexOf('calculator')).toBeLessThan(first.indexOf('task'));
    expect(commonPrefix('abcd', 'abxy')).toBe(2);
    expect(commonPrefix('', 'a')).toBe(0);
  });
});
