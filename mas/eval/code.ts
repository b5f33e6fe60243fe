/**
 * HumanEval / MBPP: the code in an answer and the test program built from it.
 * The program runs in the sandboxed python tool; pass@1 = it exits cleanly.
 */
import type { ScoringSpec } from './datasets';
import { definesFunction } from '../extract';

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
