/**
 * Everything the CLI prints for a person goes through here. Text a model or a
 * user wrote (answers, tasks, reasons, tool errors, template names) reaches the
 * terminal with its control characters made visible: an escape sequence in an
 * answer must not set the window title, clear the screen, move the cursor over
 * earlier lines or write the clipboard (OSC 52). `--json` output stays JSON:
 * the characters JSON leaves raw (DEL, C1, line separators, bidi overrides) are
 * written as \u escapes, so the parsed value is the same.
 */

/** C0 controls, DEL, C1 controls; bidi embeddings, overrides and isolates (they reorder what is shown). */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const UNSAFE_KEEP_LINES = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const JSON_RAW = /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const NAMED: Record<string, string> = { '\n': '\\n', '\t': '\\t', '\r': '\\r' };

function visible(c: string): string {
  const code = c.charCodeAt(0);
  return NAMED[c] ?? (code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`);
}

/** Multi-line text (an answer, a report): line breaks and tabs kept, every other control character visible. */
export function printable(text: string): string {
  return String(text).replace(UNSAFE_KEEP_LINES, visible);
}

/** One line (a progress line, a list row): line breaks shown as \n too. */
export function oneLine(text: string): string {
  return String(text).replace(UNSAFE, visible);
}

/** JSON text with nothing a terminal would interpret: same value when parsed. */
export function jsonText(value: unknown, indent = 2): string {
  return (JSON.stringify(value, null, indent) ?? 'null').replace(JSON_RAW, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** `mas2: <line>` on stderr. */
export function say(line: string): void {
  process.stderr.write(`mas2: ${oneLine(line)}\n`);
}

/** Text for stdout, multi-line. */
export function out(text: string): void {
  process.stdout.write(printable(text));
}

/** Text for stderr, multi-line (summaries). */
export function err(text: string): void {
  process.stderr.write(printable(text));
}

export function printJson(value: unknown): void {
  process.stdout.write(jsonText(value) + '\n');
}
