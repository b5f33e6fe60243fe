/**
 * projectHistory: folds the histories of a continue-as-new chain (oldest run
 * first) into the audit document. Pure: no I/O, deterministic for the same
 * events. The per-activity reducers are in steps.ts.
 */
import { ConfigSchema, StorageFaultSchema, type Config, type MetaRole, type Pool, type Template } from '../../../mas/schemas';
import { gather, iso, type RunHistory } from '../history';
import type { Audit } from '../schemas';
import { createContext, type Context, type ProjectOptions } from './context';
import { projectGenerator, projectImplementer } from './design';
import { reduceBranchStart } from './rectifications';
import { reduceActivity, type Projection } from './steps';
import { finalBudget, projectStatus, projectTotals } from './totals';
import { ConfigHistory } from './versions';
import { metaValidity } from '../../../mas/answer';

export type { ProjectOptions } from './context';

export function projectHistory(runs: RunHistory[], opts: ProjectOptions = {}): Audit {
  const c = createContext(gather(runs), opts);
  const generator = projectGenerator(c);
  const implementer = projectImplementer(c, generator);
  const h = new ConfigHistory(c, generator, implementer);
  const p: Projection = { c, h, generator, implementer, steps: [], rectifications: [] };

  if (c.input.resume) reduceBranchStart(p);
  // A run that continues as new carries its config: it is v-something when the earlier history is gone.
  let runSeen = -1;
  const onRunStart = (run: number) => {
    for (let r = runSeen + 1; r <= run; r++) {
      const carried = c.g.runs[r].args[1] as { config?: unknown } | undefined;
      if (!carried) continue;
      const parsed = ConfigSchema.safeParse(carried.config);
      if (!h.current && parsed.success) h.adopt(parsed.data, 'design', `v${parsed.data.version} · carried into run ${r + 1}`);
    }
    runSeen = run;
  };
  for (const a of c.ordered) {
    onRunStart(a.run);
    reduceActivity(p, a);
  }
  onRunStart(c.g.runs.length - 1);
  closeDesign(p);
  addNotes(p);

  const { status, reason } = projectStatus(c);
  const resumedAfter = c.state?.resumedAfter ?? savedFault(c.input.resume?.state);
  return {
    workflowId: c.workflowId,
    status,
    reason,
    ...(c.finalResult?.storageFault ? { storageFault: c.finalResult.storageFault } : {}),
    ...(resumedAfter?.length ? { resumedAfter } : {}),
    task: c.input.task ?? '',
    budgetUsd: c.input.budgetUsd ?? 0,
    finalBudgetUsd: finalBudget(c),
    options: shownOptions(c),
    faults: (c.input.faults ?? []) as Audit['faults'],
    simulated: (c.pool?.backbones ?? []).some((b) => b.provider === 'sim'),
    parentWorkflowId: c.input.parentWorkflowId,
    ...(c.input.metaPolicy ? { metaPolicy: { ...c.input.metaPolicy, ...(c.pool?.metaAdapters ? { adapters: metaAdapterFiles(c.pool.metaAdapters) } : {}) } } : {}),
    pool: (c.pool?.backbones ?? []).map((b) => ({ id: b.id, provider: b.provider, model: b.model, inputPerM: b.pricing.inputPerM, outputPerM: b.pricing.outputPerM })),
    runs: c.g.runs.map((r) => ({
      runId: r.runId,
      startedAt: r.startedAt !== undefined ? iso(r.startedAt) : undefined,
      closedAt: r.closedAt !== undefined ? iso(r.closedAt) : undefined,
      end: r.end,
      reason: r.reason,
      events: r.events,
      carriedSteps: Array.isArray((r.args[1] as { steps?: unknown[] } | undefined)?.steps) ? (r.args[1] as { steps: unknown[] }).steps.length : undefined,
    })),
    generator,
    implementer,
    rectifications: p.rectifications,
    versions: h.versions,
    steps: p.steps,
    signals: c.g.signals,
    updates: c.g.updates,
    cancelRequests: c.g.cancels,
    totals: projectTotals(c, p.steps, p.rectifications),
    result: c.state
      ? { status: c.state.status, answer: c.state.answer ?? null, answerRef: c.state.answerRef, reason: c.state.reason, costUsd: c.state.cost?.usd ?? 0, steps: c.state.steps?.length ?? 0, live: !c.finalResult }
      : null,
    metaValidity: c.state?.decisions ? metaValidity(c.state.decisions) : undefined,
    notes: c.notes,
  };
}

/** The fault a resume started after, from the saved state in the task input (while the run has no result yet). */
function savedFault(state: unknown): Audit['resumedAfter'] {
  const s = state as { storageFault?: unknown; resumedAfter?: unknown[] } | undefined;
  const all = [...(s?.resumedAfter ?? []), ...(s?.storageFault ? [s.storageFault] : [])];
  const parsed = all.map((f) => StorageFaultSchema.safeParse(f)).filter((r) => r.success).map((r) => r.data!);
  return parsed.length ? parsed : undefined;
}

/** Design done without any activity after it (e.g. forced design, then cancelled right away), or only known from the result document. */
function closeDesign({ c, h }: Projection): void {
  const { implAct, genAct, options, state } = c;
  const designDone =
    (implAct?.outcome !== undefined || (!implAct && (options.assignment || options.implementer === false))) &&
    (genAct?.outcome !== undefined || (!genAct && (options.template || options.generator === false)));
  if (!h.current && (designDone || state?.config)) h.ensureV1();
  if (!h.current && state?.config) h.adopt(state.config, 'design', `v${state.config.version} · from the result document`);
  const current = h.current as Config | null;
  if (state?.config && current && current.version !== state.config.version) {
    c.notes.push(`the projection ends at config v${current.version} but the result document is at v${state.config.version}`);
  }
}

function addNotes({ c, generator, implementer, rectifications }: Projection): void {
  if (!generator.fromMetaAgent && generator.template) c.notes.push(`the template is not from a meta-agent (${generator.source}; from ${generator.evidence})`);
  if (!implementer.fromMetaAgent && implementer.assignment) c.notes.push(`the assignment is not from a meta-agent (${implementer.source}; from ${implementer.evidence})`);
  const rectFailed = rectifications.filter((r) => r.error !== undefined).length;
  if (rectFailed) {
    c.notes.push(
      `${rectFailed} Rectifier activit${rectFailed === 1 ? 'y' : 'ies'} failed; the workflow fell back to its rules and records no step for that call, so the audit has ${rectFailed} step(s) more than the result document`,
    );
  }
}

function shownOptions(c: Context): Record<string, unknown> {
  const shown: Record<string, unknown> = { ...(c.options as Record<string, unknown>) };
  if (shown.template) shown.template = `(${(c.options.template as Template).agents.length} agents, given by the caller)`;
  return shown;
}

/** The adapter file each meta-agent role applied. */
function metaAdapterFiles(adapters: NonNullable<Pool['metaAdapters']>): Partial<Record<MetaRole, string>> {
  return Object.fromEntries(Object.entries(adapters).map(([role, l]) => [role, l!.adapters[l!.apply]]));
}
