/**
 * Which slot of one llama-server a call goes to. A slot keeps the tokens of
 * the last prompt it processed, and a prompt that starts with them costs only
 * its new tail; so a conversation (an agent's turn loop, a meta-agent call and
 * its repair round) goes back to its own slot, and a new conversation takes
 * the idle slot whose last prompt shares the longest prefix with its own —
 * the same role's system text and tool definitions from an earlier run — ties
 * to the least recently used. Slots of conversations still in flight (used
 * within `reserveMs`) are left alone while another idle slot exists.
 *
 * Prefixes are compared on the text of the prompt, in the order the chat
 * template lays it out (system text, tool definitions, then the messages): a
 * longer common text is a longer common token prefix.
 */
import type { ModelRequest } from './types';

interface Slot {
  busy: boolean;
  owner?: string;
  prompt: string;
  lastUsed: number;
}

/**
 * A conversation keeps its slot until it ends (endConversation) or goes unused this long —
 * the safety net for one that never says so (its worker died, its run was cancelled); as
 * long as an activity may run, so a turn loop waiting for its server's turn keeps its slot.
 */
export const RESERVE_MS = 600_000;

export class SlotAllocator {
  private readonly slots: Slot[];
  private readonly owned = new Map<string, number>();

  constructor(
    readonly size: number,
    private readonly reserveMs = RESERVE_MS,
    private readonly now: () => number = Date.now,
  ) {
    this.slots = Array.from({ length: size }, () => ({ busy: false, prompt: '', lastUsed: 0 }));
  }

  /** A slot for this call, marked busy; undefined when every slot computes (the caller's turn limit prevents that). */
  acquire(conversation: string | undefined, prompt: string): number | undefined {
    const now = this.now();
    const mine = conversation === undefined ? undefined : this.owned.get(conversation);
    let pick = mine !== undefined && !this.slots[mine]!.busy ? mine : undefined;
    if (pick === undefined) {
      const idle = this.slots.map((s, i) => ({ s, i })).filter(({ s }) => !s.busy);
      if (idle.length === 0) return undefined;
      const free = idle.filter(({ s }) => s.owner === undefined || s.owner === conversation || now - s.lastUsed > this.reserveMs);
      // Longest shared prefix among the free ones; none free: the least recently used reserved one.
      const pool = free.length ? free : idle;
      const score = ({ s }: { s: Slot }) => (free.length ? commonPrefix(s.prompt, prompt) : 0);
      pick = pool.reduce((best, c) => {
        const d = score(c) - score(best);
        return d > 0 || (d === 0 && c.s.lastUsed < best.s.lastUsed) ? c : best;
      }).i;
    }
    const slot = this.slots[pick]!;
    if (slot.owner !== undefined && slot.owner !== conversation) this.owned.delete(slot.owner);
    if (conversation !== undefined) {
      const before = this.owned.get(conversation);
      if (before !== undefined && before !== pick && this.slots[before]!.owner === conversation) this.slots[before]!.owner = undefined;
      this.owned.set(conversation, pick);
    }
    slot.owner = conversation;
    slot.busy = true;
    slot.lastUsed = now;
    return pick;
  }

  /** The call on `slot` ended; `prompt` is what the slot now holds (empty when unknown: the call failed). */
  release(slot: number, prompt: string): void {
    const s = this.slots[slot]!;
    s.busy = false;
    s.prompt = prompt;
    s.lastUsed = this.now();
  }

  /** The conversation sends nothing more: its slot is free for others, and keeps its prompt for their prefixes. */
  end(conversation: string): void {
    const i = this.owned.get(conversation);
    if (i === undefined) return;
    this.owned.delete(conversation);
    if (this.slots[i]!.owner === conversation) this.slots[i]!.owner = undefined;
  }

  /** The prompt a slot held when it was last released. */
  held(slot: number): string {
    return this.slots[slot]?.prompt ?? '';
  }

  /** For tests and the bench: owner and busy flag of each slot. */
  snapshot(): { owner?: string; busy: boolean }[] {
    return this.slots.map((s) => ({ owner: s.owner, busy: s.busy }));
  }
}

/** Length of the common prefix of two strings. */
export function commonPrefix(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  return i;
}

/** The prompt as the chat template lays it out: the system text, the tool definitions, then every other message. */
export function promptText(req: Pick<ModelRequest, 'messages' | 'tools'>): string {
  const [first, ...rest] = req.messages;
  const system = first?.role === 'system' ? [first] : [];
  const others = first?.role === 'system' ? rest : req.messages;
  const part = (m: (typeof req.messages)[number]) => `\u0000${m.role}\u0000${m.content ?? ''}${m.toolCalls?.length ? JSON.stringify(m.toolCalls) : ''}`;
  return [...system.map(part), req.tools?.length ? `\u0000tools\u0000${JSON.stringify(req.tools)}` : '', ...others.map(part)].join('');
}
