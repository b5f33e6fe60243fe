/** external: an operator asked for a change (the `rectify` signal, `mas2 rectify`). */
import type { PatchOp } from '../schemas';
import { cheaperOps } from './shared';
import { endsFailed, type TriggerDescriptor } from './types';

export const external: TriggerDescriptor = {
  priority: 2,
  once: null,
  noun: 'an operator request',
  rectifierHint: "Do what the operator asked, with the smallest change that does it.",
  fromSignal: (reason) => ({ kind: 'external', detail: reason }),
  // Past the rectification cap a request is declined and the run goes on.
  unfixable: (t, u) => (u.cause === 'cap reached' ? null : endsFailed(t, u)),
  /** The request goes into the instructions of every agent still to run (and the final one's); a request about cost also moves them to the cheapest backbone. */
  patches({ config, pool, trigger, finished }) {
    const ops: PatchOp[] = config.template.agents
      .filter((a) => !finished.has(a.id) || a.id === config.template.finalAgent)
      .map((a) => ({ op: 'set_instructions' as const, agent: a.id, instructions: `${a.instructions}\nOperator note: ${trigger.detail}` }));
    if (/cheap|budget|cost/i.test(trigger.detail)) ops.push(...cheaperOps(config, pool, finished));
    return ops.length ? [{ scope: 'local', ops, rationale: `Apply the operator's request: ${trigger.detail}` }] : [];
  },
};
