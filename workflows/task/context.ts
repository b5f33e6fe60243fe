/**
 * RunContext: the one object every part of a task run shares — the run state s_t, the input,
 * the set of agents running now and the wake counter the scheduler waits on — with the small
 * helpers that record steps and pay for meta calls. It holds no logic of its own.
 */
import { upsertSearchAttributes, type WorkflowInfo } from '@temporalio/workflow';
import type { MetaDecision, MetaRole, Step, TaskInput, Usage } from '../../mas/schemas';
import { addCall, metaCallEstimate } from '../../mas/cost';
import { metaBackbone } from '../../mas/pool';
import { toolNamesOf } from '../../mas/tools';
import type { RunState } from '../../mas/runState';

export class RunContext {
  readonly opts: TaskInput['options'];
  readonly pool: TaskInput['pool'];
  /** The run's tool catalogue (absent in runs started before catalogues: the built-ins). */
  readonly knownTools: ReturnType<typeof toolNamesOf>;
  /** Agents whose turn loop is in flight. */
  readonly running = new Set<string>();
  /** Bumped by anything the scheduler should wake up for (a signal, an update, an agent ending). */
  wake = 0;
  /** What the model calls in flight may still cost, by call key (mas/cost.ts callReservation). */
  readonly reservations = new Map<string, number>();

  constructor(
    readonly s: RunState,
    readonly input: TaskInput,
    readonly info: WorkflowInfo,
  ) {
    this.opts = input.options;
    this.pool = input.pool;
    this.knownTools = toolNamesOf(input.tools);
  }

  setSearch(): void {
    const { s, input } = this;
    if (this.opts.searchAttributes) upsertSearchAttributes({ Mas2Status: [s.status], Mas2CostUsd: [s.cost.usd], Mas2Task: [input.task.slice(0, 200)] });
  }

  finish(status: RunState['status'], reason?: string): void {
    const s = this.s;
    if (s.status !== 'running') return;
    s.status = status;
    s.reason = reason;
  }

  record(step: Omit<Step, 'configVersion'>): number {
    const s = this.s;
    s.steps.push({ ...step, configVersion: s.config?.version ?? 0 });
    return s.steps.length - 1;
  }

  nextIndex(table: Record<string, number>, key: string): number {
    const n = table[key] ?? 0;
    table[key] = n + 1;
    return n;
  }

  private reserved(): number {
    let usd = 0;
    for (const r of this.reservations.values()) usd += r;
    return usd;
  }

  /** What the budget still leaves once the calls in flight are paid for at their worst. */
  left(): number {
    return this.s.budgetUsd - this.s.cost.usd - this.reserved();
  }

  room(usd: number): boolean {
    return this.s.cost.usd + this.reserved() + usd <= this.s.budgetUsd;
  }

  payMeta(role: MetaRole, backbone: string, usage: Usage, decision: MetaDecision, attempts: number, durationMs: number): void {
    const s = this.s;
    s.cost = addCall(s.cost, backbone, usage, decision.costUsd, role);
    s.decisions.push(decision);
    this.record({ agent: role, backbone, kind: 'meta', name: role, callIndex: this.nextIndex(s.counters.metaIndex, role), status: 'completed', attempts, usage, costUsd: decision.costUsd, durationMs });
  }

  metaBase(role: MetaRole) {
    const { s, input, pool } = this;
    return {
      workflowId: this.info.workflowId,
      task: input.task,
      pool,
      seed: this.opts.seed,
      callKey: `${role}:${s.counters.metaIndex[role] ?? 0}`,
      allowModel: this.room(metaCallEstimate(input.task, metaBackbone(pool, role), role)),
      maxCostUsd: this.left(),
      ...(input.tools ? { tools: input.tools } : {}),
      ...(input.metaExemplars?.[role]?.length ? { exemplars: input.metaExemplars[role] } : {}),
    };
  }
}
