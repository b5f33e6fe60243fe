/**
 * The built-in teams: the agents' instructions are text a model reads. One team per task kind
 * (mas/templates.ts picks it), a QA team for runs without documents, and the fixed team of
 * the `--no-generator` ablation.
 */
import type { AgentSpec, Template } from '../schemas';

type AgentDraft = Omit<AgentSpec, 'tools' | 'maxTurns'> & Partial<Pick<AgentSpec, 'tools' | 'maxTurns'>>;

/**
 * The schema's defaults, filled by hand: workflow code imports these
 * templates and stays free of zod (a unit test checks they parse unchanged).
 */
function template(t: Omit<Template, 'agents' | 'loops'> & { agents: AgentDraft[]; loops?: Template['loops'] }): Template {
  return { ...t, loops: t.loops ?? [], agents: t.agents.map((a) => ({ tools: [], maxTurns: 4, ...a })) };
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
const QA_WITHOUT_SEARCH: Template = template({
  name: 'draft-answer',
  agents: [
    { id: 'drafter', role: 'Drafter', instructions: 'Work out the answer step by step from what you know; say what you are unsure of.', tools: [], expects: 'the reasoning and a draft answer' },
    { id: 'answerer', role: 'Answerer', instructions: 'Give the final answer concisely, based on the draft; say when it is uncertain.', tools: [], expects: 'a concise answer' },
  ],
  edges: [{ from: 'drafter', to: 'answerer' }],
  finalAgent: 'answerer',
});

export const BUILTIN_TEAMS = { code: CODE, math: MATH, qa: QA, qaWithoutSearch: QA_WITHOUT_SEARCH } as const;

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
