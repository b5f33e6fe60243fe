/**
 * HumanEval / MBPP: the code in an answer and the test program built from it.
 * The program runs in the sandboxed python tool; pass@1 = it exits cleanly.
 */
import type { ScoringSpec } from './datasets';

export interface CodeBlock {
  lang: string;
  code: string;
}

/** Fenced blocks in order; an opening fence the answer never closes (cut off by max_tokens) runs to the end. */
export function codeBlocks(answer: string): CodeBlock[] {
  const out: CodeBlock[] = [];
  const re = /```[ \t]*([A-Za-z0-9_+-]*)[^\n]*\n([\s\S]*?)(?:```|$(?![\s\S]))/g;
  for (const m of answer.matchAll(re)) out.push({ lang: m[1].toLowerCase(), code: m[2].replace(/\s+$/, '') + '\n' });
  return out;
}

const PYTHON_TAGS = new Set(['python', 'python3', 'py']);

export function definesFunction(code: string, name: string): boolean {
  return new RegExp(`^[ \\t]*(?:async[ \\t]+)?def[ \\t]+${name.replace(/[^\w]/g, '')}[ \\t]*\\(`, 'm').test(code);
}

export interface ExtractedCode {
  code: string;
  /** `block`: a fenced block was chosen; `whole`: no block, the whole answer is taken as code. */
  from: 'block' | 'whole';
}

/**
 * Which code an answer gives: among its ```python blocks (untagged blocks
 * only when none is tagged python; other languages never), the last one that
 * defines `entryPoint`, else the last that defines or imports anything, else
 * the last block. Without any block, the whole answer (it passes only if it is code).
 */
export function extractCode(answer: string | null, entryPoint?: string | null): ExtractedCode | null {
  if (!answer?.trim()) return null;
  const blocks = codeBlocks(answer);
  const tagged = blocks.filter((b) => PYTHON_TAGS.has(b.lang));
  const candidates = tagged.length ? tagged : blocks.filter((b) => b.lang === '');
  if (!candidates.length) return blocks.length ? null : { code: answer.trim() + '\n', from: 'whole' };
  const last = <T>(xs: T[]): T | undefined => xs[xs.length - 1];
  const pick =
    (entryPoint ? last(candidates.filter((b) => definesFunction(b.code, entryPoint))) : undefined) ??
    last(candidates.filter((b) => /^\s*(def|class|import|from)\s/m.test(b.code))) ??
    last(candidates)!;
  return { code: pick.code, from: 'block' };
}

function indentBody(code: string): string {
  const first = code.split('\n').find((l) => l.trim());
  if (first && /^\s/.test(first)) return code;
  return code
    .split('\n')
    .map((l) => (l.trim() ? `    ${l}` : l))
    .join('\n');
}

export interface TestProgram {
  program: string;
  /** How the answer's code was used (for the report). */
  mode: 'full-function' | 'body' | 'mbpp';
}

const MARK = (what: string) => `\n\n# ---- ${what} (added by mas2 eval) ----\n`;

/**
 * HumanEval: when the code defines the entry point, `prompt` (its imports and
 * helpers) then the code (whose definition wins); when it is only a body,
 * `prompt + body` (indented under the signature when it is not), as the
 * benchmark defines a completion. Then `test` and `check(entry_point)`.
 * MBPP: `test_setup_code`, the code, then every assert of `test_list`.
 */
export function buildTestProgram(spec: Extract<ScoringSpec, { kind: 'humaneval' | 'mbpp' }>, code: string): TestProgram {
  if (spec.kind === 'humaneval') {
    const full = definesFunction(code, spec.entryPoint);
    const prompt = spec.prompt.endsWith('\n') ? spec.prompt : `${spec.prompt}\n`;
    const head = full ? `${prompt}${MARK('the answer')}${code}` : `${prompt}${indentBody(code)}`;
    return { program: `${head}${MARK('HumanEval test')}${spec.test}\n\ncheck(${spec.entryPoint})\n`, mode: full ? 'full-function' : 'body' };
  }
  const setup = spec.setup.trim() ? `${spec.setup}\n` : '';
  return { program: `${setup}${MARK('the answer')}${code}${MARK('MBPP tests')}${spec.tests.join('\n')}\n`, mode: 'mbpp' };
}
