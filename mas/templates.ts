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

export function classifyTask(task: string): TaskKind {
  const t = task.toLowerCase();
  if (/\b(python|function|code|implement|program|script|def |unit test|class|algorithm|bug)\b/.test(t)) return 'code';
  if (/\b(calculate|compute|sum|product|how many|solve|equation|integral|percent|average|math)\b|\d+\s*[-+*/^]\s*\d+/.test(t)) return 'math';
  return 'qa';
}

const CODE: Template = template({
  name: 'plan-code-review',
  agents: [
    { id: 'planner', role: 'Planner', instructions: 'Break the task into a short plan: the function signature, edge cases and the checks to run.', tools: [], expects: 'a numbered plan' },
    { id: 'coder', role: 'Coder', instructions: 'Write the Python code for the plan and run it with the python tool, printing the results of the checks.', tools: ['python'], expects: 'the code and the printed check results', maxTurns: 4 },
    { id: 'reviewer', role: 'Reviewer', instructions: 'Check the code and its printed results against the task. Start your answer with PASS or FAIL, then give the final code and results.', tools: [], verifier: true, expects: 'PASS or FAIL, then the final answer' },
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
    { id: 'checker', role: 'Checker', instructions: 'Verify the result independently. Start with PASS or FAIL, then state the final answer.', tools: [], verifier: true, expects: 'PASS or FAIL, then the answer' },
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

export const TEMPLATES_BY_KIND: Record<TaskKind, Template> = { code: CODE, math: MATH, qa: QA };

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
