/**
 * `mas2 resume ID`: a run that stopped on a storage fault goes on from its
 * saved state s_t, as a new execution under the same workflow id, once the
 * content is back — or, with `rederive`, after dropping what depended on
 * content that cannot be restored, so it is computed again.
 * mas/storageFault.ts has the rule; docs/operations.md the decision.
 */
import { WorkflowIdReusePolicy, defaultPayloadConverter } from '@temporalio/common';
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { Result, StorageFault, TaskInput } from '../mas/schemas';
import type { RunState } from '../mas/runState';
import { refsOfState, rederive } from '../mas/storageFault';
import { isBlobFault, type BlobStore } from '../activities/blobStore';
import { mas2Task } from '../workflows';
import { UserError } from './errors';
import { describeRun, startOrAttach } from './runs';

export interface ResumeOptions {
  /** Where the run's content lives (the workers' store). */
  blobs: BlobStore & { where?: string };
  /** Drop outputs and conversations whose content is still missing or corrupted, and compute them again. */
  rederive?: boolean;
}

export interface Resumed {
  handle: WorkflowHandle<typeof mas2Task>;
  /** Set when an earlier resume of the same run is still running: this call attached to it. */
  attached: boolean;
  fault: StorageFault;
  /** What `rederive` dropped to be computed again. */
  dropped: string[];
}

/** The refs of the saved state that still cannot be read, with why. */
async function unreadable(refs: string[], blobs: BlobStore): Promise<Map<string, string>> {
  const bad = new Map<string, string>();
  await Promise.all(
    refs.map(async (ref) => {
      try {
        await blobs.get(ref);
      } catch (e) {
        if (isBlobFault(e) && e.kind === 'unavailable') throw new UserError(`cannot check the saved state: ${e.message}`);
        bad.set(ref, isBlobFault(e) ? e.kind : (e as Error).message);
      }
    }),
  );
  return bad;
}

export async function resumeRun(client: Client, workflowId: string, opts: ResumeOptions): Promise<Resumed> {
  const { handle, desc } = await describeRun(client, workflowId);
  if (desc.status.name === 'RUNNING') throw new UserError(`run ${workflowId} is running; only a run that stopped on a storage fault can be resumed`);
  if (desc.status.name !== 'COMPLETED') throw new UserError(`run ${workflowId} ended as ${desc.status.name.toLowerCase()}, not on a storage fault; there is nothing to resume`);
  const result = (await handle.result()) as Result;
  if (!result.storageFault || !result.resumeFrom) {
    throw new UserError(`run ${workflowId} ended ${result.status}${result.reason ? ` (${result.reason.slice(0, 120)})` : ''}, not on a storage fault; there is nothing to resume`);
  }
  let state = result.resumeFrom as RunState;
  const bad = await unreadable(refsOfState(state), opts.blobs);
  let dropped: string[] = [];
  if (bad.size && !opts.rederive) {
    const [ref, why] = [...bad.entries()][0];
    throw new UserError(
      `${bad.size} blob(s) the saved state needs still cannot be read from ${opts.blobs.where ?? 'the blob store'} (first: ${ref}, ${why}); restore them, or run \`mas2 resume ${workflowId} --rederive\` to compute what depends on them again`,
    );
  }
  if (bad.size) ({ state, dropped } = rederive(state, new Set(bad.keys())));

  const history = await handle.fetchHistory();
  const started = history.events?.find((e) => e.workflowExecutionStartedEventAttributes)?.workflowExecutionStartedEventAttributes;
  const payload = started?.input?.payloads?.[0];
  if (!payload) throw new UserError(`run ${workflowId}: its history has no task input to resume with`);
  const input = defaultPayloadConverter.fromPayload(payload) as TaskInput;
  const fault = result.storageFault;
  const next: TaskInput = {
    ...input,
    resume: { state, rationale: `resumed after a storage fault: blob ${fault.ref} ${fault.kind} (agent ${fault.agent}, step ${fault.step})${dropped.length ? `; computed again: ${dropped.join(', ')}` : ''}` },
  };
  const { handle: resumed, attached } = await startOrAttach(client, mas2Task, {
    workflowId,
    taskQueue: desc.taskQueue,
    args: [next],
    memo: { task: input.task.slice(0, 500), budgetUsd: input.budgetUsd },
    attachTo: (status) => status === 'RUNNING',
    reusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
  });
  return { handle: resumed, attached, fault, dropped };
}
