/**
 * What a person sees of a run (mas/progress.ts): in the Temporal UI activity summaries, static and
 * current details; on a terminal (client/progressDisplay.ts) who works on which model, tokens so
 * far and the answer as soon as it exists — with no escape code where stderr is not a terminal.
 */
import { activitySummary, answerSoFar, elapsedText, liveLine, progressMarkdown, runDetails, runSummary, workingNow } from '../../mas/progress';
import { ProgressDisplay } from '../../client/progressDisplay';
import { TaskInputSchema, type Result } from '../../mas/schemas';
import { SIMULATOR_POOL } from '../../mas/simulatorPool';
import { TEMPLATES_BY_KIND } from '../../mas/templates';

const T = TEMPLATES_BY_KIND.code;
const coder = T.agents.find((a) => a.id === 'coder')!;

test('activity summaries say who does what, on which backbone', () => {
  expect(activitySummary('callModel', { agent: coder, backbone: { id: 'qwen-1.5b' }, callKey: 'coder:llm:1' })).toBe('coder · model call 2 on qwen-1.5b');
  expect(activitySummary('runTool', { agent: 'coder', call: { id: 'x', name: 'python', arguments: {} } })).toBe('coder · python');
  expect(activitySummary('rectify', { trigger: { kind: 'verifier', detail: 'REVISE', agent: 'reviewer' }, config: { version: 2 } })).toBe('rectifier · verifier trigger on reviewer (M2)');
  expect(activitySummary('implementAssignment', { template: T })).toBe(`implementer · assign backbones to ${T.agents.length} agents`);
  expect(activitySummary('somethingElse', {})).toBeUndefined();
  // Garbage in still gives one line, never a throw.
  expect(activitySummary('callModel', undefined)).toBe('? · model call on ?');
  expect(activitySummary('runTool', { agent: 'a\nb'.repeat(200), call: { name: 'python' } })!.length).toBeLessThanOrEqual(200);
});

test('static summary and details carry the task and the budget; amounts are not typeset as math', () => {
  const input = TaskInputSchema.parse({ task: 'line one\nline two', budgetUsd: 0.25, pool: SIMULATOR_POOL, faults: [{ kind: 'tool_crash', tool: 'python', at: 1 }], options: { rectifier: false } });
  expect(runSummary(input)).toBe('mas2 · line one line two');
  const d = runDetails(input);
  expect(d).toContain('> line one\n> line two');
  expect(d).toContain('**Budget:** 0.2500 USD');
  expect(d).toContain('--no-rectifier');
  expect(d).toContain('tool_crash');
  expect(d).not.toContain('$');
});

test('current details: status, spend, the team with what is done, the last rectification and steps', () => {
  const r = {
    status: 'running',
    budgetUsd: 1,
    cost: { usd: 0.01 },
    config: { template: T, assignment: { planner: 'sim-small', coder: 'sim-medium', reviewer: 'sim-small' }, version: 2 },
    outputs: { planner: { text: 'plan' } },
    rectifications: [{ version: 2, fromVersion: 1, trigger: { kind: 'failure', detail: 'tool python crashed' }, source: 'rectifier' }],
    steps: [{ agent: 'coder', kind: 'tool', name: 'python', status: 'failed', attempts: 1 }],
  } as unknown as Result;
  const md = progressMarkdown(r);
  expect(md).toContain('**Status:** running');
  expect(md).toContain('0.0100 USD of 1.0000 USD');
  expect(md).toContain('**Team v2**');
  expect(md).toContain('- **planner** (Planner) on `sim-small` — done');
  expect(md).toContain('- **coder** (Coder) on `sim-medium` — pending');
  expect(md).toContain('v1 → v2 on failure trigger (rectifier)');
  expect(md).toContain('- coder · python · failed');
  expect(progressMarkdown({ ...r, config: null })).toContain('Designing the team');
});

// ---------------------------------------------------------------- the terminal's live view

const M = TEMPLATES_BY_KIND.math;
const output = (text: string, inputsKey = 'k') => ({ text, ref: 'sha256:0', chars: text.length, inputsKey, configVersion: 1, backbone: 'sim-large' });
const running = (over: Partial<Result>): Result =>
  ({
    workflowId: 'w', status: 'running', task: 't', answer: null, budgetUsd: 1,
    cost: { usd: 0.0012, inputTokens: 1000, outputTokens: 234, perBackbone: {}, meta: 0, agents: 0, perMetaRole: {} },
    config: null, decisions: [], rectifications: [], steps: [], outputs: {}, simulated: true, continuedAsNew: 0, startedAt: '',
    ...over,
  }) as Result;
const mathConfig = { template: M, assignment: { analyst: 'sim-small', solver: 'sim-large', checker: 'sim-large' }, version: 1 };

