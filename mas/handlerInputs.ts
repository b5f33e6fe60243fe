/**
 * Checks for what any client may send to a running workflow (signals, updates,
 * queries). Any client means the Temporal CLI, the UI or another team's code,
 * so the arguments are unknown JSON: a handler that trusts their shape throws,
 * and a throwing signal handler fails every workflow task after it — the run
 * is wedged. These checks never throw; they return the value or one sentence
 * saying what was wrong. Hand-written (the workflow bundle carries no zod);
 * test/unit/mas/handlerInputs.test.ts holds them to RectifySignalSchema and
 * RaiseBudgetSchema in mas/schemas.ts.
 */

/** A rectify reason longer than this is refused: it would travel into every later Rectifier prompt. */
export const MAX_REASON_CHARS = 2000;
/** The run keeps this many rejected signals; past it only the count grows (history stays bounded). */
export const MAX_REJECTED_SIGNALS = 50;

export const DEFAULT_RECTIFY_REASON = 'operator requested a rectification';

export interface RejectedSignal {
  name: string;
  /** Workflow time at which the signal was handled. */
  at: string;
  problem: string;
}

export type Checked<T> = { ok: true; value: T } | { ok: false; problem: string };

/** A short, single-line rendering of whatever was sent, for the problem sentence. */
export function describeArgs(args: readonly unknown[]): string {
  if (args.length === 0) return 'no input';
  let text: string;
  try {
    text = args.map((a) => (a === undefined ? 'undefined' : JSON.stringify(a) ?? String(a))).join(', ');
  } catch {
    text = args.map((a) => typeof a).join(', ');
  }
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `rectify` takes one `{"reason"?: string}`; an empty reason means "operator requested a rectification". */
export function checkRectifyArgs(args: readonly unknown[]): Checked<{ reason: string }> {
  const expects = `rectify expects one {"reason": string} of at most ${MAX_REASON_CHARS} characters; got ${describeArgs(args)}`;
  if (args.length !== 1 || !isPlainObject(args[0])) return { ok: false, problem: expects };
  const reason = args[0].reason;
  if (reason !== undefined && typeof reason !== 'string') return { ok: false, problem: expects };
  if (typeof reason === 'string' && reason.length > MAX_REASON_CHARS) {
    return { ok: false, problem: `rectify expects a reason of at most ${MAX_REASON_CHARS} characters; got ${reason.length}` };
  }
  return { ok: true, value: { reason: reason?.trim() || DEFAULT_RECTIFY_REASON } };
}

/** The shape of `raiseBudget`'s argument: one `{"budgetUsd": number}` with a finite, positive number. */
export function checkRaiseBudgetArgs(args: readonly unknown[]): Checked<{ budgetUsd: number }> {
  const expects = `raiseBudget expects one {"budgetUsd": number}; got ${describeArgs(args)}`;
  if (args.length !== 1 || !isPlainObject(args[0])) return { ok: false, problem: expects };
  const b = args[0].budgetUsd;
  if (typeof b !== 'number' || !Number.isFinite(b) || b <= 0) return { ok: false, problem: expects };
  return { ok: true, value: { budgetUsd: b } };
}

/** Appends to a bounded list of rejected signals; returns the new total count. */
export function recordRejected(list: RejectedSignal[], total: number, entry: RejectedSignal): number {
  if (list.length < MAX_REJECTED_SIGNALS) list.push(entry);
  return total + 1;
}

/** What the audit says about one signal in the history (the same checks the workflow ran). */
export function signalProblem(name: string, args: readonly unknown[], known: readonly string[]): string | undefined {
  if (!known.includes(name)) return `unknown signal "${name}" (this workflow handles ${known.join(', ') || 'no signals'}); ignored`;
  if (name === 'rectify') {
    const c = checkRectifyArgs(args);
    return c.ok ? undefined : c.problem;
  }
  return undefined;
}
