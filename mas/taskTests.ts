/**
 * Tests a code answer can be run against. Two sources: the public examples the task itself
 * shows (MBPP's `assert` lines, HumanEval's doctest `>>> f(x)` / expected-output pairs,
 * `f(x) => y` example lines) and the asserts the team wrote in its outputs. mas/testRun.ts
 * runs them. Pure and free of zod.
 */
import { pythonBlocks } from './extract';

export type TestSource = 'task' | 'team';

export type TaskTest =
  /** Python statements that raise when the test fails (usually one `assert`). */
  | { id: string; source: TestSource; kind: 'assert'; code: string }
  /** An expression and the output the task shows for it (doctest style): compared by value, then by repr. */
  | { id: string; source: TestSource; kind: 'example'; call: string; expected: string };

/** At most this many tests of each source: enough to choose among candidates, bounded in time. */
export const MAX_TESTS_PER_SOURCE = 20;
/** Longest test kept, in characters: a "test" longer than this is a program, not a check. */
const MAX_TEST_CHARS = 2000;

// ---------------------------------------------------------------- Python statements
function bracketDepth(line: string, depth: number): number {
  let d = depth;
  let quote: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = null;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '#') break;
    else if ('([{'.includes(c)) d++;
    else if (')]}'.includes(c)) d = Math.max(0, d - 1);
  }
  return d;
}

/**
 * The top-level statements of a piece of Python, each with its indented body and its
 * bracket or backslash continuations. Comments and blank lines between statements are dropped.
 */