test('who is working: the next meta-agent on its backbone before the team exists, then the ready agents on theirs', () => {
  expect(workingNow(running({}), SIMULATOR_POOL)).toEqual([{ agent: 'generator', backbone: 'sim-medium', call: 1 }]);
  const designed = running({ decisions: [{ role: 'generator' } as Result['decisions'][number]] });
  expect(workingNow(designed, SIMULATOR_POOL)[0].agent).toBe('implementer');
  expect(workingNow(designed)[0].backbone).toBeUndefined();
  const team = running({
    config: mathConfig,
    outputs: { analyst: output('12*13') },
    steps: [{ agent: 'solver', kind: 'llm', configVersion: 1 }, { agent: 'solver', kind: 'tool', configVersion: 1 }] as Result['steps'],
  });
  expect(workingNow(team)).toEqual([{ agent: 'solver', backbone: 'sim-large', call: 2 }]);
  expect(workingNow({ ...team, status: 'completed' })).toEqual([]);
  // Every agent done and the run still going: a trigger fired, the Rectifier is at work.
  const rejected = running({ config: mathConfig, outputs: { analyst: output(''), solver: output(''), checker: output('') } });
  expect(workingNow(rejected, SIMULATOR_POOL)).toEqual([{ agent: 'rectifier', backbone: 'sim-medium', call: 1 }]);
  // A trigger fired inside an agent (its tool crashed, its program kept failing): the agent has no
  // output yet, but while the Rectifier works it is the Rectifier the run waits for.
  expect(workingNow({ ...team, rectifying: 'failure' }, SIMULATOR_POOL)).toEqual([{ agent: 'rectifier', backbone: 'sim-medium', call: 1 }]);
});

test('the status line: who, on which model, tokens and spend so far, time since start', () => {
  const r = running({ config: mathConfig, outputs: { analyst: output('12*13') } });
  expect(liveLine(r, workingNow(r), 65_000)).toBe('solver on sim-large · 1,234 tokens · $0.001200 · 1 min 05 s');
  expect(liveLine(r, [], 3_000)).toBe('between steps · 1,234 tokens · $0.001200 · 3 s');
  expect(elapsedText(59_999)).toBe('59 s');
});

test('the answer as soon as the final agent has one: the run\'s answer so far, from the producer the verifier checked', () => {
  // The live state carries outputs by reference (empty texts) and the answer's preview.
  const r = running({ config: mathConfig, outputs: { analyst: output(''), solver: output('') }, answer: '156' });
  expect(answerSoFar(r)).toBeNull();
  const checked = running({ ...r, outputs: { ...r.outputs, checker: output('') } });
  expect(answerSoFar(checked)).toMatchObject({ agent: 'solver', text: '156' });
  const same = running({ ...checked, outputs: { ...checked.outputs, solver: output('', 'k2') } });
  expect(answerSoFar(same)!.key).toBe(answerSoFar(checked)!.key);
  const changed = running({ ...same, answer: '155' });
  expect(answerSoFar(changed)!.key).not.toBe(answerSoFar(checked)!.key);
  expect(answerSoFar({ ...checked, answer: null })).toBeNull();
});

function sink(isTTY: boolean) {
  let text = '';
  return { stream: { isTTY, columns: 60, write: (s: string) => ((text += s), true) } as unknown as NodeJS.WriteStream, text: () => text };
}

test('not a terminal: plain lines only, no escape codes, no control characters of the model', () => {
  const out = sink(false);
  const d = new ProgressDisplay({ stream: out.stream, prefix: 'mas2: ', pool: SIMULATOR_POOL, now: () => 0 });
  d.update(running({}));
  d.update(running({ config: mathConfig, outputs: { analyst: output(''), solver: output(''), checker: output('') }, answer: '\x1b]0;pwned\x07156' }));
  d.stop();
  const text = out.text();
  expect(text).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/);
  expect(text).toContain('mas2: working: generator on sim-medium');
  // Control characters are shown, not sent and not silently dropped (client/terminal.ts, the one rule).
  expect(text).toContain('mas2: answer (from solver): \\x1b]0;pwned\\x07156');
  expect(text).toContain('mas2: working: rectifier on sim-medium');
  expect(text.split('\n').every((l) => l === '' || l.startsWith('mas2: '))).toBe(true);
});

test('a terminal: a status line redrawn in place under the event lines, cleared at the end', () => {
  const out = sink(true);
  const d = new ProgressDisplay({ stream: out.stream, prefix: 'mas2: ', now: () => 0 });
  const r = running({ config: mathConfig, outputs: { analyst: output('12*13') } });
  d.update(r);
  // The status line is drawn without a newline, under the event lines.
  expect(out.text()).toMatch(/\nmas2: solver on sim-large · 1,234 tokens · \$0\.001200 · 0 s$/);
  // A new event line first erases it, then the status is drawn again below the event.
  d.update({ ...r, steps: [{ agent: 'solver', kind: 'llm', status: 'completed', attempts: 1, backbone: 'sim-large', costUsd: 0, durationMs: 1, configVersion: 1 }] as Result['steps'] });
  expect(out.text()).toMatch(/0 s\r\x1b\[2Kmas2: \[solver\] model call on sim-large · \$0\.000000\nmas2: solver on sim-large \(model call 2\)/);
  d.stop();
  expect(out.text().endsWith('\r\x1b[2K')).toBe(true);
  // Never wider than the terminal: a wrapped status line could not be erased.
  const status = out.text().split('\r\x1b[2K').filter((s) => s && !s.includes('\n'));
  for (const s of status) expect(s.length).toBeLessThanOrEqual(59);
});
