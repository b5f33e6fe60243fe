/**
 * ctoCollect: one query's CTO decision tree, collected durably (docs/cto.md).
 *
 *   root ── K Generator samples (generateTemplate, callKey cto:<q>:root:gen:<k>)
 *            └─ N Implementer samples each (implementAssignment, cto:<q>:g<k>:imp:<n>)
 *                 └─ the config runs as a child mas2Task (forced template and
 *                    assignment, branchOnTrigger). Completed → leaf, evaluated.
 *                    "branched" at s_t → M Rectifier samples (rectify,
 *                    cto:<q>:<node>:rec:<m>), each a child mas2Task that
 *                    resumes from that same s_t with its patch; it branches
 *                    again on the next trigger while depth < maxDepth, past it
 *                    the run's own Rectifier handles triggers.
 *
 * Children have deterministic ids (`<this id>--<node id>`), so a worker crash
 * replays into the same children and a collection restarted after its
 * workflow was terminated picks up the children that already completed.
 * Imports only mas/ and the workflow API.
 */
import { condition, continueAsNew, defineQuery, isCancellation, proxyActivities, setDefaultSignalHandler, setHandler, startChild, workflowInfo, ParentClosePolicy, WorkflowIdReusePolicy } from '@temporalio/workflow';
import type { Mas2Activities, MetaResult } from '../mas/contract';
import { NON_RETRYABLE_TYPES } from '../mas/contract';
import type { Assignment, MetaRole, Patch, Result, TaskInput, Template, Trigger } from '../mas/schemas';
import { ROOT_ID, assignCredit, childId, ctoCallKey, type CtoCarried, type CtoInput, type CtoNode, type CtoTree } from '../mas/cto';
import type { RunState } from '../mas/runState';
import { summariseState } from '../mas/summary';
import { recordRejected, type RejectedSignal } from '../mas/handlerInputs';
import { mas2Task } from './task';

export interface CtoProgress {
  queryId: string;
  metaCalls: number;
  runsStarted: number;
  runsDone: number;
  running: number;
  leaves: number;
  passed: number;
  done: boolean;
}

export const ctoProgressQuery = defineQuery<CtoProgress>('ctoProgress');

const retry = { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '20 seconds', nonRetryableErrorTypes: [...NON_RETRYABLE_TYPES] } as const;

const meta = proxyActivities<Mas2Activities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '10 seconds',
  retry: { ...retry, nonRetryableErrorTypes: [...retry.nonRetryableErrorTypes], maximumAttempts: 5 },
});
const evaluator = proxyActivities<Mas2Activities>({
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { ...retry, nonRetryableErrorTypes: [...retry.nonRetryableErrorTypes], maximumAttempts: 3 },
});
const lookup = proxyActivities<Mas2Activities>({
  startToCloseTimeout: '2 minutes',
  retry: { ...retry, nonRetryableErrorTypes: [...retry.nonRetryableErrorTypes], maximumAttempts: 3 },
});

/** At most `limit` holders; a released slot goes straight to the oldest waiter (plain promises: deterministic). */
export class Semaphore {
  private waiting: (() => void)[] = [];
  constructor(private free: number) {}

  async acquire(): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.free++;
  }

  async with<T>(fn: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await fn();
    } finally {
      this.release();
    }
  }
}

function errorText(e: unknown): string {
  const err = e as { message?: string; cause?: { message?: string } };
  return err.cause?.message ?? err.message ?? String(e);
}

/**
 * `input` is parsed by the caller (CtoInputSchema in mas/ctoSchemas.ts): workflow code carries no zod.
 * `carried` is the tree of the previous run when the collection continued as new.
 */
