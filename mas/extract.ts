/**
 * Reading answers out of model text: the final number (GSM8K style), the text after a
 * final-answer marker, a \boxed{} value, and fenced code blocks. Shared by the benchmark
 * scorers (mas/eval) and by the team's own votes and checks (mas/vote.ts, mas/taskTests.ts),
 * so a run and its score read an answer the same way. Pure and free of zod: workflow code
 * may use it.
 */

// ---------------------------------------------------------------- \boxed{}
/** The contents of the last \boxed{...} (or \fbox{...}), braces balanced; null without one. */
export function lastBoxedIn(text: string): string | null {
  let at = -1;
  for (const m of text.matchAll(/\\(?:boxed|fbox)\s*\{/g)) at = (m.index ?? -1) + m[0].length;
  if (at < 0) return null;
  let depth = 1;
  for (let i = at; i < text.length; i++) {
    if (text[i] === '{') depth++;
    else if (text[i] === '}' && --depth === 0) return text.slice(at, i);
  }
  return null;
}

// ---------------------------------------------------------------- final segment
const MARKERS = /(?:final answer|the answer is|answer\s*[:：]|####)\s*[:：]?/gi;

/** The text after the last "Final answer:" / "The answer is" / "####" marker, or null without one. */
export function afterLastMarker(answer: string): string | null {
  let end = -1;
  for (const m of answer.matchAll(MARKERS)) end = (m.index ?? 0) + m[0].length;
  return end < 0 ? null : answer.slice(end);
}

// ---------------------------------------------------------------- numbers
const NUMBER = /[-−]?\$?\s?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|[-−]?\.\d+/g;

export function toNumber(token: string): number {
  return Number(token.replace(/−/g, '-').replace(/[$,\s]/g, ''));
}

/**
 * The final number of an answer: inside its last \boxed{}, else the first
 * number after its last final-answer marker, else its last number. "$1,234."
 * reads 1234 (currency, thousands commas and a sentence's full stop are not part of it).
 */
export function finalNumber(answer: string): string | null {
  const boxed = lastBoxedIn(answer);
  const pick = (text: string | null, which: 'first' | 'last'): string | null => {
    if (text === null) return null;
    const all = text.match(NUMBER) ?? [];
    const t = which === 'first' ? all[0] : all[all.length - 1];
    return t === undefined ? null : String(toNumber(t));
  };
  return pick(boxed, 'last') ?? pick(afterLastMarker(answer)?.split('\n').find((l) => /\d/.test(l)) ?? null, 'first') ?? pick(answer, 'last');
}

// ---------------------------------------------------------------- code
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

export const PYTHON_TAGS: ReadonlySet<string> = new Set(['python', 'python3', 'py']);

/** The Python blocks of a text: tagged python, or untagged ones that read as Python (they start a definition, an import, an assert or a print). */
export function pythonBlocks(text: string): CodeBlock[] {
  return codeBlocks(text).filter((b) => PYTHON_TAGS.has(b.lang) || (b.lang === '' && /^\s*(def|class|import|from|assert|print)\b/m.test(b.code)));
}

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

/** A line that reads as Python: a statement's start, an assignment, a call, a comment, or a line inside a block. */
const CODE_LINE = /^(\s+\S|\s*(#|@|def\s|class\s|import\s|from\s|for\s|while\s|if\s|elif\s|else\s*:|try\s*:|except\b|finally\s*:|with\s|return\b|print\s*\(|assert\s|raise\s|pass\b|break\b|continue\b)|\s*[A-Za-z_][\w.]*(\[[^\]]*\])?\s*(,\s*[A-Za-z_]\w*\s*)*[-+*/%]?=(?!=)|\s*[A-Za-z_][\w.]*\(.*\)\s*$|\s*[)\]}])/;

/** A top-level line of prose: a sentence (capital letter, four or more words, no code punctuation) or an answer line. */
const SENTENCE = /^[A-Z][a-z']*(\s+[^\s=()[\]{}#]+){3,}$/;
const ANSWER_LINE = /^(final answer|the answer|answer|therefore|so)\b[^=()]*:.*$/i;
const isProse = (line: string) => SENTENCE.test(line) || ANSWER_LINE.test(line);

/** The lines of a fenced block minus top-level prose (outside triple-quoted strings, which may hold anything). */
function withoutProse(code: string): string {
  let inString = false;
  const kept: string[] = [];
  for (const line of code.split('\n')) {
    const quotes = (line.match(/"""|\'\'\'/g) ?? []).length;
    if (inString || quotes || /^\s/.test(line) || !isProse(line.trim()) || !line.trim()) kept.push(line);
    if (quotes % 2 === 1) inString = !inString;
  }
  return kept.join('\n');
}

/**
 * The program a programmer's reply gives, to run as it is: the code `extractCode` chooses,
 * without the sentences a small model writes into its block ("The first glass costs $5.",
 * "Final answer: 64"); when the reply has no fenced block, only its lines that read as Python.
 * Running the sentences only reports a SyntaxError about prose, round after round. Null when
 * nothing reads as code.
 */
export function extractProgram(reply: string | null): ExtractedCode | null {
  const code = extractCode(reply);
  if (!code) return null;
  const lines = code.from === 'block' ? withoutProse(code.code).split('\n') : code.code.split('\n').filter((l) => !l.trim() || CODE_LINE.test(l));
  const program = lines.join('\n').trim();
  return program ? { code: program + '\n', from: code.from } : null;
}
