/** Reading and checking what the user hands to `mas2 run`: pool file, budget, faults, ids. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import YAML from 'yaml';
import type { z } from 'zod';
import { PoolSchema, type Fault, type Pool } from '../mas/schemas';
import { SIMULATOR_POOL } from '../mas/simulatorPool';
import { localPool } from './localModel/pool';
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
    throw new UserError(`cannot read pool file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}; check the path (see "Pool file" in the README)`);
  }
  let raw: unknown;
  try {
    raw = /\.ya?ml$/i.test(file) ? YAML.parse(text) : JSON.parse(text);
  } catch (e) {
    throw new UserError(`pool file ${file} is not valid ${/\.ya?ml$/i.test(file) ? 'YAML' : 'JSON'}: ${(e as Error).message.split('\n')[0]}`);
  }
  const parsed = PoolSchema.safeParse(raw);
  if (!parsed.success) throw new UserError(`pool file ${file} is invalid: ${issuesLine(parsed.error)} (see "Pool file" in the README)`);
  return parsed.data;
}

/** Used when a key is set and no pool file is given. */
export const OPENAI_DEFAULT_POOL: Pool = PoolSchema.parse({
  default: 'gpt-4o-mini',
  backbones: [
    { id: 'gpt-4o-mini', provider: 'openai', model: 'gpt-4o-mini', apiKeyEnv: 'OPENAI_API_KEY', pricing: { inputPerM: 0.15, outputPerM: 0.6 }, hints: { strengths: ['general', 'qa', 'summaries'] } },
    { id: 'gpt-4o', provider: 'openai', model: 'gpt-4o', apiKeyEnv: 'OPENAI_API_KEY', pricing: { inputPerM: 2.5, outputPerM: 10 }, hints: { strengths: ['code', 'math', 'reasoning'] } },
  ],
});

/** `--pool local` names the built-in preset (a file called "local" is still reachable as ./local). */
export const LOCAL_POOL_NAME = 'local';

export function choosePool(poolFile: string | undefined, env: NodeJS.ProcessEnv): { pool: Pool; note?: string; local?: boolean } {
  if (poolFile === LOCAL_POOL_NAME) {
    return { pool: localPool(), local: true, note: 'using the local models qwen-0.5b and qwen-1.5b (llama.cpp on 127.0.0.1; nominal prices)' };
  }
  if (poolFile) return { pool: loadPoolFile(path.resolve(poolFile)) };
  if (env.OPENAI_API_KEY) return { pool: OPENAI_DEFAULT_POOL, note: 'using OpenAI (gpt-4o-mini, gpt-4o) with OPENAI_API_KEY; pass --pool FILE for other backbones' };
  return { pool: SIMULATOR_POOL, note: 'no API key and no --pool: using the offline simulator backbone (deterministic, not a real model)' };
}

export function parseBudget(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new UserError(`--budget must be a number of USD above 0 (got "${value}")`);
  return n;
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
  const t = (task ?? '').trim();
  if (!t) throw new UserError('the task is empty: give it in quotes, e.g. mas2 run "Write a Python function fib(n)"');
  if (t.length > 20_000) throw new UserError(`the task is ${t.length} characters; keep it under 20000 (put long material in files the agents can read)`);
  return t;
}

export function checkWorkflowId(id: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(id)) throw new UserError(`--id "${id}" is not valid: use 1–128 letters, digits, ".", "_" or "-", starting with a letter or digit`);
  return id;
}

export function newWorkflowId(): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
  return `mas2-${stamp}-${Math.random().toString(36).slice(2, 7)}`;
}
