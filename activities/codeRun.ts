/**
 * Running an operator's code (docs/operators.md): a programmer's program, whose printed output
 * is its answer, or a code answer on its tests — the task's public examples and the asserts
 * the team wrote (mas/taskTests.ts) — in one sandbox run. The workflow holds only previews, so
 * the code and the tests are read here, from the blob store; what goes back is small: the
 * stored output, the run as history keeps it, and the programmer's next prompt on a failure.
 */
import type { RunCodeInput, RunCodeOutput } from '../mas/contract';
import type { ChatMessage, ToolResult } from '../mas/messages';
import { extractProgram } from '../mas/extract';
import { previewOf } from '../mas/content';
import { extractAnswer } from '../mas/vote';
import { taskTests, teamTests, testText } from '../mas/taskTests';
import { compactRun, parseTestReport, testProgram } from '../mas/testRun';
import { evidenceFromTests, describeEvidence, judge } from '../mas/evidence';
import { programmerFeedback, testStepVerdict } from '../mas/operatorText';
import { executeToolCall } from './agentCalls';
import { activityInfo, appendLedger, type Runtime } from './runtime';

/** What a failed sandbox run says: its error, then the tail of stderr (a traceback's last lines say what broke). */
function failureText(r: ToolResult): string {
  return [(r.error ?? r.output).trim().slice(0, 600), r.stderr?.trim().slice(-900)].filter(Boolean).join('\n');
}

export async function runCode(rt: Runtime, input: RunCodeInput): Promise<RunCodeOutput> {
  const started = Date.now();
  const attempts = activityInfo().attempt;
  const text = await rt.blobs.get(input.codeRef);
  const code = extractProgram(text);
  const python = (program: string) => executeToolCall(rt, input.workflowId, input.agent, { id: `${input.agent}-run`, name: 'python', arguments: JSON.stringify({ code: program }) });
  const done = async (o: Omit<RunCodeOutput, 'durationMs' | 'attempts'>): Promise<RunCodeOutput> => {
    await appendLedger(rt, { kind: 'tool', workflowId: input.workflowId, agent: input.agent, callKey: input.callKey, attempt: attempts });
    const feedbackRef =
      !o.ok && input.feedback
        ? await rt.blobs.put(JSON.stringify({ role: 'user', content: programmerFeedback(o.detail, input.feedback.round, input.feedback.maxRounds) } satisfies ChatMessage))
        : undefined;
    return { ...o, ...(feedbackRef ? { feedbackRef } : {}), durationMs: Date.now() - started, attempts };
  };
  if (!code) return done({ ok: false, detail: 'the reply holds no ```python block to run' });

  if (input.mode === 'print') {
    const r = await python(code.code);
    if (!r.ok) return done({ ok: false, detail: failureText(r) });
    const printed = r.output.trim();
    if (!printed) return done({ ok: false, detail: 'the program ran but printed nothing: print the answer' });
    const kind = input.answer === 'number' ? 'number' : 'text';
    const extracted = extractAnswer(printed, kind);
    if (extracted === null) return done({ ok: false, detail: `the program printed "${printed.slice(0, 120)}", which holds no ${kind} answer` });
    const ref = await rt.blobs.put(printed);
    return done({ ok: true, detail: `printed ${previewOf(printed).slice(0, 120)}`, output: { ref, preview: previewOf(printed), chars: printed.length, extracted } });
  }

  const upstream = await Promise.all(input.upstreamRefs.map((ref) => rt.blobs.get(ref)));
  const tests = [...taskTests(input.task), ...teamTests(upstream)];
  const r = await python(testProgram(code.code, tests));
  const run = parseTestReport(r.output, tests, r.ok ? undefined : failureText(r));
  // Only the failing tests' texts travel back: they are what the producer is told.
  const failing = new Set(run.results.filter((x) => x.status === 'fail' || x.status === 'error').map((x) => x.id));
  const testTexts = Object.fromEntries(tests.filter((t) => failing.has(t.id)).map((t) => [t.id, testText(t)]));
  const against = evidenceFromTests(run, testTexts).filter((e) => e.kind !== 'tests_passed');
  const passed = run.results.filter((x) => x.status === 'pass').length;
  const detail = against.length ? against.slice(0, 3).map(describeEvidence).join('; ') : tests.length ? `${passed} of ${tests.length} tests passed` : 'the code loads; the task shows no tests';
  const ok = run.loaded && against.length === 0;
  if (!input.judge) return done({ ok, detail, run: compactRun(run), testTexts });
  const j = judge({ said: null, evidence: evidenceFromTests(run, testTexts), canRevise: input.judge.canRevise });
  const verdictText = testStepVerdict(j);
  const ref = await rt.blobs.put(verdictText);
  return done({ ok, detail, run: compactRun(run), testTexts, verdict: { action: j.action, decidedBy: j.decidedBy, reason: j.reason, ref, preview: previewOf(verdictText), chars: verdictText.length } });
}
