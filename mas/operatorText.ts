/**
 * Every text a model reads that comes from the operators and the blueprint catalogue, in one
 * place: the Generator's menu of blueprints, the roles and instructions of the agents a
 * blueprint builds, and the feedback a programmer or a producer gets after an execution.
 * Kept apart from the rules (mas/blueprints.ts, mas/evidence.ts) so it can join the rest of
 * the model-facing text, and a change to it shows in one diff.
 */
import type { AnswerKind } from './operators';
import type { Evidence, Judgement } from './evidence';
import { describeEvidence } from './evidence';

/** One line per blueprint for the Generator's prompt. Keys are the catalogue's ids (mas/blueprints.ts). */
export const BLUEPRINT_DESCRIPTIONS = {
  single: 'one agent solves the task on its own (easy tasks; the cheapest)',
  'self-consistency': 'one agent answers k times with different samples; the most frequent answer wins (code: the candidate that passes the most tests)',
  program: 'one agent writes a Python program that computes the answer; the sandbox runs it and errors go back to it',
  'program-vote': 'k samples, alternately a Python program and step-by-step reasoning; a vote on their answers',
  'code-tests': 'a tester writes assert tests from the task; k code candidates; the one passing the most tests (then agreeing with the most candidates) wins',
  'plan-code-test': "a planner, a programmer writing the code, and a test step that runs the task's examples and the team's tests and sends failures back",
} as const;

/** What the Generator reads about the choice it makes (one line each). */
export const CHOICE_FIELD_NOTES = {
  answer: 'what the answer is: "number" (a quantity), "text" (a short answer) or "code" (a program or function)',
  blueprint: 'one of the team shapes listed',
  k: 'samples for the blueprints that vote (2–9; 5 unless the task is very easy or very hard)',
  tools: "tools for the agents that reason step by step (programmers need none: their code runs by itself)",
  instructions: 'one or two sentences of advice specific to this task, given to the agents that produce the answer',
  rationale: 'one sentence: why this shape fits the task',
} as const;

/** How each kind of answer is to be written, so the answer can be read out of it. */
const FINAL_LINE: Record<AnswerKind, string> = {
  number: 'End with a line "Final answer: N", where N is the number only.',
  text: 'End with a line "Final answer: ..." that gives the answer alone, as briefly as possible.',
  code: 'Give the complete code (the function and any imports it needs) in one ```python block.',
};

export interface AgentText {
  role: string;
  instructions: string;
  expects: string;
}

/** The agents a blueprint builds, by slot, for each kind of answer. */
export const AGENT_TEXT = {
  solver: (answer: AnswerKind): AgentText => ({
    role: 'Solver',
    instructions:
      answer === 'code'
        ? `Write the code the task asks for. ${FINAL_LINE.code}`
        : `Solve the task step by step and check your work. ${FINAL_LINE[answer]}`,
    expects: answer === 'code' ? 'the complete code in one ```python block' : 'the reasoning, then the final answer line',
  }),
  programmer: (answer: AnswerKind): AgentText => ({
    role: 'Programmer',
    instructions:
      answer === 'code'
        ? "Write the complete code the task asks for in one ```python block. It is run on the task's examples; if it fails you get the error and write it again."
        : `Write one Python program in a \`\`\`python block that computes the answer and prints it${answer === 'number' ? ' (the number only)' : ''}. It is run in a sandbox and what it prints is your answer; if it fails you get the error and write it again.`,
    expects: 'one ```python block',
  }),
  mixed: (answer: AnswerKind): AgentText => ({
    role: 'Solver',
    instructions:
      answer === 'code'
        ? `Write the code the task asks for. ${FINAL_LINE.code}`
        : `Solve the task. When asked for a program, write one Python program that prints the answer; otherwise reason step by step. ${FINAL_LINE[answer]}`,
    expects: answer === 'code' ? 'the complete code in one ```python block' : 'the final answer line, or a program that prints the answer',
  }),
  tester: (): AgentText => ({
    role: 'Tester',
    instructions: 'Write 3 to 6 assert statements that a correct solution must pass, from the task\'s description and examples (edge cases included), in one ```python block. Do not write the solution.',
    expects: 'one ```python block of assert statements',
  }),
  planner: (answer: AnswerKind): AgentText => ({
    role: 'Planner',
    instructions:
      answer === 'code'
        ? 'Write a short plan for the code: the function signature, the steps, and the edge cases to handle. Do not write the code.'
        : 'Write a short plan: the quantities involved and the steps that compute the answer. Do not compute it.',
    expects: 'a numbered plan',
  }),
  test: (): AgentText => ({
    role: 'Test',
    instructions: "Runs the code it receives on the task's examples and the team's assert tests (no model call).",
    expects: 'PASS, or the failing tests',
  }),
} as const;

/** What a member sample of kind `programmer` in a mixed ensemble is told on top of its instructions. */
export const SAMPLE_HINT = {
  programmer: 'This time, write a Python program that prints the answer.',
  agent: 'This time, reason step by step without a program.',
} as const;

/** The Generator's advice appended to a producer's instructions. */
export function withAdvice(instructions: string, advice: string | undefined): string {
  const a = advice?.trim();
  return a ? `${instructions}\nAdvice for this task: ${a}` : instructions;
}

/** What a programmer reads after its program failed (the next round's prompt). */
export function programmerFeedback(error: string, round: number, maxRounds: number): string {
  return `Your program failed when run (round ${round} of ${maxRounds}):\n${error.trim().slice(0, 1500)}\nFix it and give the whole program again in one \`\`\`python block.`;
}

/** What a producer reads when evidence rejected its answer (a test step's REVISE, a backed FAIL). */
export function evidenceFeedback(against: readonly Evidence[]): string {
  const lines = against.slice(0, 8).map((e) => `- ${describeEvidence(e)}`);
  const more = against.length > 8 ? `\n- … and ${against.length - 8} more` : '';
  return `Your answer was checked by running it, and it failed:\n${lines.join('\n')}${more}\nFix these and give the complete answer again.`;
}

/**
 * What a test step answers (its output): PASS with what passed, REVISE with the failing tests
 * (the producer reads it as feedback), or FAIL with them when no round is left.
 */
export function testStepVerdict(j: Pick<Judgement, 'action' | 'against' | 'reason'>): string {
  switch (j.action) {
    case 'accept':
      return `PASS: ${j.reason}`;
    case 'revise':
      return `REVISE\n${evidenceFeedback(j.against)}`;
    case 'reject':
      return `FAIL: ${j.reason}`;
  }
}
