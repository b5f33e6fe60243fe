/**
 * Executable checks: when a verifier checks code, the code is run in the sandbox
 * instead of trusting a model's verdict. This module picks what to run from the team's
 * outputs and combines the execution result with the model's verdict; the workflow runs it
 * with the `python` tool. Pure.
 */
import { stripVerdict, verdictOf } from './verdict';
import { pythonBlocks } from './extract';
import { withoutDefinitions } from './taskTests';

const DEFINES = /^\s*(def|class)\s+\w+/m;
const TESTS = /^\s*(assert\b|check\(|unittest\.main\(|doctest\.testmod\()/m;

export interface CodeCheck {
  /** The program to run: the producer's code, then the tests found. */
  program: string;
  /** Whether the program contains tests (asserts, doctest, unittest): a clean run then is evidence of PASS. */
  hasTests: boolean;
}

/**
 * The producer's code (the last python block that defines a function or class, else the
 * last python-tagged block, in the nearest upstream output that has one) plus every block with tests from the upstream
 * outputs and the verifier's own answer. Null when there is no python code to run.
 */
export function codeToCheck(upstreamTexts: readonly string[], verifierText: string): CodeCheck | null {
  let main: string | null = null;
  for (let i = upstreamTexts.length - 1; i >= 0 && main === null; i--) {
    const blocks = pythonBlocks(upstreamTexts[i]);
    const defining = blocks.filter((b) => DEFINES.test(b.code));
    // A block tagged python that defines nothing valid ("function f(s):") is still the code to run: it must crash.
    const tagged = blocks.filter((b) => b.lang !== '' && !TESTS.test(b.code));
    const pick = defining.length ? defining : tagged;
    if (pick.length) main = pick[pick.length - 1].code;
  }
  if (main === null) return null;
  const tests: string[] = [];
  for (const text of [...upstreamTexts, verifierText]) {
    for (const b of pythonBlocks(text)) {
      if (b.code === main || !TESTS.test(b.code)) continue;
      // A test block that redefines the function would test its own copy: keep only its other statements.
      const code = DEFINES.test(b.code) ? withoutDefinitions(b.code) : b.code;
      if (code.trim() && !tests.includes(code)) tests.push(code);
    }
  }
  const program = [main.trimEnd(), ...tests.map((t) => t.trimEnd())].join('\n\n') + '\n';
  return { program, hasTests: TESTS.test(program) };
}

export interface CheckOutcome {
  ok: boolean;
  /** stdout/stderr preview, or the error. */
  output: string;
}

/**
 * The verdict that stands. A crash or failed assert is FAIL whatever the model said (the
 * error text becomes the feedback); a clean run of code with tests is PASS even when the
 * model said FAIL; a clean run without tests only shows the code runs, so the model's
 * verdict stands.
 */
export function combineVerdict(modelText: string, check: CodeCheck, outcome: CheckOutcome): { text: string; overridden: boolean } {
  const said = verdictOf(modelText);
  const rest = stripVerdict(modelText);
  if (!outcome.ok) {
    return { text: `FAIL (executed check: the code ${check.hasTests ? 'or its tests ' : ''}failed when run)\n${outcome.output.trim().slice(0, 600)}\n\n${rest}`.trim(), overridden: said !== 'FAIL' };
  }
  if (check.hasTests && said === 'FAIL') {
    return { text: `PASS (executed check: the code and its tests ran cleanly; the reviewer's FAIL was not borne out)\n\n${rest}`.trim(), overridden: true };
  }
  return { text: modelText, overridden: false };
}
