/** Outputs by reference: what the workflow keeps of a text decides exactly as the whole text would. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { PREVIEW_CHARS, outputChars, previewOf, storedText } from '../../../mas/content';
import { verdictOf } from '../../../mas/verdict';
import { LocalBlobStore } from '../../../activities/blobStore';
import { resolveResult } from '../../../client/resolve';
import type { Result } from '../../../mas/schemas';

test('the preview gives the verdict the whole text gives, whatever whitespace or length', () => {
  const text = fc
    .tuple(fc.constantFrom('', ' ', '\n\n', '\t \n'.repeat(200)), fc.constantFrom('FAIL', 'REVISE', 'PASS', 'fail:', '**FAIL**', '"Revise"', 'Verdict: FAIL', 'Revised', ''), fc.string({ maxLength: 600 }))
    .map((p) => p.join(''));
  fc.assert(
    fc.property(text, (t) => {
      const p = previewOf(t);
      expect(p.length).toBeLessThanOrEqual(PREVIEW_CHARS);
      expect(verdictOf(p)).toBe(verdictOf(t));
    }),
    { numRuns: 3000 },
  );
});

test('stored text keeps the length; legacy outputs (full text, no chars) report their own length', () => {
  expect(storedText('  abc')).toEqual({ text: 'abc', chars: 5 });
  expect(storedText('x'.repeat(1000))).toEqual({ text: 'x'.repeat(PREVIEW_CHARS), chars: 1000 });
  expect(outputChars({ text: 'hello' })).toBe(5);
  expect(outputChars({ text: 'he', chars: 99 })).toBe(99);
});

test('resolveResult puts the full texts back and reports what it could not read', async () => {
  const blobs = new LocalBlobStore(fs.mkdtempSync(path.join(os.tmpdir(), 'mas2-resolve-')));
  const long = `PASS\n${'y'.repeat(5000)}`;
  const ref = await blobs.put(long);
  const gone = `sha256:${'0'.repeat(64)}`;
  const base = { configVersion: 1, backbone: 'b', inputsKey: 'k' };
  const doc = {
    answer: previewOf(long),
    answerRef: ref,
    outputs: { a: { ...base, text: '', chars: long.length, ref }, b: { ...base, text: '', chars: 10, ref: gone }, old: { ...base, text: 'legacy full text', ref: gone } },
  } as unknown as Result;
  const r = await resolveResult(doc, blobs);
  expect(r.result.answer).toBe(long);
  expect(r.result.outputs.a.text).toBe(long);
  expect(r.result.outputs.b.text).toBe(''); // missing: left as it was, and reported
  expect(r.result.outputs.old.text).toBe('legacy full text'); // recorded before previews: untouched, not read
  expect(r.missing).toEqual([gone]);
});

test('a lone verifier’s own answer (no answerRef) comes back whole, without its verdict line', async () => {
  const blobs = new LocalBlobStore(fs.mkdtempSync(path.join(os.tmpdir(), 'mas2-resolve-')));
  const long = `PASS\nStep 1 ${'z'.repeat(2000)}\nFinal answer: 18`;
  const ref = await blobs.put(long);
  const template = { name: 't', agents: [{ id: 'solo', role: 'Solver', instructions: 'solve', tools: [], verifier: true }], edges: [], loops: [], finalAgent: 'solo' };
  const doc = {
    answer: previewOf(long).replace(/^PASS\n/, ''),
    config: { template, assignment: { solo: 'b' }, version: 1 },
    outputs: { solo: { configVersion: 1, backbone: 'b', inputsKey: 'k', text: '', chars: long.length, ref } },
  } as unknown as Result;
  const r = await resolveResult(doc, blobs);
  expect(r.result.answer).toBe(long.replace(/^PASS\n/, ''));
  expect(r.result.answer!.endsWith('Final answer: 18')).toBe(true);
  // Unreadable output: the preview stays rather than an empty answer.
  const lost = await resolveResult({ ...doc, outputs: { solo: { ...doc.outputs.solo, ref: `sha256:${'0'.repeat(64)}` } } } as Result, blobs);
  expect(lost.result.answer).toBe(doc.answer);
});
