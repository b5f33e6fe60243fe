/**
 * Benchmark files in their published formats (one JSON object a line) →
 * problems: the task text a team is given and the spec its answer is scored by.
 * A malformed line is one error naming the file, the line and the field.
 */
import { z } from 'zod';
import { JsonlError, parseJsonLines } from '../jsonl';
import { lastBoxedIn } from '../extract';

export const SUITES = ['humaneval', 'mbpp', 'gsm8k', 'math'] as const;
export type Suite = (typeof SUITES)[number];

export type ScoringSpec =
  | { kind: 'gsm8k'; expected: string }
  | { kind: 'math'; expected: string }
  | { kind: 'humaneval'; prompt: string; test: string; entryPoint: string }
  | { kind: 'mbpp'; setup: string; tests: string[]; entryPoint: string | null };

export interface EvalProblem {
  /** The benchmark's id (task_id, unique_id), else `line-N` for formats without one (GSM8K). */
  id: string;
  /** 1-based line in the data file. */
  line: number;
  task: string;
  scoring: ScoringSpec;
}

/** Bad data: the message is one line naming where and what. */
export class DatasetError extends Error {
  override name = 'DatasetError';
}

const text = z.string().min(1, 'must be a non-empty string');

const HumanEvalLine = z.object({ task_id: text, prompt: text, test: text, entry_point: z.string().regex(/^[A-Za-z_]\w*$/, 'must be a Python identifier') });
const MbppLine = z.object({
  task_id: z.union([z.number().int(), text]),
  text,
  test_list: z.array(text).min(1, 'must list at least one assert'),
  test_setup_code: z.string().default(''),
});
const Gsm8kLine = z.object({ question: text, answer: text.regex(/####\s*\S/, 'must end with "#### N" (the GSM8K final answer)') });
const MathLine = z.object({ problem: text, solution: z.string().optional(), answer: z.string().optional(), unique_id: z.string().optional() });

export const TASK_TEXT_VERSION = 1;

/** The instructions around each problem; the scorers read exactly what they ask for. */
export function humanevalTask(prompt: string, entryPoint: string): string {
  return (
    `Complete the following Python function \`${entryPoint}\` so that it does what its docstring says.\n\n` +
    '```python\n' +
    prompt.replace(/\s+$/, '') +
    '\n```\n\n' +
    `Reply with the complete function \`${entryPoint}\` (signature, body and any imports or helpers it needs) in one \`\`\`python code block.`
  );
}

export function mbppTask(description: string, tests: string[]): string {
  return (
    `${description.trim()}\n\nWrite the Python code. Your code should pass these tests:\n\n` +
    '```python\n' +
    tests.join('\n') +
    '\n```\n\n' +
    'Reply with the complete code (the function and any imports it needs) in one ```python code block.'
  );
}

export function gsm8kTask(question: string): string {
  return `${question.trim()}\n\nSolve this math word problem step by step. End with a line of the form "Final answer: N", where N is the number only.`;
}

export function mathTask(problem: string): string {
  return `${problem.trim()}\n\nSolve this math problem. Put the final answer in \\boxed{...} at the end.`;
}

/** The function the MBPP asserts call: `assert f(...) == ...`, `assert not f(...)`, `assert math.isclose(f(...), ...)`. */
export function mbppEntryPoint(tests: string[]): string | null {
  for (const t of tests) {
    const m = /^\s*assert\s+(?:not\s+)?\(?\s*(?:(?:math\.)?isclose\s*\(\s*|set\s*\(\s*|sorted\s*\(\s*|abs\s*\(\s*)?([A-Za-z_]\w*)\s*\(/.exec(t);
    if (m) return m[1];
  }
  return null;
}

/** The GSM8K reference answer: the number after "####", commas removed. */
export function gsm8kExpected(answer: string): string {
  const m = /####\s*(.+?)\s*$/.exec(answer.trim());
  return (m ? m[1] : '').replace(/,/g, '').replace(/^\$/, '').trim();
}

function describe(err: z.ZodError): string {
  const i = err.issues[0];
  const field = i.path.length ? i.path.join('.') : '(line)';
  if (i.code === 'invalid_type' && (i as { input?: unknown }).input === undefined) return `field "${field}" is missing`;
  return `field "${field}" ${i.message.replace(/^Invalid input: /, '')}`;
}

function parseLine<T>(schema: z.ZodType<T>, value: unknown, where: string, suite: Suite): T {
  const r = schema.safeParse(value);
  if (!r.success) throw new DatasetError(`${where}: ${describe(r.error)} (not a ${suite} line; see "Formats" in docs/evaluation.md)`);
  return r.data;
}

function toProblem(suite: Suite, value: unknown, line: number, where: string): EvalProblem {
  switch (suite) {
    case 'humaneval': {
      const l = parseLine(HumanEvalLine, value, where, suite);
      return { id: l.task_id, line, task: humanevalTask(l.prompt, l.entry_point), scoring: { kind: 'humaneval', prompt: l.prompt, test: l.test, entryPoint: l.entry_point } };
    }
    case 'mbpp': {
      const l = parseLine(MbppLine, value, where, suite);
      return { id: String(l.task_id), line, task: mbppTask(l.text, l.test_list), scoring: { kind: 'mbpp', setup: l.test_setup_code, tests: l.test_list, entryPoint: mbppEntryPoint(l.test_list) } };
    }
    case 'gsm8k': {
      const l = parseLine(Gsm8kLine, value, where, suite);
      const expected = gsm8kExpected(l.answer);
      if (!Number.isFinite(Number(expected))) throw new DatasetError(`${where}: field "answer" ends with "#### ${expected}", which is not a number`);
      return { id: `line-${line}`, line, task: gsm8kTask(l.question), scoring: { kind: 'gsm8k', expected } };
    }
    case 'math': {
      const l = parseLine(MathLine, value, where, suite);
      const expected = l.answer?.trim() || (l.solution ? lastBoxedIn(l.solution) : null);
      if (!expected) throw new DatasetError(`${where}: needs field "answer", or a "solution" with a \\boxed{...} final answer`);
      return { id: l.unique_id ?? `line-${line}`, line, task: mathTask(l.problem), scoring: { kind: 'math', expected } };
    }
  }
}

/** Every non-blank line must be a valid problem with a unique id; the first bad line is reported. */
export function parseDataset(suite: Suite, text: string, file = 'data.jsonl'): EvalProblem[] {
  try {
    return parseJsonLines(text, { file, noun: 'problems', item: (value, line, where) => toProblem(suite, value, line, where), id: (p) => p.id });
  } catch (e) {
    if (e instanceof JsonlError) throw new DatasetError(e.message);
    throw e;
  }
}
