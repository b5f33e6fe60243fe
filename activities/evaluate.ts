/**
 * CTO evaluators: does a trajectory's answer pass? Pluggable — a name maps to
 * a function; `registerEvaluator` adds one (the TASKS.jsonl schema lists the
 * built-in names). Built in:
 *   exact         normalized exact match against `expected`;
 *   numeric       the answer's number equals `expected` within a tolerance;
 *   python-tests  the answer's ```python code plus the task's tests run in the
 *                 sandboxed `python` tool; pass = the program exits cleanly.
 */
import * as path from 'node:path';
import { promises as fs } from 'node:fs';
import { Context } from '@temporalio/activity';
import type { EvaluateInput, EvaluateOutput } from '../mas/cto';
import type { Result } from '../mas/schemas';
import { executeTool } from './tools/registry';
import { extractCode } from '../mas/extract';
import { runDir } from './home';
import { dataPaths } from './dataPaths';
import type { ToolContext } from './tools/types';
import { activityInfo, withHeartbeat, type Runtime } from './runtime';

export type Evaluator = (input: EvaluateInput, ctx: { rt: Runtime; signal?: AbortSignal; heartbeat: () => void }) => Promise<EvaluateOutput>;

// ---------------------------------------------------------------- answer extraction
/** SQuAD-style normalization: lower case, no punctuation, no articles, single spaces. */
export function normalizeAnswer(s: string): string {
  return s
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[\p{P}\p{S}]+/gu, ' ')
    .replace(/\b(a|an|the)\b/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

const FINAL_MARKER = /final answer\s*[:：]?/gi;

/** The part of an answer after its last "Final answer:" marker, else the whole answer. */
export function finalSegment(answer: string): string {
  let last = -1;
  let len = 0;
  for (const m of answer.matchAll(FINAL_MARKER)) {
    last = m.index ?? -1;
    len = m[0].length;
  }
  return (last >= 0 ? answer.slice(last + len) : answer).trim();
}

/** "Solver: result: 395" → ["Solver: result: 395", "result: 395", "395"]: agents label their lines. */
function withoutLabels(line: string): string[] {
  const out = [line.trim()];
  let rest = line.trim();
  for (let i = 0; i < 4; i++) {
    const m = /^[A-Za-z][\w ()-]{0,40}:\s*(.+)$/s.exec(rest);
    if (!m) break;
    rest = m[1].trim();
    out.push(rest);
  }
  return out;
}

/** The strings an answer could be compared as: the whole text, its final segment, their last lines, without labels. */
export function answerCandidates(answer: string): string[] {
  const seg = finalSegment(answer);
  const lastLine = (t: string) => t.split('\n').map((l) => l.trim()).filter(Boolean).pop() ?? '';
  const firstLine = (t: string) => t.split('\n').map((l) => l.trim()).filter(Boolean)[0] ?? '';
  const raw = [answer, seg, lastLine(seg), firstLine(seg), lastLine(answer)];
  return [...new Set(raw.flatMap(withoutLabels).filter(Boolean))];
}

const NUMBER = /[-+−]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:[eE][-+]?\d+)?|[-+−]?\.\d+/g;

export function parseNumber(s: string): number {
  return Number(s.replace(/−/g, '-').replace(/,/g, ''));
}

/** The last number in the answer's final segment (where teams state the result). */
export function lastNumber(answer: string): number | null {
  const nums = finalSegment(answer).match(NUMBER) ?? [];
  for (let i = nums.length - 1; i >= 0; i--) {
    const n = parseNumber(nums[i]);
    if (Number.isFinite(n)) return n;
  }
  return null;
}

/** The code of the last ```python (or ```py / bare ```) block that defines something, else the last block (mas2 eval uses the same rule). */
export function extractPython(answer: string): string | null {
  const r = extractCode(answer);
  return r?.from === 'block' ? r.code : null;
}

