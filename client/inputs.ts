/** Reading and checking what the user hands to `mas2 run`: pool file, budget, faults, ids. */
import * as fs from 'node:fs';
import YAML from 'yaml';
import type { z } from 'zod';
import { PoolSchema, TaskTextSchema, type Fault, type Pool } from '../mas/schemas';
import { parseFault } from '../mas/faults';
import { UserError } from './errors';

function issuesLine(err: z.ZodError): string {
  return err.issues
    .slice(0, 4)
    .map((i) => `${i.path.length ? i.path.join('.') : '(top level)'}: ${i.message}`)
    .join('; ');
}

export function loadPoolFile(file: string): Pool {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new UserError(`cannot read pool file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}; check the path (see "Pool file" in docs/configuration.md)`);
  }
  let raw: unknown;
  try {
    raw = /\.ya?ml$/i.test(file) ? YAML.parse(text) : JSON.parse(text);
  } catch (e) {
    throw new UserError(`pool file ${file} is not valid ${/\.ya?ml$/i.test(file) ? 'YAML' : 'JSON'}: ${(e as Error).message.split('\n')[0]}`);
  }
  const parsed = PoolSchema.safeParse(raw);
  if (!parsed.success) throw new UserError(`pool file ${file} is invalid: ${issuesLine(parsed.error)} (see "Pool file" in docs/configuration.md)`);
  return parsed.data;
}

// ---------------------------------------------------------------- numbers on the command line

/** Plain decimal notation only: Number() would also take "", " ", "0x10", "0b1", "Infinity" and "1e400". */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

export interface NumberRule {
  integer?: boolean;
  /** Inclusive lower bound. */
  min?: number;
  /** Exclusive lower bound. */
  above?: number;
  max?: number;
}

function ruleText(r: NumberRule): string {
  const parts = [r.integer ? 'a whole number' : 'a number'];
  if (r.above !== undefined) parts.push(`above ${r.above}`);
  if (r.min !== undefined && r.max !== undefined) parts.push(`from ${r.min} to ${r.max}`);
  else if (r.min !== undefined) parts.push(`≥ ${r.min}`);
  else if (r.max !== undefined) parts.push(`${r.above !== undefined ? 'and ' : ''}at most ${r.max}`);
  return parts.join(' ');
}

/** Checks one option value against its rule; throws Error("must be …") for the caller to name the option. */
export function parseNumber(value: string, rule: NumberRule): number {
  const v = String(value).trim();
  const n = DECIMAL.test(v) ? Number(v) : NaN;
  const ok =
    Number.isFinite(n) &&
    (!rule.integer || Number.isSafeInteger(n)) &&
    (rule.min === undefined || n >= rule.min) &&
    (rule.above === undefined || n > rule.above) &&
    (rule.max === undefined || n <= rule.max);
  if (!ok) throw new Error(`must be ${ruleText(rule)} in decimal notation (got "${value}")`);
  return n === 0 ? 0 : n; // -0 is 0
}

/** The rules of `mas2 run`'s numeric options: the same bounds as TaskInputSchema / TaskOptionsSchema. */
export const RULES = {
  budget: { above: 0 },
  theta: { above: 0, max: 1 },
  maxRectifications: { integer: true, min: 0, max: 20 },
  seed: { integer: true },
  positive: { integer: true, min: 1 },
  port: { integer: true, min: 1, max: 65535 },
} satisfies Record<string, NumberRule>;

export function parseBudget(value: string): number {
  try {
    return parseNumber(value, RULES.budget);
  } catch {
    throw new UserError(`--budget must be a number of USD above 0 (got "${value}")`);
  }
}

/** Where a path in TaskInput comes from on the command line, for a one-line message. */
const OPTION_OF: Record<string, string> = {
  task: 'the task',
  budgetUsd: '--budget',
  pool: '--pool',
  faults: '--fault',
  'options.thetaFraction': '--theta',
  'options.maxRectifications': '--max-rectifications',
  'options.seed': '--seed',
};

/** One line for a ZodError: each issue named by the option it came from (or its path). */
export function zodLine(err: z.ZodError, prefix: string[] = []): string {
  return err.issues
    .slice(0, 4)
    .map((i) => {
      const p = [...prefix, ...i.path.map(String)];
      const key = Object.keys(OPTION_OF).find((k) => p.join('.') === k || p.join('.').startsWith(`${k}.`));
      return `${key ? OPTION_OF[key] : p.length ? p.join('.') : 'input'}: ${i.message}`;
    })
    .join('; ');
}

export function isZodError(e: unknown): e is z.ZodError {
  return typeof e === 'object' && e !== null && (e as { name?: string }).name === 'ZodError' && Array.isArray((e as { issues?: unknown }).issues);
}

export function parseFaults(specs: string[]): Fault[] {
  return specs.map((s) => {
    try {
      return parseFault(s);
    } catch (e) {
      throw new UserError((e as Error).message);
    }
  });
}

export function checkTask(task: string | undefined): string {
  const r = TaskTextSchema.safeParse(task ?? '');
  if (r.success) return r.data;
  if (r.error.issues[0]?.code === 'too_small') throw new UserError('the task is empty: give it in quotes, e.g. mas2 run "Write a Python function fib(n)"');
  throw new UserError(r.error.issues[0]?.message ?? 'the task is not valid');
}

export function checkWorkflowId(id: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(id)) throw new UserError(`--id "${id}" is not valid: use 1–128 letters, digits, ".", "_" or "-", starting with a letter or digit`);
  return id;
}

export function newWorkflowId(): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
  return `mas2-${stamp}-${Math.random().toString(36).slice(2, 7)}`;
}
