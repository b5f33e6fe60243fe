/**
 * The user reads full text: the workflow keeps agent outputs by reference with
 * a bounded preview (mas/content.ts), and this turns a result document's
 * previews back into the texts from the blob store. A result recorded before
 * previews (full text, no `chars`) passes through unchanged.
 */
import type { Result } from '../mas/schemas';
import { answerFrom } from '../mas/answer';
import { isBlobFault, openBlobStore, type BlobStore, type CollectableBlobStore } from '../activities/blobStore';
import { mas2Home } from '../activities/home';

/** The blob store the workers write to: MAS2_BLOB_STORE (e.g. the cluster's PostgreSQL), else $MAS2_HOME/blobs. */
export function localBlobs(env: NodeJS.ProcessEnv = process.env): CollectableBlobStore {
  return openBlobStore(mas2Home(env), env);
}

export interface Resolved {
  result: Result;
  /** References that could not be read (e.g. the workers' blob store is on another machine); their previews remain. */
  missing: string[];
  /** Of those, the ones whose content is there but no longer matches its hash. */
  corrupted: string[];
}

export async function resolveResult(result: Result, blobs: BlobStore): Promise<Resolved> {
  const missing: string[] = [];
  const corrupted: string[] = [];
  const cache = new Map<string, Promise<string | null>>();
  const read = (ref: string) => {
    let p = cache.get(ref);
    if (!p) {
      p = blobs.get(ref).catch((e) => {
        missing.push(ref);
        if (isBlobFault(e) && e.kind === 'corrupted') corrupted.push(ref);
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
  return { result: { ...result, answer, outputs }, missing: [...new Set(missing)], corrupted: [...new Set(corrupted)] };
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

/** One line for stderr when some texts could not be resolved: corrupted content is said to be corrupted, not absent. */
export function missingNote(r: Pick<Resolved, 'missing' | 'corrupted'>, where: string): string | undefined {
  if (!r.missing.length) return undefined;
  const absent = r.missing.length - r.corrupted.length;
  const parts = [absent ? `${absent} output text(s) are not in the blob store ${where}` : '', r.corrupted.length ? `${r.corrupted.length} are corrupted there (they do not match their hash: ${r.corrupted[0]}${r.corrupted.length > 1 ? ', …' : ''})` : ''];
  return `note: ${parts.filter(Boolean).join('; ')}; those texts are left out (the answer shows its first 240 characters)`;
}