// ---------------------------------------------------------------- the evaluators
const exact: Evaluator = async ({ answer, expected }) => {
  if (expected === undefined) return { pass: false, detail: 'no "expected" value for the exact evaluator' };
  if (!answer) return { pass: false, detail: 'no answer' };
  const want = normalizeAnswer(expected);
  const hit = answerCandidates(answer).find((c) => normalizeAnswer(c) === want);
  return hit !== undefined ? { pass: true, detail: `matches "${expected}"` } : { pass: false, detail: `no normalized match for "${expected}" in "${finalSegment(answer).slice(0, 120)}"` };
};

const numeric: Evaluator = async ({ answer, expected, tolerance }) => {
  if (expected === undefined) return { pass: false, detail: 'no "expected" value for the numeric evaluator' };
  const want = parseNumber(expected);
  if (!Number.isFinite(want)) return { pass: false, detail: `"expected" is not a number: ${expected}` };
  if (!answer) return { pass: false, detail: 'no answer' };
  const got = lastNumber(answer);
  if (got === null) return { pass: false, detail: `no number in "${finalSegment(answer).slice(0, 120)}"` };
  const tol = tolerance ?? Math.max(1e-6, 1e-9 * Math.abs(want));
  const pass = Math.abs(got - want) <= tol;
  return { pass, detail: `${got} ${pass ? '≈' : '≠'} ${want} (tolerance ${tol})` };
};

const pythonTests: Evaluator = async ({ answer, tests, workflowId }, { rt, signal, heartbeat }) => {
  if (!tests?.trim()) return { pass: false, detail: 'no tests for the python-tests evaluator' };
  const code = answer ? extractPython(answer) : null;
  if (!code) return { pass: false, detail: 'no ```python block in the answer' };
  const program = `${code}\n\n# ---- tests appended by the mas2 CTO evaluator ----\n${tests}\n`;
  return runTestProgram(program, { workspaceDir: path.join(runDir(rt.home, workflowId), 'eval'), dataPaths: dataPaths(rt.home), signal, heartbeat });
};

/**
 * Runs a test program (code + tests) in the sandboxed python tool: pass = it
 * exits cleanly. Shared by the CTO evaluator and `mas2 eval` (HumanEval, MBPP).
 */
export async function runTestProgram(program: string, ctx: ToolContext): Promise<EvaluateOutput> {
  await fs.mkdir(ctx.workspaceDir, { recursive: true });
  const r = await executeTool('python', JSON.stringify({ code: `${program}\nprint("mas2: all tests passed")\n` }), ctx);
  const tail = `${r.error ?? ''}\n${r.output}\n${r.stderr ?? ''}`.trim().slice(-400);
  return { pass: r.ok, detail: r.ok ? 'tests passed' : `tests failed: ${tail}` };
}

const REGISTRY = new Map<string, Evaluator>([
  ['exact', exact],
  ['numeric', numeric],
  ['python-tests', pythonTests],
]);

/** Adds (or replaces) an evaluator; a TASKS line can only name it after the line schema allows it too. */
export function registerEvaluator(name: string, fn: Evaluator): void {
  REGISTRY.set(name, fn);
}

export function evaluatorNames(): string[] {
  return [...REGISTRY.keys()];
}

export async function evaluate(rt: Runtime, input: EvaluateInput): Promise<EvaluateOutput> {
  const fn = REGISTRY.get(input.evaluator);
  if (!fn) return { pass: false, detail: `unknown evaluator "${input.evaluator}" (known: ${evaluatorNames().join(', ')})` };
  const info = activityInfo();
  const heartbeat = () => info.heartbeat();
  // The workflow carries the answer by reference (mas/content.ts): evaluate the full text.
  const full = input.answerRef ? { ...input, answer: await rt.blobs.get(input.answerRef), answerRef: undefined } : input;
  return withHeartbeat(fn(full, { rt, signal: info.signal, heartbeat }), info.heartbeat);
}

/** The stored result of a finished run, through the worker's own client (CTO restarts keep finished children). */
export async function ctoRunResult(input: { workflowId: string }): Promise<Result> {
  const client = Context.current().client;
  return (await client.workflow.getHandle(input.workflowId).result()) as Result;
}
