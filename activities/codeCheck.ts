/**
 * The executable check of a verifier's verdict (docs/history-weak-models.md: checks that can be executed are
 * executed). The workflow holds only previews of outputs, so the code to run is read here,
 * from the blob store; the verdict that stands is stored in full and previewed back.
 */
import type { CodeCheckInput, CodeCheckOutput } from '../mas/contract';
import { codeToCheck, combineVerdict } from '../mas/codeCheck';
import { previewOf } from '../mas/content';
import { runTool } from './agentCalls';
import { activityInfo, type Runtime } from './runtime';

export async function checkCode(rt: Runtime, input: CodeCheckInput): Promise<CodeCheckOutput> {
  const started = Date.now();
  const attempts = activityInfo().attempt;
  const upstream = await Promise.all(input.upstreamRefs.map((r) => rt.blobs.get(r)));
  const verdict = await rt.blobs.get(input.verdictRef);
  const unchanged = { ref: input.verdictRef, preview: previewOf(verdict), chars: verdict.length, overridden: false };
  const check = codeToCheck(upstream, verdict);
  if (!check) return { checked: false, ...unchanged, durationMs: Date.now() - started, attempts };
  const r = await runTool(rt, {
    workflowId: input.workflowId,
    agent: input.agent,
    callKey: input.callKey,
    call: { id: `${input.agent}-check`, name: 'python', arguments: JSON.stringify({ code: check.program }) },
    allowedTools: ['python'],
  });
  const combined = combineVerdict(verdict, check, { ok: r.ok, output: r.preview });
  const ref = combined.text === verdict ? input.verdictRef : await rt.blobs.put(combined.text);
  return { checked: true, ref, preview: previewOf(combined.text), chars: combined.text.length, overridden: combined.overridden, ok: r.ok, runPreview: r.preview, durationMs: Date.now() - started, attempts };
}
