/**
 * What a person sees of a run while it goes on. In the Temporal Web UI: a
 * one-line summary per activity (`coder · model call 2 on qwen-1.5b`), the
 * workflow's static summary/details (task and budget, set at start) and its
 * current details (the live team and progress, as markdown). On a terminal
 * (client/progressDisplay.ts): who is working on which model, tokens so far,
 * and the answer as soon as the final agent has one. Pure and zod-free: the
 * workflow interceptor (workflows/interceptors.ts) and the client both use it.
 */
import type { CallModelInput, CodeCheckInput, GenerateInput, ImplementInput, RectifyInput, RunToolInput } from './contract';
import type { Pool, Result, TaskInput } from './schemas';
import { formatUsd } from './cost';
import { metaBackbone } from './pool';
import { predecessors } from './graph';
import { answerSource } from './answer';

/** `$0.01 of $1` would be typeset as math by the UI's markdown renderer: amounts as `0.01 USD`. */
const usd = (n: number) => `${formatUsd(n).replace('$', '')} USD`;

/** Activity header carrying the config version the call runs under (for `mas2.config_version` on spans). */
export const CONFIG_VERSION_HEADER = 'mas2-config-version';

const MAX_SUMMARY = 200;
const oneLine = (s: string, n = MAX_SUMMARY) => {
  const line = s.replace(/\s+/g, ' ').trim();
  return line.length > n ? line.slice(0, n - 1) + '…' : line;
};

/** `agent:llm:2` → 2 (0-based call index in the agent's turn loop). */
function callIndex(callKey: string | undefined): number | undefined {
  const n = Number(callKey?.split(':').pop());
  return Number.isInteger(n) ? n : undefined;
}

/** The UI summary of one activity, from its input; undefined for activity types mas2 does not know. */
export function activitySummary(type: string, input: unknown): string | undefined {
  // Never throw here: this runs in the workflow interceptor, where a throw fails the workflow task.
  const arg = (input && typeof input === 'object' ? input : {}) as Record<string, unknown>;
  switch (type) {
    case 'callModel': {
      const a = arg as Partial<CallModelInput>;
      const n = callIndex(a.callKey);
      return oneLine(`${a.agent?.id ?? '?'} · model call${n !== undefined ? ` ${n + 1}` : ''} on ${a.backbone?.id ?? '?'}`);
    }
    case 'runTool': {
      const a = arg as Partial<RunToolInput>;
      return oneLine(`${a.agent ?? '?'} · ${a.call?.name ?? 'tool'}`);
    }
    case 'checkCode': {
      const a = arg as Partial<CodeCheckInput>;
      return oneLine(`${a.agent ?? '?'} · executable check (python)`);
    }
    case 'generateTemplate': {
      const a = arg as Partial<GenerateInput>;
      return oneLine(`generator · design the team${a.allowModel === false ? ' (rules only)' : ''}`);
    }
    case 'implementAssignment': {
      const a = arg as Partial<ImplementInput>;
      return oneLine(`implementer · assign backbones to ${a.template?.agents?.length ?? '?'} agents`);
    }
    case 'rectify': {
      const a = arg as Partial<RectifyInput>;
      const who = a.trigger?.agent ? ` on ${a.trigger.agent}` : '';
      return oneLine(`rectifier · ${a.trigger?.kind ?? '?'} trigger${who} (M${a.config?.version ?? '?'})`);
    }
    case 'evaluate': {
      const a = arg as { evaluator?: string };
      return oneLine(`cto · evaluate (${a.evaluator ?? '?'})`);
    }
    case 'ctoRunResult':
      return oneLine(`cto · result of ${(arg as { workflowId?: string }).workflowId ?? '?'}`);
    default:
      return undefined;
  }
}

/** Static summary of a run: the task's first line. */
export function runSummary(input: Pick<TaskInput, 'task' | 'budgetUsd'>): string {
  return oneLine(`mas2 · ${input.task}`);
}

