/**
 * Storage faults: the blob store lost, corrupted or could not serve content a
 * run needs. That is neither a model's failure nor a tool's: moving an agent
 * to another backbone cannot bring content back, so it never fires the
 * Rectifier. The activity retries it with backoff inside its retry policy
 * (the content may come back: a remounted share, a restarted database); when
 * it persists, the run ends `failed` with the fault named (which blob, missing
 * or corrupted, which agent and step) and its state s_t saved in the result,
 * and `mas2 resume` continues it from there once the content is back, or
 * recomputes what depended on the lost content (`--rederive`).
 * docs/operations.md has the decision.
 */
import type { RunState } from './runState';
import type { StorageFault } from './schemas';

export type { StorageFault } from './schemas';

/** The activity failure type of a storage fault (retried, unlike the FAILURE_TYPES). */
export const STORAGE_FAULT_TYPE = 'StorageFault';

/** What a storage-fault failure carries in its details. */
export interface StorageFaultDetails {
  kind: StorageFault['kind'];
  ref: string;
  where: string;
}

export function isStorageFaultDetails(d: unknown): d is StorageFaultDetails {
  const x = d as Partial<StorageFaultDetails> | null;
  return typeof x === 'object' && x !== null && (x.kind === 'missing' || x.kind === 'corrupted' || x.kind === 'unavailable') && typeof x.ref === 'string' && typeof x.where === 'string';
}

/** The run's reason line when it stops on a fault. */
export function storageFaultReason(f: StorageFault, workflowId: string): string {
  const what =
    f.kind === 'missing' ? `blob ${f.ref} is missing from ${f.where}` : f.kind === 'corrupted' ? `blob ${f.ref} in ${f.where} is corrupted (it does not match its hash)` : `the blob store ${f.where} is unavailable`;
  return (
    `storage fault, not a model or tool failure: ${what} (agent ${f.agent}, step ${f.step}). ` +
    `The state is saved: restore the content and run \`mas2 resume ${workflowId}\`, or \`mas2 resume ${workflowId} --rederive\` to recompute what depended on it`
  );
}

/** Every blob reference the saved state needs to go on: finished outputs, conversations in progress, feedback. */
export function refsOfState(s: Pick<RunState, 'outputs' | 'partial' | 'feedback'>): string[] {
  const refs = new Set<string>();
  for (const o of Object.values(s.outputs)) refs.add(o.ref);
  for (const p of Object.values(s.partial)) for (const r of p.conversation) refs.add(r);
  for (const r of Object.values(s.feedback)) refs.add(r);
  return [...refs];
}

/**
 * The state with everything that depended on unreadable content dropped, so it is computed
 * again: an output whose text is gone (its agent runs again), a conversation in progress
 * that holds a lost message (the agent starts its turn over), lost feedback.
 */
export function rederive(s: RunState, bad: ReadonlySet<string>): { state: RunState; dropped: string[] } {
  const dropped: string[] = [];
  const outputs = Object.fromEntries(
    Object.entries(s.outputs).filter(([id, o]) => {
      if (!bad.has(o.ref)) return true;
      dropped.push(`output of ${id}`);
      return false;
    }),
  );
  const partial = Object.fromEntries(
    Object.entries(s.partial).filter(([id, p]) => {
      if (!p.conversation.some((r) => bad.has(r))) return true;
      dropped.push(`conversation of ${id}`);
      return false;
    }),
  );
  const feedback = Object.fromEntries(
    Object.entries(s.feedback).filter(([id, r]) => {
      if (!bad.has(r)) return true;
      dropped.push(`feedback for ${id}`);
      return false;
    }),
  );
  return { state: { ...s, outputs, partial, feedback }, dropped };
}
