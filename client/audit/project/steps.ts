/**
 * One reducer per activity kind: each turns a closed (or open) activity into
 * its audit step and whatever else it decides (v1, a rectification). New
 * activity kinds, or new facts about one, go in their own reducer here.
 */
import type { CallModelInput, CallModelOutput, CodeCheckInput, CodeCheckOutput, MetaResult, RunCodeInput, RunCodeOutput, RunToolInput, RunToolOutput } from '../../../mas/contract';
import type { Config } from '../../../mas/schemas';
import { iso, type Activity } from '../history';
import type { Audit, AuditStep, RectificationAudit } from '../schemas';
import type { Context, MetaRole } from './context';
import { reduceRectification } from './rectifications';
import type { ConfigHistory } from './versions';

/** The projection's accumulating state, shared by the reducers. */
export interface Projection {
  c: Context;
  h: ConfigHistory;
  generator: Audit['generator'];
  implementer: Audit['implementer'];
  steps: AuditStep[];
  rectifications: RectificationAudit[];
}

/** The step fields every activity has, whatever its kind. */
export type StepBase = Omit<AuditStep, 'agent' | 'kind' | 'configVersion'>;
export type ActivityReducer = (p: Projection, a: Activity, base: StepBase) => void;

export function stepBase(p: Projection, a: Activity): StepBase {
  return {
    index: p.steps.length,
    run: a.run,
    activity: a.type,
    status: (a.outcome ?? (a.cancelRequested || p.c.g.runs[a.run].end !== 'running' ? 'cancelled' : 'running')) as AuditStep['status'],
    attempts: a.attempt ?? (a.outcome ? 1 : 0),
    inputTokens: 0,
    outputTokens: 0,
    costUsd: 0,
    durationMs: a.closedAt !== undefined && a.scheduledAt !== undefined ? a.closedAt - a.scheduledAt : null,
    scheduledAt: iso(a.scheduledAt),
    startedAt: a.startedAt !== undefined ? iso(a.startedAt) : undefined,
    closedAt: a.closedAt !== undefined ? iso(a.closedAt) : undefined,
    error: a.failure?.message,
    errorType: a.failure?.type,
    retryState: a.failure?.retryState,
  };
}

const version = (p: Projection) => (p.h.current as Config | null)?.version ?? 0;

function pushMetaStep(p: Projection, role: MetaRole, a: Activity, base: StepBase): void {
  const r = a.outcome === 'completed' ? (a.result as MetaResult<unknown>) : undefined;
  p.steps.push({
    ...base,
    agent: role,
    kind: 'meta',
    name: role,
    backbone: r?.backbone ?? p.c.metaBackboneId(role),
    callKey: (a.input as { callKey?: string } | undefined)?.callKey,
    inputTokens: r?.usage?.inputTokens ?? 0,
    outputTokens: r?.usage?.outputTokens ?? 0,
    costUsd: r?.decision?.costUsd ?? 0,
    reportedMs: r?.durationMs,
    configVersion: version(p),
  });
}

const generateTemplate: ActivityReducer = (p, a, base) => pushMetaStep(p, 'generator', a, base);

const implementAssignment: ActivityReducer = (p, a, base) => {
  pushMetaStep(p, 'implementer', a, base);
  if (a.outcome) p.h.ensureV1();
};

const rectify: ActivityReducer = (p, a, base) => {
  p.h.ensureV1();
  pushMetaStep(p, 'rectifier', a, base);
  reduceRectification(p, a, base);
};

const callModel: ActivityReducer = (p, a, base) => {
  p.h.ensureV1();
  const inp = a.input as CallModelInput;
  const out = a.outcome === 'completed' ? (a.result as CallModelOutput) : undefined;
  p.steps.push({
    ...base,
    agent: inp?.agent?.id ?? '?',
    kind: 'llm',
    // Histories recorded before the call carried the whole backbone have only its id.
    backbone: inp?.backbone?.id ?? (inp as { backboneId?: string } | undefined)?.backboneId,
    callKey: inp?.callKey,
    inputTokens: out?.usage?.inputTokens ?? 0,
    outputTokens: out?.usage?.outputTokens ?? 0,
    costUsd: out?.costUsd ?? 0,
    reportedMs: out?.durationMs,
    configVersion: version(p),
  });
};

/** A tool step of an agent: a tool call, or the executable check of a verifier's verdict. */
function pushToolStep(p: Projection, base: StepBase, t: { agent?: string; name?: string; callKey?: string; reportedMs?: number; failedOutput?: string }): void {
  p.h.ensureV1();
  p.steps.push({
    ...base,
    agent: t.agent ?? '?',
    kind: 'tool',
    name: t.name,
    backbone: (p.h.current as Config | null)?.assignment[t.agent ?? ''],
    callKey: t.callKey,
    reportedMs: t.reportedMs,
    configVersion: version(p),
    error: base.error ?? t.failedOutput,
  });
}

const runTool: ActivityReducer = (p, a, base) => {
  const inp = a.input as RunToolInput;
  const out = a.outcome === 'completed' ? (a.result as RunToolOutput) : undefined;
  pushToolStep(p, base, { agent: inp?.agent, name: inp?.call?.name, callKey: inp?.callKey, reportedMs: out?.durationMs, failedOutput: out && !out.ok ? out.preview : undefined });
};

/** The executable check of a verifier's verdict: a python step of that agent, when there was code to run. */
const checkCode: ActivityReducer = (p, a, base) => {
  const inp = a.input as CodeCheckInput;
  const out = a.outcome === 'completed' ? (a.result as CodeCheckOutput) : undefined;
  if (out && !out.checked) return; // nothing to run: the workflow records no step either
  pushToolStep(p, base, { agent: inp?.agent, name: 'python', callKey: inp?.callKey, reportedMs: out?.durationMs, failedOutput: out && out.ok === false ? out.runPreview : undefined });
};

/** An operator's sandbox run (a programmer's program, a candidate or a producer's code on its tests): a python step of that agent. */
const runCode: ActivityReducer = (p, a, base) => {
  const inp = a.input as RunCodeInput;
  const out = a.outcome === 'completed' ? (a.result as RunCodeOutput) : undefined;
  pushToolStep(p, base, { agent: inp?.agent, name: 'python', callKey: inp?.callKey, reportedMs: out?.durationMs, failedOutput: out && !out.ok ? out.detail : undefined });
};

const unknownActivity: ActivityReducer = (p, a, base) => {
  p.h.ensureV1();
  p.steps.push({ ...base, agent: '?', kind: 'llm', callKey: (a.input as { callKey?: string } | undefined)?.callKey, configVersion: version(p) });
  p.c.notes.push(`activity type "${a.type}" is not part of the mas2 contract; shown as a step`);
};

export const ACTIVITY_REDUCERS: Record<string, ActivityReducer> = { generateTemplate, implementAssignment, rectify, callModel, runTool, checkCode, runCode };

export function reduceActivity(p: Projection, a: Activity): void {
  (ACTIVITY_REDUCERS[a.type] ?? unknownActivity)(p, a, stepBase(p, a));
}
