/**
 * GSM8K and MATH scorers. GSM8K: the answer's final number against the number
 * after "####". MATH: the answer's last \boxed{} (else its final-answer line)
 * against the reference, both normalised the way the MATH paper's checker
 * does (string rewriting, not symbolic algebra; docs/evaluation.md says what that misses).
 */
import { afterLastMarker, finalNumber, lastBoxedIn, toNumber } from '../extract';

export interface ScoreOutcome {
  pass: boolean;
  /** What was read out of the answer (null when nothing could be). */
  extracted: string | null;
  detail: string;
}

// ---------------------------------------------------------------- GSM8K
export function scoreGsm8k(answer: string | null, expected: string): ScoreOutcome {
  const want = toNumber(expected);
  if (!answer?.trim()) return { pass: false, extracted: null, detail: 'no answer' };
  const got = finalNumber(answer);
  if (got === null) return { pass: false, extracted: null, detail: 'no number in the answer' };
  const pass = Math.abs(Number(got) - want) <= 1e-6 * Math.max(1, Math.abs(want));
  return { pass, extracted: got, detail: `${got} ${pass ? '=' : '≠'} ${expected}` };
}

// ---------------------------------------------------------------- MATH
/** Replaces `\cmd{x}` (balanced braces) by `wrap(x)`. */
function unwrapCommand(s: string, cmd: RegExp, wrap: (inner: string) => string): string {
  let out = s;
  for (let guard = 0; guard < 50; guard++) {
    const m = cmd.exec(out);
    if (!m) break;
    const open = m.index + m[0].length;
    let depth = 1;
    let i = open;
    for (; i < out.length && depth > 0; i++) {
      if (out[i] === '{') depth++;
      else if (out[i] === '}') depth--;
    }
    if (depth !== 0) break;
    out = out.slice(0, m.index) + wrap(out.slice(open, i - 1)) + out.slice(i);
  }
  return out;
}

/** \frac12 → \frac{1}{2}, \frac1{b} → \frac{1}{b}, \frac{a}2 → \frac{a}{2}. */
function fixFracs(s: string): string {
  return s.replace(/\\frac(?:\s*(\{[^{}]*\}|[0-9a-zA-Z]))(?:\s*(\{[^{}]*\}|[0-9a-zA-Z]))/g, (_all, a: string, b: string) => {
    const brace = (x: string) => (x.startsWith('{') ? x : `{${x}}`);
    return `\\frac${brace(a)}${brace(b)}`;
  });
}

/** \sqrt3 → \sqrt{3}. */
function fixSqrt(s: string): string {
  return s.replace(/\\sqrt\s*([0-9a-zA-Z])/g, '\\sqrt{$1}');
}

/**
 * A MATH answer in canonical form: the rewrites of the MATH paper's
 * `is_equiv` (spaces, \left/\right, \dfrac/\tfrac, degrees, $, units, "x =",
 * \frac12, 0.5 → \frac{1}{2}), plus \text{} unwrapping and thousands commas.
 */
export function normalizeMath(raw: string): string {
  let s = raw.trim();
  const boxed = lastBoxedIn(s);
  if (boxed !== null) s = boxed;
  s = s.replace(/\n/g, ' ').replace(/\\[!,;:]/g, '').replace(/\\ /g, ' ').replace(/~/g, ' ');
  s = s.replace(/\\\\/g, '\\');
  s = s.replace(/\\[dt]frac/g, '\\frac');
  s = s.replace(/\\left\s*|\\right\s*|\\big[lr]?\s*|\\Big[lr]?\s*/g, '');
  s = s.replace(/\^\s*\{\s*\\circ\s*\}|\^\s*\\circ|°|\\circ/g, '');
  s = s.replace(/\\\$|\$/g, '');
  // A trailing unit in words ("5 \text{ cm}", "10\mbox{ inches}", "12 degrees") goes; text that is the answer stays.
  s = s.replace(/^(.*\d.*?)\s*\\(?:text|mbox|mathrm)\s*\{\s*[A-Za-z][A-Za-z .^0-9]*\}\s*$/, '$1');
  s = s.replace(/(\d)\s*(?:degrees?|cm|meters?|inches|inch|feet|units?|dollars?|cents?)\.?\s*$/i, '$1');
  s = unwrapCommand(s, /\\(?:text|textbf|textit|mbox|mathrm|mathbf|operatorname)\s*\{/, (x) => x);
  s = s.replace(/\\%|%/g, '');
  s = s.replace(/\\displaystyle/g, '');
  // "x = 5" → "5" when the left side is a short name (the MATH checker's rule).
  const eq = /^\s*([A-Za-z]\w?|\\[a-z]+)\s*=\s*(.+)$/.exec(s);
  if (eq) s = eq[2];
  s = s.replace(/\s+/g, '');
  s = s.replace(/(^|[^\d])\.(\d)/g, '$10.$2');
  s = fixSqrt(s);
  s = fixFracs(s);
  s = s.replace(/\.+$/, '');
  if (/^-?\d{1,3}(,\d{3})+(\.\d+)?$/.test(s)) s = s.replace(/,/g, '');
  // Simple fractions and decimals take one form: a/b → \frac{a}{b}; 0.5 → \frac{1}{2}.
  const slash = /^(-?\d+)\/(\d+)$/.exec(s);
  if (slash) s = `\\frac{${slash[1]}}{${slash[2]}}`;
  if (s === '0.5') s = '\\frac{1}{2}';
  s = s.replace(/^\{(.*)\}$/, (all, inner: string) => (/[{}]/.test(inner) ? all : inner));
  return s;
}

/** A number when the normalised answer is one: an integer, a decimal, or ±\frac{a}{b} of those. */
export function mathValue(norm: string): number | null {
  if (/^-?\d+(\.\d+)?$/.test(norm)) return Number(norm);
  const f = /^(-?)\\frac\{(-?\d+(?:\.\d+)?)\}\{(-?\d+(?:\.\d+)?)\}$/.exec(norm);
  if (f && Number(f[3]) !== 0) return (f[1] ? -1 : 1) * (Number(f[2]) / Number(f[3]));
  return null;
}

export function mathEquivalent(a: string, b: string): boolean {
  const na = normalizeMath(a);
  const nb = normalizeMath(b);
  if (na === nb) return true;
  const va = mathValue(na);
  const vb = mathValue(nb);
  return va !== null && vb !== null && Math.abs(va - vb) <= 1e-9 * Math.max(1, Math.abs(vb));
}

/** The answer a MATH response gives: its last \boxed{}, else what follows its last final-answer marker (first line), else its last line. */
export function mathFinalAnswer(answer: string): string | null {
  const boxed = lastBoxedIn(answer);
  if (boxed !== null) return boxed;
  const after = afterLastMarker(answer);
  const line = (after ?? answer)
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const pick = after !== null ? line[0] : line[line.length - 1];
  if (!pick) return null;
  // "$\frac{1}{2}$." → the maths between the dollars.
  const dollars = /\$([^$]+)\$/.exec(pick);
  return (dollars ? dollars[1] : pick).replace(/[.\s]+$/, '') || null;
}

export function scoreMath(answer: string | null, expected: string): ScoreOutcome {
  if (!answer?.trim()) return { pass: false, extracted: null, detail: 'no answer' };
  const got = mathFinalAnswer(answer);
  if (got === null) return { pass: false, extracted: null, detail: 'no \\boxed{} or final answer' };
  const pass = mathEquivalent(got, expected);
  return { pass, extracted: got, detail: `${normalizeMath(got)} ${pass ? '≡' : '≢'} ${normalizeMath(expected)}` };
}
