/**
 * Self-consistency: the answer each sample gives, read the same way for every sample, and a
 * majority vote over them. A number is read as GSM8K is scored (mas/extract.ts: \boxed{}, a
 * final-answer marker, else the last number; commas, currency and units dropped); a text
 * answer is its final line, normalised the way QA benchmarks compare answers. A vote with no
 * readable answer at all is its own outcome, so an ensemble never passes off "no answer" as one.
 * Pure and free of zod: workflow code runs the vote.
 */
import { afterLastMarker, finalNumber, lastBoxedIn } from './extract';

export type VotedKind = 'number' | 'text';

/** A number in one spelling: 12 significant digits (float noise of printed programs goes), no "-0". */
export function canonicalNumber(token: string): string | null {
  const n = Number(token);
  if (!Number.isFinite(n)) return null;
  const rounded = Number(n.toPrecision(12));
  return String(Object.is(rounded, -0) ? 0 : rounded);
}

/** The final line of an answer: its last \boxed{}, else the first line after its last final-answer marker, else its last line. */
function finalSegment(text: string): string | null {
  const boxed = lastBoxedIn(text);
  if (boxed !== null) return boxed;
  const lines = (t: string) =>
    t
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);
  const after = afterLastMarker(text);
  if (after !== null && lines(after).length) return lines(after)[0];
  const all = lines(text);
  return all.length ? all[all.length - 1] : null;
}

/**
 * A short text answer in comparable form (SQuAD-style): lower case, markdown and punctuation
 * dropped (except inside numbers: "3.5" stays), articles dropped, spaces collapsed.
 */
export function normaliseText(s: string): string {
  return s
    .toLowerCase()
    .replace(/[*_`~]/g, ' ')
    .replace(/[.,](?!\d)|(?<!\d)[.,]|[!?;:"'“”‘’()[\]{}<>]/g, ' ')
    .replace(/\b(a|an|the)\b/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** The answer a text gives, in comparable form; null when it gives none. */
export function extractAnswer(text: string | null | undefined, kind: VotedKind): string | null {
  if (!text?.trim()) return null;
  if (kind === 'number') {
    const n = finalNumber(text);
    return n === null ? null : canonicalNumber(n);
  }
  const seg = finalSegment(text);
  const norm = seg === null ? '' : normaliseText(seg);
  return norm || null;
}

/** Whether two texts give the same answer (both must give one). */
export function sameAnswer(a: string | null | undefined, b: string | null | undefined, kind: VotedKind): boolean {
  const x = extractAnswer(a, kind);
  return x !== null && x === extractAnswer(b, kind);
}

export interface Tally {
  answer: string;
  votes: number;
  /** Indices of the samples that gave it, in order. */
  samples: number[];
}

export type VoteOutcome =
  | {
      kind: 'winner';
      answer: string;
      votes: number;
      /** Samples drawn, answered or not. */
      of: number;
      /** Samples that gave a readable answer. */
      answered: number;
      /** Votes ahead of the runner-up (0 when a tie was broken). */
      margin: number;
      /** True when several answers had the most votes and the earliest sample's answer was taken. */
      tie: boolean;
      /** The sample whose text stands for the winner: the first that gave it. */
      representative: number;
      /** Every answer given, most votes first (ties: earliest first sample first). */
      tally: Tally[];
    }
  | { kind: 'none'; of: number; reason: string };

/**
 * Majority over the samples' extracted answers (null = the sample gave none). Ties go to the
 * answer whose first sample came earliest: deterministic, and it favours no answer's content.
 */
export function vote(answers: readonly (string | null)[]): VoteOutcome {
  const byAnswer = new Map<string, Tally>();
  answers.forEach((a, i) => {
    if (a === null) return;
    const t = byAnswer.get(a) ?? { answer: a, votes: 0, samples: [] };
    t.votes++;
    t.samples.push(i);
    byAnswer.set(a, t);
  });
  const tally = [...byAnswer.values()].sort((x, y) => y.votes - x.votes || x.samples[0] - y.samples[0]);
  if (!tally.length) {
    return { kind: 'none', of: answers.length, reason: answers.length ? `none of the ${answers.length} samples gave a readable answer` : 'no samples were drawn' };
  }
  const [top, second] = tally;
  return {
    kind: 'winner',
    answer: top.answer,
    votes: top.votes,
    of: answers.length,
    answered: answers.filter((a) => a !== null).length,
    margin: top.votes - (second?.votes ?? 0),
    tie: second !== undefined && second.votes === top.votes,
    representative: top.samples[0],
    tally,
  };
}

/** Reads every sample's answer and votes. */
export function voteOn(texts: readonly (string | null)[], kind: VotedKind): VoteOutcome {
  return vote(texts.map((t) => extractAnswer(t, kind)));
}

/** One line for the audit: "156 (4 of 5 votes, margin 3)". */
export function describeVote(v: VoteOutcome): string {
  if (v.kind === 'none') return `no answer: ${v.reason}`;
  const others = v.tally.slice(1).map((t) => `${t.answer} ×${t.votes}`);
  return `${v.answer} (${v.votes} of ${v.of} votes${v.answered < v.of ? `, ${v.of - v.answered} without an answer` : ''}, margin ${v.margin}${v.tie ? ', tie broken by the earliest sample' : ''})${others.length ? `; also ${others.join(', ')}` : ''}`;
}
