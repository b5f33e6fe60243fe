/**
 * One JSON object per line, with unique ids: the shape of benchmark files (mas2 eval) and of
 * CTO task files. Blank lines are skipped; the first bad line is reported with its number.
 */
export class JsonlError extends Error {}

export interface JsonlOptions<T> {
  /** For messages: `${file} line N`. */
  file: string;
  /** What a line holds, for "has no …" (e.g. "problems", "tasks"). */
  noun: string;
  /** Turns one parsed object into an item; throws (any Error) to reject the line. */
  item: (value: object, line: number, where: string) => T;
  id: (item: T) => string;
  /** Appended to the "not valid JSON" message, e.g. an example line. */
  jsonHint?: string;
  /** Appended to the duplicate-id message. */
  duplicateHint?: string;
}

export function parseJsonLines<T>(text: string, o: JsonlOptions<T>): T[] {
  const out: T[] = [];
  const seen = new Map<string, number>();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i].trim();
    if (!raw) continue;
    const where = `${o.file} line ${i + 1}`;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (e) {
      throw new JsonlError(`${where} is not valid JSON (${(e as Error).message.split('\n')[0]})${o.jsonHint ?? ''}`);
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new JsonlError(`${where} is not a JSON object`);
    const item = o.item(value, i + 1, where);
    const id = o.id(item);
    const first = seen.get(id);
    if (first !== undefined) throw new JsonlError(`${where}: id "${id}" is already used on line ${first}${o.duplicateHint ?? ''}`);
    seen.set(id, i + 1);
    out.push(item);
  }
  if (!out.length) throw new JsonlError(`${o.file} has no ${o.noun} (one JSON object per line)`);
  return out;
}