export async function ctoCollect(input: CtoInput, carried?: CtoCarried): Promise<CtoTree> {
  const info = workflowInfo();
  const { k, n, m, concurrency, maxDepth } = input.params;
  const slots = new Semaphore(concurrency);
  const nodes: Record<string, CtoNode> = carried?.nodes ?? {
    [ROOT_ID]: { id: ROOT_ID, parent: null, role: 'root', sample: 0, depth: 0, children: [] },
  };
  /** The meta-agents' values by node id (template, assignment, patch): carried across continue-as-new. */
  const values: Record<string, unknown> = carried?.values ?? {};
  const finished = Object.values(nodes).filter((x) => x.outcome);
  const progress: CtoProgress = {
    queryId: input.queryId,
    metaCalls: carried?.metaCalls ?? 0,
    runsStarted: 0,
    runsDone: 0,
    running: 0,
    leaves: finished.length,
    passed: finished.filter((x) => x.outcome!.pass).length,
    done: false,
  };
  setHandler(ctoProgressQuery, () => progress);
  // The collection takes no signals; whatever a client sends is recorded and ignored, never buffered without end.
  const rejectedSignals: RejectedSignal[] = carried?.rejectedSignals ?? [];
  let rejectedSignalCount = carried?.rejectedSignalCount ?? 0;
  setDefaultSignalHandler((name: string) => {
    rejectedSignalCount = recordRejected(rejectedSignals, rejectedSignalCount, { name, at: new Date().toISOString(), problem: `unknown signal "${name}" (ctoCollect handles no signals); ignored` });
  });

  // Continue-as-new: once Temporal suggests it (or the test knob says so), nothing new starts;
  // when the work in flight has finished, the tree so far goes to the next run, which walks it
  // again and only starts what is missing (finished children are re-attached by id).
  let inflight = 0;
  let itemsThisRun = 0;
  let draining = false;
  const shouldContinue = () => workflowInfo().continueAsNewSuggested || (input.continueAsNewAfter !== undefined && itemsThisRun >= input.continueAsNewAfter);
  async function work<T>(fn: () => Promise<T>): Promise<T> {
    if (!draining && shouldContinue()) draining = true;
    if (draining) await new Promise<never>(() => undefined); // this run ends by continuing as new
    inflight++;
    try {
      return await fn();
    } finally {
      inflight--;
    }
  }
  /** New work done in this run (re-attaching a finished child is not: the knob must not loop on re-attaches). */
  const did = () => itemsThisRun++;

  const baseOptions = input.options;
  const base = (): Omit<TaskInput, 'options'> => ({
    task: input.task,
    budgetUsd: input.budgetUsd,
    pool: input.pool,
    faults: input.faults,
    parentWorkflowId: info.workflowId,
  });
  const metaBase = (role: MetaRole, parentId: string, sample: number) => ({
    workflowId: info.workflowId,
    task: input.task,
    pool: input.pool,
    seed: baseOptions.seed,
    callKey: ctoCallKey(input.queryId, parentId, role, sample),
    allowModel: true,
  });

  const addChild = (parent: CtoNode, role: MetaRole, sample: number): CtoNode => {
    const existing = nodes[childId(parent.id, role, sample)];
    if (existing) return existing; // added by an earlier run of this collection
    const node: CtoNode = { id: childId(parent.id, role, sample), parent: parent.id, role, sample, depth: parent.depth + (role === 'rectifier' ? 1 : 0), children: [] };
    nodes[node.id] = node;
    parent.children.push(node.id);
    return node;
  };

  const decide = <T>(node: CtoNode, r: MetaResult<T>, callKey: string) => {
    progress.metaCalls++;
    did();
    node.decision = {
      output: r.decision.output,
      promptRef: r.decision.promptRef,
      source: r.decision.source,
      backbone: r.decision.backbone,
      rationale: r.decision.rationale,
      costUsd: r.decision.costUsd,
      callKey,
    };
  };

  /** Starts (or, after a restart, finds) the child run of a node; counts against the concurrency limit. */
  async function runChild(node: CtoNode, taskInput: TaskInput): Promise<Result> {
    const workflowId = `${info.workflowId}--${node.id}`;
    return slots.with(() => work(async () => {
      progress.runsStarted++;
      progress.running++;
      try {
        for (let attempt = 0; ; attempt++) {
          try {
            const handle = await startChild(mas2Task, {
              workflowId,
              args: [taskInput],
              parentClosePolicy: ParentClosePolicy.TERMINATE,
              // A completed child from an earlier (terminated) collection is reused, a failed one runs again.
              workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
              memo: { task: input.task.slice(0, 500), cto: input.queryId, node: node.id },
            });
            const result = await handle.result();
            did();
            return result;
          } catch (e) {
            if ((e as Error)?.name !== 'WorkflowExecutionAlreadyStartedError' || attempt >= 2) throw e;
            try {
              return await lookup.ctoRunResult({ workflowId });
            } catch (lookupError) {
              if (isCancellation(lookupError)) throw lookupError;
              // The earlier run did not complete (terminated with its old parent): start it again.
            }
          }
        }
      } finally {
        progress.running--;
        progress.runsDone++;
      }
    }));
  }

  async function leaf(node: CtoNode, r: Result): Promise<void> {
    let pass = false;
    let detail = '';
    if (r.status === 'completed') {
      try {
        const ev = await work(() => evaluator.evaluate({
          workflowId: r.workflowId,
          evaluator: input.evaluator,
          answer: r.answer,
          answerRef: r.answerRef,
          expected: input.expected,
          tests: input.tests,
          tolerance: input.tolerance,
        }));
        did();
        pass = ev.pass;
        detail = ev.detail;
      } catch (e) {
        if (isCancellation(e)) throw e;
        detail = `the evaluator failed: ${errorText(e)}`;
      }
    } else {
      detail = `run ended ${r.status}${r.reason ? `: ${r.reason}` : ''}`;
    }
    node.outcome = { pass, detail, runCostUsd: r.cost.usd };
    progress.leaves++;
    if (pass) progress.passed++;
  }

  /** Runs a node's child; a completed run makes it a leaf, a branched one gets M Rectifier samples. */
  async function expand(node: CtoNode, taskInput: TaskInput): Promise<void> {
    if (node.outcome) return; // a leaf finished by an earlier run of this collection
    let r: Result;
    try {
      r = await runChild(node, taskInput);
    } catch (e) {
      if (isCancellation(e)) throw e;
      node.run = { workflowId: `${info.workflowId}--${node.id}`, status: 'error', costUsd: 0, answer: null, reason: errorText(e) };
      node.outcome = { pass: false, detail: `the run failed: ${errorText(e)}`, runCostUsd: 0 };
      progress.leaves++;
      return;
    }
    node.run = { workflowId: r.workflowId, status: r.status, costUsd: r.cost.usd, answer: r.answer, answerRef: r.answerRef, reason: r.reason, trigger: r.branch?.trigger };
    if (r.status !== 'branched' || !r.branch) {
      await leaf(node, r);
      return;
    }
    const state = r.branch.state as RunState;
    const trigger = r.branch.trigger as Trigger;
    const samples = Array.from({ length: m }, (_, i) => addChild(node, 'rectifier', i));
    await Promise.all(samples.map((child) => rectifyBranch(child, node, state, trigger)));
  }

  async function rectifyBranch(child: CtoNode, parent: CtoNode, state: RunState, trigger: Trigger): Promise<void> {
    if (child.outcome || child.error) return;
    const callKey = ctoCallKey(input.queryId, parent.id, 'rectifier', child.sample);
    if (!(child.id in values)) {
      let rec;
      try {
        rec = await work(() =>
          meta.rectify({
            ...metaBase('rectifier', parent.id, child.sample),
            config: state.config!,
            trigger,
            state: summariseState(state.cost.usd, state.budgetUsd, state.outputs, state.steps, state.appliedPatches),
            finished: Object.keys(state.outputs),
            previousPatches: state.appliedPatches,
          }),
        );
      } catch (e) {
        if (isCancellation(e)) throw e;
        child.error = `Rectifier failed: ${errorText(e)}`;
        return;
      }
      decide(child, rec, callKey);
      values[child.id] = rec.value.patch;
      if (!rec.value.patch) {
        // No change can be made: the trajectory ends here, failed, at the cost spent up to s_t.
        child.outcome = { pass: false, detail: `no patch: ${rec.value.reason ?? 'the Rectifier proposed nothing'}`, runCostUsd: state.cost.usd };
        progress.leaves++;
        return;
      }
    }
    const patch = values[child.id] as Patch;
    await expand(child, {
      ...base(),
      options: { ...baseOptions, branchOnTrigger: child.depth < maxDepth },
      resume: { state, trigger, patch, rationale: patch.rationale },
    });
  }

  async function implement(gen: CtoNode, child: CtoNode, template: Template): Promise<void> {
    if (child.outcome || child.error) return;
    const callKey = ctoCallKey(input.queryId, gen.id, 'implementer', child.sample);
    if (!(child.id in values)) {
      let r;
      try {
        r = await work(() => meta.implementAssignment({ ...metaBase('implementer', gen.id, child.sample), template }));
      } catch (e) {
        if (isCancellation(e)) throw e;
        child.error = `Implementer failed: ${errorText(e)}`;
        return;
      }
      decide(child, r, callKey);
      values[child.id] = r.value.assignment;
    }
    await expand(child, {
      ...base(),
      options: { ...baseOptions, template, assignment: values[child.id] as Assignment, branchOnTrigger: maxDepth > 0 },
    });
  }

  async function generate(gen: CtoNode): Promise<void> {
    if (gen.error) return;
    const callKey = ctoCallKey(input.queryId, ROOT_ID, 'generator', gen.sample);
    if (!(gen.id in values)) {
      let r;
      try {
        r = await work(() => meta.generateTemplate(metaBase('generator', ROOT_ID, gen.sample)));
      } catch (e) {
        if (isCancellation(e)) throw e;
        gen.error = `Generator failed: ${errorText(e)}`;
        return;
      }
      decide(gen, r, callKey);
      values[gen.id] = r.value;
    }
    const template = values[gen.id] as Template;
    const samples = Array.from({ length: n }, (_, i) => addChild(gen, 'implementer', i));
    await Promise.all(samples.map((child) => implement(gen, child, template)));
  }

  const root = nodes[ROOT_ID];
  const gens = Array.from({ length: k }, (_, i) => addChild(root, 'generator', i));
  const outcome = await Promise.race([
    Promise.all(gens.map(generate)).then(() => 'done' as const),
    condition(() => draining && inflight === 0).then(() => 'continue' as const),
  ]);
  const continuedAsNew = carried?.continuedAsNew ?? 0;
  if (outcome === 'continue') {
    await continueAsNew<typeof ctoCollect>(input, { nodes, values, metaCalls: progress.metaCalls, rejectedSignals, rejectedSignalCount, continuedAsNew: continuedAsNew + 1 });
  }

  const tree = assignCredit({
    queryId: input.queryId,
    task: input.task,
    workflowId: info.workflowId,
    evaluator: input.evaluator,
    params: input.params,
    root: ROOT_ID,
    nodes,
  });
  progress.done = true;
  return { ...tree, ...(continuedAsNew ? { continuedAsNew } : {}), ...(rejectedSignalCount ? { rejectedSignals, rejectedSignalCount } : {}) };
}
