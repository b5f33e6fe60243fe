/**
 * The user reads full text: the workflow keeps agent outputs by reference with
 * a bounded preview (mas/content.ts), and this turns a result document's
 * previews back into the texts from the blob store. A result recorded before
 * previews (full text, no `chars`) passes through unchanged.
 */
import type { Result } from '../mas/schemas';
import { answerFrom } from '../mas/answer';
import { openBlobStore, type BlobStore } from '../activities/blobStore';
import { mas2Home } from '../activities/home';

/** The blob store the workers write to: MAS2_BLOB_STORE (e.g. the cluster's PostgreSQL), else $MAS2_HOME/blobs. */
export function localBlobs(env: NodeJS.ProcessEnv = process.env): BlobStore {
  return openBlobStore(mas2Home(env), env);
}

export interface Resolved {
  result: Result;
  /** References that could not be read (e.g. the workers' blob store is on another machine); their previews remain. */
  missing: string[];
}

export async function resolveResult(result: Result, blobs: BlobStore): Promise<Resolved> {
  const missing: string[] = [];
  const cache = new Map<string, Promise<string | null>>();
  const read = (ref: string) => {
    let p = cache.get(ref);
    if (!p) {
      p = blobs.get(ref).catch(() => {
        missing.push(ref);
        return null;
      });
      cache.set(ref, p);
    }
    return p;
  };
  const outputs: Result['outputs'] = {};
  await Promise.all(
    Object.entries(result.outputs).map(async ([id, o]) => {
      const text = o.chars !== undefined ? await read(o.ref) : null;
      outputs[id] = text === null ? o : { ...o, text };
    }),
  );
  const answer = result.answerRef ? ((await read(result.answerRef)) ?? result.answer) : ownAnswer(result, outputs);
  return { result: { ...result, answer, outputs }, missing: [...new Set(missing)] };
}

/**
 * Without answerRef the document's answer is a verifier's own text without its verdict line
 * (a verifier nothing fed), cut to a preview: derive it again from the resolved outputs, so a
 * long answer is never scored or shown cut off (found in `mas2 eval`: GSM8K answers scored on
 * their first 240 characters).
 */
function ownAnswer(result: Result, outputs: Result['outputs']): string | null {
  if (!result.config || result.answer === null) return result.answer;
  const resolved = Object.values(outputs).every((o) => o.chars === undefined || o.text.length === o.chars);
  return resolved ? (answerFrom(result.config.template, outputs) ?? result.answer) : result.answer;
}

/** One line for stderr when some texts could not be resolved. */
export function missingNote(missing: string[]): string | undefined {
  if (!missing.length) return undefined;
  return `note: ${missing.length} output text(s) are not in this machine's blob store (${mas2Home()}/blobs); those texts are left out (the answer shows its first 240 characters)`;
}