/** Static details of a run (markdown): the task in full, the budget and the pool. */
export function runDetails(input: Pick<TaskInput, 'task' | 'budgetUsd' | 'pool' | 'options' | 'faults'>): string {
  const L = ['**Task**', '', ...input.task.split('\n').map((l) => `> ${l}`), '', `**Budget:** ${usd(input.budgetUsd)}`];
  L.push(`**Pool:** ${input.pool.backbones.map((b) => `\`${b.id}\` (${b.model})`).join(', ')}`);
  const off = (['generator', 'implementer', 'rectifier'] as const).filter((k) => input.options?.[k] === false).map((k) => `--no-${k}`);
  if (off.length) L.push(`**Ablations:** ${off.join(', ')}`);
  if (input.faults?.length) L.push(`**Injected faults:** ${input.faults.map((f) => `\`${JSON.stringify(f)}\``).join(', ')}`);
  return L.join('\n');
}

/** Current details of a running task (markdown): status, spend, the live team, the last steps and rectifications. */
export function progressMarkdown(r: Result): string {
  const L = [`**Status:** ${r.status}${r.reason ? ` — ${oneLine(r.reason, 300)}` : ''}`, `**Spent:** ${usd(r.cost.usd)} of ${usd(r.budgetUsd)} · ${r.steps.length} steps · ${r.rectifications.length} rectification(s)`];
  if (r.config) {
    const c = r.config;
    L.push('', `**Team v${c.version}** (${c.template.name}, final \`${c.template.finalAgent}\`)`, '');
    for (const a of c.template.agents) L.push(`- **${a.id}** (${a.role}) on \`${c.assignment[a.id] ?? '?'}\` — ${r.outputs[a.id] ? 'done' : 'pending'}`);
  } else L.push('', '_Designing the team…_');
  const last = r.rectifications[r.rectifications.length - 1];
  if (last) L.push('', `**Last rectification:** v${last.fromVersion} → v${last.version} on ${last.trigger.kind} trigger (${last.source}): ${oneLine(last.trigger.detail, 160)}`);
  const recent = r.steps.slice(-5);
  if (recent.length) {
    L.push('', '**Recent steps**', '');
    for (const s of recent) L.push(`- ${s.agent} · ${s.kind === 'tool' ? s.name ?? 'tool' : s.kind === 'meta' ? 'meta-agent' : `model on ${s.backbone ?? '?'}`} · ${s.status}${s.attempts > 1 ? ` (${s.attempts} attempts)` : ''}`);
  }
  return L.join('\n');
}

// ---------------------------------------------------------------- the terminal's live view

/** One agent (or meta-agent) at work, as far as the live state shows. */
export interface Working {
  agent: string;
  backbone?: string;
  /** 1-based number of the model call it is on (in the current config version). */
  call: number;
}

const META_ORDER = ['generator', 'implementer'] as const;

/**
 * Who is working now: before the team exists, the next meta-agent (on its backbone when the
 * pool is known); then every agent of the current team whose inputs are all done and whose own
 * output is not; with none of those while the run goes on, a trigger fired and the Rectifier is
 * at work. The live state records finished calls only, so this is read from the state, not
 * reported by the worker.
 */
export function workingNow(r: Result, pool?: Pool): Working[] {
  if (r.status !== 'running') return [];
  const meta = (role: 'generator' | 'implementer' | 'rectifier'): Working => ({ agent: role, backbone: pool ? metaBackbone(pool, role).id : undefined, call: 1 });
  // The agents wait while the Rectifier works, whatever they have left to do.
  if (r.rectifying) return [meta('rectifier')];
  if (!r.config) {
    const role = META_ORDER.find((m) => !r.decisions.some((d) => d.role === m));
    return role ? [meta(role)] : [];
  }
  const { template: t, assignment, version } = r.config;
  const ready = t.agents
    .filter((a) => !r.outputs[a.id] && predecessors(t, a.id).every((p) => r.outputs[p]))
    .map((a) => ({ agent: a.id, backbone: assignment[a.id], call: r.steps.filter((s) => s.agent === a.id && s.kind === 'llm' && s.configVersion === version).length + 1 }));
  return ready.length ? ready : [meta('rectifier')];
}

/** `42 s`, `3 min 05 s`. */
export function elapsedText(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
}

/** The status line: who works on which model, tokens and spend so far, time since start. */
export function liveLine(r: Result, working: readonly Working[], elapsedMs: number): string {
  const who = working.length ? working.map((w) => `${w.agent}${w.backbone ? ` on ${w.backbone}` : ''}${w.call > 1 ? ` (model call ${w.call})` : ''}`).join(', ') : 'between steps';
  const tokens = r.cost.inputTokens + r.cost.outputTokens;
  return `${who} · ${tokens.toLocaleString('en-US')} tokens · ${formatUsd(r.cost.usd)} · ${elapsedText(elapsedMs)}`;
}

/**
 * The answer as soon as the final agent has produced one: the run's answer so far (the live
 * state carries its preview, chosen by mas/answer.ts: a final verifier's answer is the output it
 * verified) and the agent it comes from. `key` changes when the answer does (a re-run that
 * gives the same answer again is not news).
 */
export function answerSoFar(r: Result): { key: string; agent: string; text: string } | null {
  const t = r.config?.template;
  if (!t || !r.outputs[t.finalAgent] || !r.answer) return null;
  const src = answerSource(t, r.outputs);
  if (!src) return null;
  return { key: `${src.agent}|${r.answer}`, agent: src.agent, text: r.answer };
}
