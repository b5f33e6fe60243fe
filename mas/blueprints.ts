/**
 * The blueprint catalogue: proven team shapes the Generator chooses from instead of drawing a
 * graph (on the local 1.5B, 13 of 15 free-form graphs broke the graph rules). A choice names a
 * blueprint, the kind of answer the task wants and a few parameters; `expandChoice` turns it
 * into a Template that is valid by construction (a unit test expands every blueprint with every
 * parameter value and answer kind, with and without the sandbox). A free-form design stays
 * possible (`custom`); `normaliseCustom` repairs what rules can repair before it is checked.
 * Pure and free of zod: the workflow may expand a choice itself.
 */
import type { AgentSpec, Operator, Template } from './schemas';
import { ensemble, OPERATOR_BOUNDS, programmer, TEST_STEP, type AnswerKind } from './operators';
import { AGENT_TEXT, BLUEPRINT_DESCRIPTIONS, withAdvice, type AgentText } from './operatorText';
import { obviousFinalAgent, predecessors } from './graph';
import type { TaskKind } from './templates';

export const BLUEPRINT_IDS = ['single', 'self-consistency', 'program', 'program-vote', 'code-tests', 'plan-code-test'] as const;
export type BlueprintId = (typeof BLUEPRINT_IDS)[number];

/** The answer a kind of task usually wants (the Generator reads the task itself; rules and the simulator go by its kind). */
export const ANSWER_OF_TASK_KIND: Record<TaskKind, AnswerKind> = { code: 'code', math: 'number', qa: 'text' };

/** What the Generator chooses (BlueprintChoiceSchema in mas/schemas.ts gives it its shape). */
export interface BlueprintParams {
  answer: AnswerKind;
  /** Samples of the voting blueprints; absent: OPERATOR_BOUNDS.k.default. */
  k?: number;
  /** Tools of the agents that reason step by step; absent: the blueprint's own choice for the answer kind. */
  tools?: string[];
  /** Task-specific advice for the agents that produce the answer. */
  instructions?: string;
}

export interface Blueprint {
  id: BlueprintId;
  /** The line the Generator reads (mas/operatorText.ts). */
  description: string;
  /** Whether `k` changes the team. */
  usesK: boolean;
  /** Whether the team needs the python sandbox; without it the blueprint expands as `withoutSandbox`. */
  needsSandbox: (answer: AnswerKind) => boolean;
  withoutSandbox: BlueprintId;
}

export interface Expansion {
  template: Template;
  /** The blueprint actually built (differs from the choice when the sandbox is missing). */
  built: BlueprintId;
  /** What the expansion changed about the choice, for the audit (empty when nothing). */
  notes: string[];
}

// ---------------------------------------------------------------- building blocks
interface Ctx {
  answer: AnswerKind;
  k: number;
  advice?: string;
  /** Tools for step-by-step agents, already limited to what can work here. */
  tools: string[];
}

function agent(id: string, text: AgentText, extra: Partial<Pick<AgentSpec, 'tools' | 'verifier' | 'maxTurns'>> & { operator?: Operator; advice?: string } = {}): AgentSpec {
  const spec: AgentSpec = {
    id,
    role: text.role,
    instructions: withAdvice(text.instructions, extra.advice),
    tools: extra.tools ?? [],
    expects: text.expects,
    maxTurns: extra.maxTurns ?? 4,
  };
  if (extra.verifier) spec.verifier = true;
  if (extra.operator) spec.operator = extra.operator;
  return spec;
}

function team(name: string, agents: AgentSpec[], edges: [string, string][], finalAgent: string, loops: Template['loops'] = []): Template {
  return { name, agents, edges: edges.map(([from, to]) => ({ from, to })), loops, finalAgent };
}

/** Rounds a test step may send failing code back to its programmer. */
export const TEST_LOOP_ROUNDS = 2;