export function topLevelStatements(code: string): string[] {
  const out: string[] = [];
  let current: string[] = [];
  let depth = 0;
  let continued = false;
  const flush = () => {
    while (current.length && (!current[current.length - 1].trim() || /^\s*#/.test(current[current.length - 1]))) current.pop();
    if (current.length) out.push(current.join('\n'));
    current = [];
  };
  for (const line of code.replace(/\r\n?/g, '\n').split('\n')) {
    const blank = !line.trim() || /^\s*#/.test(line);
    const startsStatement = !blank && !/^\s/.test(line) && depth === 0 && !continued;
    if (startsStatement) flush();
    if (blank && !current.length) continue;
    current.push(line);
    if (!blank) {
      depth = bracketDepth(line, depth);
      continued = /\\\s*$/.test(line);
    }
  }
  flush();
  // A dedented `else:` / `except:` / `elif` / `finally:` belongs to the statement before it, a decorated definition to its decorators.
  const merged: string[] = [];
  for (const s of out) {
    const prev = merged[merged.length - 1];
    if (prev !== undefined && (/^(else|elif|except|finally)\b/.test(s) || /^@/.test(prev.split('\n').pop() ?? ''))) merged[merged.length - 1] += `\n${s}`;
    else merged.push(s);
  }
  return merged;
}

const IS_ASSERT = /^assert\b/;
const IS_DEFINITION = /^(?:@|(?:async\s+)?def\s|class\s)/;
const IS_NOISE = /^(?:print\s*\(|if\s+__name__\s*==|unittest\.main|doctest\.testmod|check\s*\()/;

/** The code without its function and class definitions: what a test block adds to the code under test. */
export function withoutDefinitions(code: string): string {
  return topLevelStatements(code)
    .filter((s) => !IS_DEFINITION.test(s))
    .join('\n');
}

/**
 * The checks in a block of team-written Python: one test per `assert`, each preceded by the
 * block's imports and setup assignments above it. Definitions are the code under test (a
 * test block that redefines the function would test its own copy), prints and `__main__`
 * guards are not checks.
 */
export function assertsIn(code: string): string[] {
  const prefix: string[] = [];
  const tests: string[] = [];
  for (const s of topLevelStatements(code)) {
    if (IS_ASSERT.test(s)) tests.push([...prefix, s].join('\n'));
    else if (IS_DEFINITION.test(s) || IS_NOISE.test(s)) continue;
    else prefix.push(s);
  }
  return tests;
}

// ---------------------------------------------------------------- examples in a task
/** Function names the task defines or names as its entry point: example lines must call one of them. */
function definedNames(task: string): Set<string> {
  return new Set([...task.matchAll(/\bdef\s+([A-Za-z_]\w*)\s*\(/g)].map((m) => m[1]));
}

/** `>>> expr` (with `... ` continuations) followed by the expected output lines, in doctest's own format. */
function doctestExamples(task: string): { call: string; expected: string }[] {
  const lines = task.replace(/\r\n?/g, '\n').split('\n');
  const out: { call: string; expected: string }[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = /^(\s*)>>>\s?(.*)$/.exec(lines[i]);
    if (!m) continue;
    const indent = m[1];
    const call = [m[2]];
    while (i + 1 < lines.length && new RegExp(`^${indent}\\.\\.\\.(?: |$)`).test(lines[i + 1])) call.push(lines[++i].slice(indent.length + 4));
    const expected: string[] = [];
    while (i + 1 < lines.length && lines[i + 1].trim() && !/^\s*>>>/.test(lines[i + 1]) && !/^\s*("""|''')/.test(lines[i + 1]) && !/^\s*```/.test(lines[i + 1])) {
      expected.push(lines[++i].slice(Math.min(indent.length, lines[i].length - lines[i].trimStart().length)));
    }
    // A statement (`>>> x = f(1)`) or a call that shows nothing is setup, not an example.
    if (expected.length && !/^\s*(?:[A-Za-z_]\w*\s*=[^=]|import\s|from\s)/.test(call[0])) out.push({ call: call.join('\n'), expected: expected.join('\n').trim() });
  }
  return out;
}

const ARROW = /^\s*([A-Za-z_]\w*\s*\(.*\))\s*(?:==>|=>|➞|->|→|==|returns|should return|should be|gives)\s*(.+?)\s*$/;

/**
 * Example lines such as `f(1, 2) => 3`, `f("ab") ➞ "ba"`, `f(x) == y`, for functions the task
 * defines. Arithmetic shown on the right ("-> 19 - 5 - 6 = 8") keeps its result.
 */
function arrowExamples(task: string, names: Set<string>): { call: string; expected: string }[] {
  const out: { call: string; expected: string }[] = [];
  for (const line of task.split('\n')) {
    if (/^\s*(>>>|assert\b)/.test(line)) continue;
    const m = ARROW.exec(line);
    if (!m) continue;
    const name = /^([A-Za-z_]\w*)/.exec(m[1])![1];
    if (!names.has(name) || bracketDepth(m[1], 0) !== 0) continue;
    let expected = m[2].replace(/[.,;]$/, '').trim();
    if (/\s=\s/.test(expected)) expected = expected.slice(expected.lastIndexOf('=') + 1).trim();
    if (expected) out.push({ call: m[1].trim(), expected });
  }
  return out;
}

/** `assert` statements the task shows, fenced or not (MBPP lists its tests this way). */
function taskAsserts(task: string): string[] {
  const blocks = pythonBlocks(task).map((b) => b.code);
  const fenced = blocks.flatMap((b) => assertsIn(b));
  const loose = task
    .split('\n')
    .filter((l) => /^\s*assert\s/.test(l))
    .map((l) => l.trim());
  return [...fenced, ...loose];
}

/** The code without whitespace outside string literals: two spellings of one test compare equal. */
function normalised(code: string): string {
  let out = '';
  let quote: string | null = null;
  for (let i = 0; i < code.length; i++) {
    const c = code[i];
    if (quote) {
      out += c;
      if (c === '\\') out += code[++i] ?? '';
      else if (c === quote) quote = null;
    } else if (c === '"' || c === "'") {
      quote = c;
      out += c;
    } else if (!/\s/.test(c)) out += c;
  }
  return out;
}

function bounded<T extends TaskTest>(tests: T[]): T[] {
  const seen = new Set<string>();
  const out: T[] = [];
  for (const t of tests) {
    const key = normalised(t.kind === 'assert' ? t.code : `${t.call} == ${t.expected}`);
    if (seen.has(key) || key.length > MAX_TEST_CHARS) continue;
    seen.add(key);
    out.push(t);
    if (out.length >= MAX_TESTS_PER_SOURCE) break;
  }
  return out;
}

/** The public tests a task shows: its asserts, its doctest examples and its example lines. */
export function taskTests(task: string): TaskTest[] {
  const names = definedNames(task);
  const asserts = taskAsserts(task).map((code, i): TaskTest => ({ id: `task-${i + 1}`, source: 'task', kind: 'assert', code }));
  const examples = [...doctestExamples(task), ...arrowExamples(task, names)].map((e, i): TaskTest => ({ id: `task-ex-${i + 1}`, source: 'task', kind: 'example', ...e }));
  return bounded([...asserts, ...examples]);
}

/** The asserts the team wrote in ```python blocks of its outputs (the code under test itself is skipped). */
export function teamTests(texts: readonly string[]): TaskTest[] {
  const codes = texts.flatMap((t) => pythonBlocks(t).flatMap((b) => assertsIn(b.code)));
  return bounded(codes.map((code, i): TaskTest => ({ id: `team-${i + 1}`, source: 'team', kind: 'assert', code })));
}

/** The test as one line of Python, for feedback to a producer and for the audit. */
export function testText(t: TaskTest): string {
  return t.kind === 'assert' ? t.code : `${t.call}  # expected: ${t.expected}`;
}
