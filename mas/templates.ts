/**
 * Task kinds and the built-in templates: what the simulated Generator proposes
 * for each kind, and the fixed template of the `--no-generator` ablation.
 */
import type { AgentSpec, Template } from './schemas';

type AgentDraft = Omit<AgentSpec, 'tools' | 'maxTurns'> & Partial<Pick<AgentSpec, 'tools' | 'maxTurns'>>;

/**
 * The schema's defaults, filled by hand: workflow code imports these
 * templates and stays free of zod (a unit test checks they parse unchanged).
 */
function template(t: Omit<Template, 'agents' | 'loops'> & { agents: AgentDraft[]; loops?: Template['loops'] }): Template {
  return { ...t, loops: t.loops ?? [], agents: t.agents.map((a) => ({ tools: [], maxTurns: 4, ...a })) };
}

export type TaskKind = 'code' | 'math' | 'qa';

/**
 * The task's kind, by structure first and keywords second (issue 16: a GSM8K word problem
 * has no "calculate" in it, and a student "class" is not code). Code: a code fence, a
 * function signature, a doctest or a programming keyword. Math: quantities (two or more
 * numbers, or one with an operator) asked about with a question word, or a math keyword.
 */
export function classifyTask(task: string): TaskKind {
  const t = task.toLowerCase();
  const codeStructure = /```|\bdef\s+\w+\s*\(|\bfunction\s+\w+\s*\(|\bclass\s+\w+\s*[:(]|>>>|=>|\breturn\b\s+\S/.test(task);
  const codeWords = /\b(python|javascript|typescript|code|implement|program|script|unit tests?|algorithm|bug|refactor|regex|compile)\b|\bwrite an? (\w+ )?function\b/.test(t);
  if (codeStructure || codeWords) return 'code';
  const numbers = (t.match(/\d+(?:[.,]\d+)?/g) ?? []).length;
  const question = /\b(how (many|much|long|far|old|fast)|what (is|was|will)|find|total|cost|left|remain|each)\b/.test(t);
  const mathWords = /\b(calculate|compute|sum|product|solve|equation|integral|percent|percentage|average|math|ratio|probability)\b|%|\$\s*\d/.test(t);
  const operator = /\d+\s*[-+*/^×÷]\s*\d+/.test(t);
  if (mathWords || operator || (numbers >= 2 && question) || (numbers >= 1 && question && /\?/.test(t))) return 'math';
  return 'qa';
}

const CODE: Template = template({
  name: 'plan-code-review',
  agents: [
    { id: 'planner', role: 'Planner', instructions: 'Break the task into a short plan: the function signature, edge cases and the checks to run.', tools: [], expects: 'a numbered plan' },
    { id: 'coder', role: 'Coder', instructions: 'Write the Python code for the plan and run it with the python tool, printing the results of the checks. End your answer with the final code in one ```python block.', tools: ['python'], expects: 'the code and the printed check results', maxTurns: 4 },
    { id: 'reviewer', role: 'Reviewer', instructions: 'Check the code and its printed results against the task. Start your answer with PASS or FAIL, then say why in one or two sentences. You may add a ```python block of assert tests; they will be run.', tools: [], verifier: true, expects: 'PASS or FAIL, then the reason' },
  ],
  edges: [
    { from: 'planner', to: 'coder' },
    { from: 'coder', to: 'reviewer' },
  ],
  finalAgent: 'reviewer',
});

const MATH: Template = template({
  name: 'analyse-solve-check',
  agents: [
    { id: 'analyst', role: 'Analyst', instructions: 'Restate the problem as precise quantities and the expression that answers it.', tools: [], expects: 'the expression to evaluate' },
    { id: 'solver', role: 'Solver', instructions: 'Evaluate the expression with the calculator tool and state the numeric result.', tools: ['calculator'], expects: 'the numeric result', maxTurns: 3 },
    { id: 'checker', role: 'Checker', instructions: 'Verify the result independently. Start with PASS or FAIL, then say why in one sentence.', tools: [], verifier: true, expects: 'PASS or FAIL, then the reason' },
  ],
  edges: [
    { from: 'analyst', to: 'solver' },
    { from: 'solver', to: 'checker' },
  ],
  finalAgent: 'checker',
});

const QA: Template = template({
  name: 'research-answer',
  agents: [
    { id: 'researcher', role: 'Researcher', instructions: 'Search the document collection for facts relevant to the question and list them with their sources.', tools: ['search'], expects: 'relevant facts with sources', maxTurns: 3 },
    { id: 'answerer', role: 'Answerer', instructions: 'Answer the question concisely from the facts found; say when the facts are not enough.', tools: [], expects: 'a concise answer' },
  ],
  edges: [{ from: 'researcher', to: 'answerer' }],
  finalAgent: 'answerer',
});

/** The QA team when there is no document collection to search: a tool that cannot work is never offered. */
const QA_NO_SEARCH: Template = template({
  name: 'draft-answer',
  agents: [
    { id: 'drafter', role: 'Drafter', instructions: 'Work out the answer step by step from what you know; say what you are unsure of.', tools: [], expects: 'the reasoning and a draft answer' },
    { id: 'answerer', role: 'Answerer', instructions: 'Give the final answer concisely, based on the draft; say when it is uncertain.', tools: [], expects: 'a concise answer' },
  ],
  edges: [{ from: 'drafter', to: 'answerer' }],
  finalAgent: 'answerer',
});

export const TEMPLATES_BY_KIND: Record<TaskKind, Template> = { code: CODE, math: MATH, qa: QA };

/**
 * The built-in team for a task when the Generator cannot help, using only tools that can
 * work here (`search` needs documents or a search service). Any other unavailable tool is
 * dropped from the agents that had it.
 */
export function fallbackTemplate(task: string, availableTools: readonly string[]): Template {
  const kind = classifyTask(task);
  const base = kind === 'qa' && !availableTools.includes('search') ? QA_NO_SEARCH : TEMPLATES_BY_KIND[kind];
  return { ...base, agents: base.agents.map((a) => ({ ...a, tools: a.tools.filter((t) => availableTools.includes(t)) })) };
}

/** The `--no-generator` ablation: one fixed, task-agnostic team for every task. */
export const DEFAULT_TEMPLATE: Template = template({
  name: 'solve-review',
  agents: [
    { id: 'solver', role: 'Solver', instructions: 'Solve the task. Use the tools when they help, and show the result.', tools: ['python', 'calculator'], maxTurns: 4 },
    { id: 'reviewer', role: 'Reviewer', instructions: 'Review the solution against the task and give the final answer.', tools: [] },
  ],
  edges: [{ from: 'solver', to: 'reviewer' }],
  finalAgent: 'reviewer',
});