const BUILD: Record<BlueprintId, (c: Ctx) => Template> = {
  single: (c) => team('single', [agent('solver', AGENT_TEXT.solver(c.answer), { tools: c.tools, advice: c.advice })], [], 'solver'),
  'self-consistency': (c) =>
    // Code samples get no tools: the selection runs every candidate on the tests anyway.
    team('self-consistency', [agent('solver', AGENT_TEXT.solver(c.answer), { tools: c.answer === 'code' ? [] : c.tools, advice: c.advice, operator: ensemble(c.answer, 'agent', c.k) })], [], 'solver'),
  program: (c) => team('program', [agent('programmer', AGENT_TEXT.programmer(c.answer), { advice: c.advice, operator: programmer(c.answer) })], [], 'programmer'),
  'program-vote': (c) =>
    team('program-vote', [agent('solver', AGENT_TEXT.mixed(c.answer), { tools: c.answer === 'code' ? [] : c.tools, advice: c.advice, operator: ensemble(c.answer, 'mixed', c.k) })], [], 'solver'),
  'code-tests': (c) =>
    c.answer === 'code'
      ? team(
          'code-tests',
          [agent('tester', AGENT_TEXT.tester()), agent('coder', AGENT_TEXT.solver('code'), { advice: c.advice, operator: ensemble('code', 'agent', c.k) })],
          [['tester', 'coder']],
          'coder',
        )
      : // A number or a text has no tests to write: k programs print it, and their outputs vote.
        team('code-tests', [agent('programmer', AGENT_TEXT.programmer(c.answer), { advice: c.advice, operator: ensemble(c.answer, 'programmer', c.k) })], [], 'programmer'),
  'plan-code-test': (c) =>
    c.answer === 'code'
      ? team(
          'plan-code-test',
          [
            agent('planner', AGENT_TEXT.planner('code')),
            agent('programmer', AGENT_TEXT.programmer('code'), { advice: c.advice, operator: programmer('code') }),
            agent('test', AGENT_TEXT.test(), { verifier: true, operator: TEST_STEP }),
          ],
          [
            ['planner', 'programmer'],
            ['programmer', 'test'],
          ],
          'test',
          [{ from: 'test', to: 'programmer', maxRounds: TEST_LOOP_ROUNDS }],
        )
      : // The program's run is the check of a number or a text: plan, then program.
        team('plan-code-test', [agent('planner', AGENT_TEXT.planner(c.answer)), agent('programmer', AGENT_TEXT.programmer(c.answer), { advice: c.advice, operator: programmer(c.answer) })], [['planner', 'programmer']], 'programmer'),
};

export const BLUEPRINTS: Record<BlueprintId, Blueprint> = {
  single: { id: 'single', description: BLUEPRINT_DESCRIPTIONS.single, usesK: false, needsSandbox: () => false, withoutSandbox: 'single' },
  'self-consistency': {
    id: 'self-consistency',
    description: BLUEPRINT_DESCRIPTIONS['self-consistency'],
    usesK: true,
    needsSandbox: (answer) => answer === 'code',
    withoutSandbox: 'single',
  },
  program: { id: 'program', description: BLUEPRINT_DESCRIPTIONS.program, usesK: false, needsSandbox: () => true, withoutSandbox: 'single' },
  'program-vote': { id: 'program-vote', description: BLUEPRINT_DESCRIPTIONS['program-vote'], usesK: true, needsSandbox: () => true, withoutSandbox: 'self-consistency' },
  'code-tests': { id: 'code-tests', description: BLUEPRINT_DESCRIPTIONS['code-tests'], usesK: true, needsSandbox: () => true, withoutSandbox: 'self-consistency' },
  'plan-code-test': { id: 'plan-code-test', description: BLUEPRINT_DESCRIPTIONS['plan-code-test'], usesK: false, needsSandbox: () => true, withoutSandbox: 'single' },
};

/** The tools step-by-step agents get when the Generator names none: a calculator for numbers, the sandbox for code. */
function defaultTools(answer: AnswerKind): string[] {
  return answer === 'number' ? ['calculator'] : answer === 'code' ? ['python'] : [];
}

/**
 * The team for a choice, valid by construction: tools limited to those that work here, k
 * clamped to its bounds, and a blueprint that needs the sandbox replaced by one that does not
 * when python cannot run here (said in `notes`).
 */
export function expandChoice(id: BlueprintId, params: BlueprintParams, availableTools: readonly string[]): Expansion {
  const notes: string[] = [];
  const sandbox = availableTools.includes('python');
  let built: BlueprintId = id;
  // `withoutSandbox` chains end at `single`, which never needs it.
  while (!sandbox && BLUEPRINTS[built].needsSandbox(params.answer)) built = BLUEPRINTS[built].withoutSandbox;
  if (built !== id) notes.push(`"${id}" needs the python sandbox, which is not available here: built "${built}" instead`);
  const rawK = params.k ?? OPERATOR_BOUNDS.k.default;
  const k = Math.min(OPERATOR_BOUNDS.k.max, Math.max(OPERATOR_BOUNDS.k.min, Math.round(rawK)));
  if (params.k !== undefined && k !== params.k) notes.push(`k = ${params.k} is outside ${OPERATOR_BOUNDS.k.min}–${OPERATOR_BOUNDS.k.max}: k = ${k}`);
  const wanted = params.tools ?? defaultTools(params.answer);
  const tools = [...new Set(wanted)].filter((t) => availableTools.includes(t));
  const dropped = wanted.filter((t) => !availableTools.includes(t));
  if (params.tools && dropped.length) notes.push(`tools not available here were left out: ${[...new Set(dropped)].join(', ')}`);
  return { template: BUILD[built]({ answer: params.answer, k, advice: params.instructions, tools }), built, notes };
}

