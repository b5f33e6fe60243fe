/**
 * Task kinds and which built-in team (mas/prompts/teams.ts) serves each: what the simulated
 * Generator proposes for a kind, and the Generator's fallback.
 */
import type { Template } from './schemas';
import { BUILTIN_TEAMS } from './prompts/teams';

export { DEFAULT_TEMPLATE } from './prompts/teams';

export type TaskKind = 'code' | 'math' | 'qa';

/**
 * The task's kind, by structure first and keywords second (docs/history-weak-models.md: a GSM8K word problem
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

export const TEMPLATES_BY_KIND: Record<TaskKind, Template> = { code: BUILTIN_TEAMS.code, math: BUILTIN_TEAMS.math, qa: BUILTIN_TEAMS.qa };

/**
 * The built-in team for a task when the Generator cannot help, using only tools that can
 * work here (`search` needs documents or a search service). Any other unavailable tool is
 * dropped from the agents that had it.
 */
export function fallbackTemplate(task: string, availableTools: readonly string[]): Template {
  const kind = classifyTask(task);
  const base = kind === 'qa' && !availableTools.includes('search') ? BUILTIN_TEAMS.qaWithoutSearch : TEMPLATES_BY_KIND[kind];
  return { ...base, agents: base.agents.map((a) => ({ ...a, tools: a.tools.filter((t) => availableTools.includes(t)) })) };
}
