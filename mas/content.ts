/**
 * Content by reference: agent outputs live in the blob store, and the workflow
 * keeps only a bounded preview of each plus its length. The preview is all the
 * workflow's decisions read (a verifier's FAIL, a reviewer's REVISE, the
 * Rectifier's 240-character view of finished work), and the length is all the
 * cost projection reads, so history grows with the number of calls, not with
 * the size of what the agents write. client/resolve.ts turns the references
 * back into text for the user.
 */

/** As long as the Rectifier's view of a finished output (mas/summary.ts), so it sees what it saw before. */
export const PREVIEW_CHARS = 240;

/**
 * The start of a text, without leading whitespace: `^\s*FAIL` and `^\s*REVISE` match the
 * preview exactly when they match the whole text, however much whitespace comes first.
 */
export function previewOf(text: string): string {
  return text.trimStart().slice(0, PREVIEW_CHARS);
}

/** Stored output text by the workflow's rules: a preview and the full length (legacy results carry full text only). */
export function storedText(text: string): { text: string; chars: number } {
  return { text: previewOf(text), chars: text.length };
}

/** The full length of an output the workflow holds (full text in results recorded before previews). */
export function outputChars(o: { text: string; chars?: number }): number {
  return o.chars ?? o.text.length;
}