// ---------------------------------------------------------------- free-form designs
/**
 * A free-form design repaired by rule, before the graph rules judge it: duplicate ids renamed
 * (the copy gets the original's edges: a model that lists two "solver"s means two of them),
 * edges to unknown agents and self-loops dropped, duplicate edges merged, tools that cannot
 * work here removed, programmers and test steps stripped of tools, operators that need the
 * sandbox dropped without it, a test step's failures sent back to its one producer, and the
 * team's only sink made the final agent. Each change is one line of `notes`. What rules cannot
 * repair (a cycle, two sinks) is left for templateProblems to report.
 */
export function normaliseCustom(t: Template, availableTools: readonly string[]): { template: Template; notes: string[] } {
  const notes: string[] = [];
  const sandbox = availableTools.includes('python');
  const seen = new Map<string, number>();
  const copies: { original: string; copy: string }[] = [];
  const agents = t.agents.map((a) => {
    const n = (seen.get(a.id) ?? 0) + 1;
    seen.set(a.id, n);
    if (n === 1) return { ...a, tools: [...a.tools] };
    let id = `${a.id}_${n}`.slice(0, 64);
    while (seen.has(id) || t.agents.some((o) => o.id === id)) id = `${id}_`.slice(-64);
    seen.set(id, 1);
    copies.push({ original: a.id, copy: id });
    notes.push(`agent id "${a.id}" was used twice: the second is "${id}", with the same edges`);
    return { ...a, id, tools: [...a.tools] };
  });
  const ids = new Set(agents.map((a) => a.id));
  let edges = t.edges.flatMap((e) => {
    const out = [e];
    for (const c of copies) {
      if (e.from === c.original) out.push({ from: c.copy, to: e.to });
      if (e.to === c.original) out.push({ from: e.from, to: c.copy });
    }
    return out;
  });
  const kept: Template['edges'] = [];
  for (const e of edges) {
    if (!ids.has(e.from) || !ids.has(e.to)) notes.push(`edge ${e.from} → ${e.to} names an unknown agent: dropped`);
    else if (e.from === e.to) notes.push(`edge ${e.from} → ${e.to} is a self-loop: dropped`);
    else if (!kept.some((k) => k.from === e.from && k.to === e.to)) kept.push({ from: e.from, to: e.to });
  }
  edges = kept;
  for (const a of agents) {
    const usable = a.tools.filter((x) => availableTools.includes(x));
    if (usable.length !== a.tools.length) notes.push(`agent "${a.id}": tools not available here removed (${a.tools.filter((x) => !usable.includes(x)).join(', ')})`);
    a.tools = usable;
    const op = a.operator;
    if (!op) continue;
    if (!sandbox && (op.kind !== 'ensemble' || op.member !== 'agent' || op.answer === 'code')) {
      notes.push(`agent "${a.id}": a ${op.kind} needs the python sandbox, which is not available here: a plain agent`);
      delete a.operator;
      continue;
    }
    const toolless = op.kind === 'programmer' || op.kind === 'test' || (op.kind === 'ensemble' && op.member === 'programmer');
    if (toolless && a.tools.length) {
      notes.push(`agent "${a.id}" is a ${op.kind === 'ensemble' ? 'programmer ensemble' : op.kind}: its tools were removed (${a.tools.join(', ')})`);
      a.tools = [];
    }
    if ((op.kind === 'programmer' || op.kind === 'ensemble') && a.verifier) {
      notes.push(`agent "${a.id}" is a ${op.kind}: it produces an answer, so it is not a verifier`);
      delete a.verifier;
    }
    if (op.kind === 'test' && !a.verifier) a.verifier = true;
  }
  let template: Template = { ...t, agents, edges, loops: t.loops.filter((l) => ids.has(l.from) && ids.has(l.to)) };
  for (const a of agents.filter((x) => x.operator?.kind === 'test')) {
    const producers = predecessors(template, a.id);
    if (!producers.length) {
      notes.push(`test step "${a.id}" has nothing to test (no agent feeds it): a plain checker`);
      delete a.operator;
    } else if (producers.length === 1 && !template.loops.some((l) => l.from === a.id)) {
      template = { ...template, loops: [...template.loops, { from: a.id, to: producers[0], maxRounds: TEST_LOOP_ROUNDS }] };
      notes.push(`test step "${a.id}" sends failing code back to "${producers[0]}" (at most ${TEST_LOOP_ROUNDS} rounds)`);
    }
  }
  const sink = obviousFinalAgent(template);
  if (sink) {
    notes.push(`final agent "${template.finalAgent}" → "${sink}", the team's only last agent`);
    template = { ...template, finalAgent: sink };
  }
  return { template, notes };
}

