/**
 * The rule each meta-agent falls back on when its model cannot help: the answer is unusable
 * after the repair round, the budget leaves no room for the call, or the activity itself
 * fails. One rule per meta-agent, called by the activity (activities/meta.ts) and by the
 * workflow (workflows/task/design.ts, rectify.ts) alike, so a run gets the same design
 * whichever way the meta-agent failed.
 */
import type { Assignment, BlueprintChoice, Config, Patch, PatchOp, Pool, Template, Trigger } from './schemas';
import { TRIGGERS } from './triggers';
import { applyPatch, samePatch } from './patch';
import { strongestBackbone } from './pool';
import { classifyTask, type TaskKind } from './templates';
import { ANSWER_OF_TASK_KIND, expandChoice, type BlueprintId } from './blueprints';

/** A fallback's value and the rationale recorded with the decision. */
export interface Fallback<T> {
  value: T;
  rationale: string;
}

/**
 * What the Generator falls back on for each kind of task: a blueprint whose correctness comes
 * from execution, never from a small model's opinion. Math: `program` (program-of-thought, the
 * printed result of one program whose errors go back to it: one call when it runs first time,
 * where a vote would pay k). Code: `code-tests` (CodeT-style: k candidates chosen by the task's
 * examples, the tester's asserts, then agreement — no single weak coder or reviewer decides).
 * Anything else: `single`, one agent (the cheapest; a short question needs no team).
 */
export const FALLBACK_BLUEPRINT: Record<TaskKind, BlueprintId> = { code: 'code-tests', math: 'program', qa: 'single' };

/** The Generator's fallback: the team and the catalogue choice it was built from (the decision records the choice). */
export interface GeneratorFallback extends Fallback<Template> {
  choice: BlueprintChoice;
}

/**
 * Generator: the blueprint for the task's kind, expanded with only the tools that can work
 * (a blueprint that needs the sandbox is built without it when python cannot run).
 * The workflow cannot look at the documents folder, so when it falls back itself it passes the
 * tools without `search`; the activity knows and passes what is usable.
 */
export function generatorFallback(task: string, usableTools: readonly string[], why: string): GeneratorFallback {
  const kind = classifyTask(task);
  const choice: BlueprintChoice = { answer: ANSWER_OF_TASK_KIND[kind], blueprint: FALLBACK_BLUEPRINT[kind], rationale: `fallback for a ${kind} task` };
  const x = expandChoice(choice.blueprint, choice, usableTools);
  const built = x.built === choice.blueprint ? '' : ` (built as "${x.built}")`;
  const notes = x.notes.length ? `; ${x.notes.join('; ')}` : '';
  return { value: x.template, choice, rationale: `${why}; blueprint "${choice.blueprint}"${built} for a ${kind} task by rule${notes}.` };
}

/**
 * Implementer: every agent the model did not place goes on the pool's strongest backbone.
 * Not the pool default, and not the cheapest: on the local pool a weak Implementer's missing
 * choice put solvers on the 0.5B, which got 12*13 wrong, while the same team on the 1.5B
 * answered right. Spending stays bounded without this rule: the projected-budget trigger
 * moves agents to cheaper backbones before an overrun, and the hard guard stops the run.
 * `chosen` keeps what the model did choose when it left agents out.
 */
export function implementerFallback(template: Template, pool: Pool, why: string, chosen: Assignment = {}): Fallback<Assignment> {
  const strongest = strongestBackbone(pool).id;
  const value = Object.fromEntries(template.agents.map((a) => [a.id, chosen[a.id] ?? strongest]));
  const ruled = template.agents.filter((a) => !chosen[a.id]).map((a) => a.id);
  const who = ruled.length === template.agents.length ? 'every agent' : ruled.join(', ');
  return { value, rationale: `${why}; ${who} on the strongest backbone ${strongest} by rule.` };
}

/** The trigger kind's rule-based patches (mas/triggers/), the first one not applied before; null when none applies. */
export function fallbackPatch(config: Config, pool: Pool, trigger: Trigger, finished: ReadonlySet<string>, avoid: readonly PatchOp[][] = []): Patch | null {
  const candidates = TRIGGERS[trigger.kind].patches({ config, pool, trigger, finished });
  return candidates.find((c) => !avoid.some((ops) => samePatch(ops, c.ops))) ?? null;
}

export interface RectifierFallbackInput {
  config: Config;
  pool: Pool;
  trigger: Trigger;
  finished: ReadonlySet<string>;
  previousPatches: readonly PatchOp[][];
  /** The tools agents may be given (the patch is dry-run against them). */
  tools: readonly string[];
}

/**
 * Rectifier: the rule-based patch for the trigger, dry-run on M_t so an inapplicable rule
 * counts as none. `reason` says why there is no patch.
 */
export function rectifierFallback(input: RectifierFallbackInput, why: string): { patch: Patch | null; rationale: string; reason?: string } {
  const patch = fallbackPatch(input.config, input.pool, input.trigger, input.finished, input.previousPatches);
  if (patch) {
    try {
      applyPatch(input.config, patch, input.pool, input.tools);
      return { patch, rationale: `${why}; rule-based fallback: ${patch.rationale}` };
    } catch {
      /* an inapplicable rule is no rule */
    }
  }
  return { patch: null, rationale: why, reason: `${why}; no rule-based fallback applies` };
}
