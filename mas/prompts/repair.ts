/** The structured-output repair round's message (activities/models/structured.ts sends it after an invalid answer). */

/**
 * Names every rule the answer broke, one line each (graph rules arrive as whole sentences
 * naming the agents), so a small model knows exactly what to change.
 */
export function repairPrompt(issues: string): string {
  const lines = issues
    .split('; ')
    .map((l) => l.replace(/^\(root\): /, '').trim())
    .filter(Boolean);
  return `Your previous answer broke ${lines.length === 1 ? 'this rule' : 'these rules'}:\n${lines.map((l) => `- ${l}`).join('\n')}\nReply with only the corrected JSON object.`;
}
