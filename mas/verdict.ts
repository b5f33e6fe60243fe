/**
 * The one verdict grammar. A verifier answers PASS or FAIL, a reviewer in a feedback loop
 * REVISE, and models write these every way they can: bold, in quotes or backticks, after a
 * "Verdict:" label, in any case, followed by punctuation. Every reader — the workflow's
 * verifier trigger and feedback loops, the run's answer, the executed check — reads a verdict
 * through `verdictOf`, so a `**FAIL**` is a FAIL everywhere.
 *
 * The verdict must open the text. The grammar reads a bounded prefix (at most
 * VERDICT_PREFIX_CHARS characters after leading whitespace), so the workflow's 240-character
 * preview of an output (mas/content.ts) gives the same verdict as the whole text.
 */
export type Verdict = 'PASS' | 'FAIL' | 'REVISE';

/** Longest prefix the grammar can read (bounded repetitions below); well inside the preview. */
export const VERDICT_PREFIX_CHARS = 120;

const SPACE = '[ \\t]{0,8}';
const OPEN = `(?:\\*\\*|__|[*_\`"'“‘«(\\[])`;
const CLOSE = `(?:\\*\\*|__|[*_\`"'”’»)\\]])`;
/** "# ", "> ", "- ": a heading, a quote or a list item around the verdict. */
const LEAD = `(?:[#>-]{1,3}${SPACE})?`;
/** "Verdict:", "**Verdict:**", "Verdict -" before the word. */
const LABEL = `(?:verdict${CLOSE}{0,2}${SPACE}[:\\-–—]?${CLOSE}{0,2}\\s{0,8}${OPEN}{0,3}${SPACE})?`;
/** The word, not the start of a longer one ("PASSED", "pass_through"); "__PASS__" is bold. */
const WORD = '(PASS|FAIL|REVISE)(?![\\p{L}\\p{N}]|_[\\p{L}\\p{N}])';
const HEAD = `^\\s*${LEAD}${OPEN}{0,3}${SPACE}${LABEL}${WORD}`;

const VERDICT = new RegExp(HEAD, 'iu');
/** The verdict and what belongs to it: closing marks, one punctuation mark, the spaces after. */
const VERDICT_LINE = new RegExp(`${HEAD}${CLOSE}{0,3}${SPACE}[:.,;!\\-–—]?${CLOSE}{0,3}${SPACE}`, 'iu');

/** The verdict a text opens with, or null. */
export function verdictOf(text: string): Verdict | null {
  const m = VERDICT.exec(text);
  return m ? (m[1].toUpperCase() as Verdict) : null;
}

/** The text without its opening verdict: "**FAIL:** the sum is 5" → "the sum is 5". */
export function stripVerdict(text: string): string {
  return VERDICT.test(text) ? text.replace(VERDICT_LINE, '').trim() : text;
}

/**
 * How workflow code read verdicts before this grammar (plain `FAIL` / `REVISE` at the start
 * only). Kept solely so runs recorded before it replay as they ran; new decisions use verdictOf.
 */
export function legacyVerdictOf(text: string): Verdict | null {
  const m = /^\s*(FAIL|REVISE)\b/i.exec(text);
  return m ? (m[1].toUpperCase() as Verdict) : null;
}
