/**
 * projectHistory on synthetic histories, built in the decoded shape the SDK
 * hands out (Timestamps, Uint8Array payloads). Event ids are plain numbers
 * here; the server's Long ids are covered by the integration test.
 * (The SDK's historyFromJSON cannot be used: with the protobufjs 7 and 8
 * copies installed side by side it throws "type must be a Type".)
 */
import { defaultPayloadConverter } from '@temporalio/common';
import { AuditSchema, projectHistory, renderAudit, type HistoryEvent, type RunHistory } from '../../client/audit';
import { TaskInputSchema, type Config, type Result, type Step, type TaskInput, type Template } from '../../mas/schemas';
import { SIMULATOR_POOL } from '../../mas/simulatorPool';
import { TEMPLATES_BY_KIND } from '../../mas/templates';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const TEMPLATE: Template = TEMPLATES_BY_KIND.code;
const ASSIGNMENT = { planner: 'sim-small', coder: 'sim-large', reviewer: 'sim-small' };
const V1: Config = { template: TEMPLATE, assignment: ASSIGNMENT, version: 1 };

const payloads = (...values: unknown[]) => ({ payloads: values.map((v) => defaultPayloadConverter.toPayload(v)) });
const RETRY_STATE: Record<string, number> = { RETRY_STATE_NON_RETRYABLE_FAILURE: 2, RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED: 4 };

/** Builds one run's history in proto JSON form. */
class H {
  private events: Record<string, unknown>[] = [];
  private t = T0;
  constructor(private readonly runId = 'run-1') {}

  private add(type: string, attrs: Record<string, unknown>, dtMs = 10): number {
    this.t += dtMs;
    const eventId = this.events.length + 1;
    const key = type.toLowerCase().replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()) + 'EventAttributes';
    this.events.push({ eventId, eventTime: { seconds: Math.floor(this.t / 1000), nanos: (this.t % 1000) * 1e6 }, [key]: attrs });
    return eventId;
  }

  started(args: unknown[], continuedFrom?: string): this {
    this.add('WORKFLOW_EXECUTION_STARTED', { workflowType: { name: 'mas2Task' }, input: payloads(...args), ...(continuedFrom ? { continuedExecutionRunId: continuedFrom } : {}) }, 0);
    return this;
  }

  /** One activity; `result` completes it, `failure` fails it, neither leaves it open. */
  activity(type: string, input: unknown, end: { result?: unknown; failure?: { message: string; type?: string; retryState?: string }; attempt?: number } = {}): this {
    const scheduledEventId = this.add('ACTIVITY_TASK_SCHEDULED', { activityId: String(this.events.length), activityType: { name: type }, input: payloads(input) });
    if (end.result === undefined && !end.failure) return this;
    const startedEventId = this.add('ACTIVITY_TASK_STARTED', { scheduledEventId: scheduledEventId, attempt: end.attempt ?? 1 });
    if (end.failure) {
      this.add('ACTIVITY_TASK_FAILED', {
        scheduledEventId: scheduledEventId,
        startedEventId: startedEventId,
        failure: { message: end.failure.message, applicationFailureInfo: { type: end.failure.type ?? 'Error', nonRetryable: true } },
        retryState: RETRY_STATE[end.failure.retryState ?? 'RETRY_STATE_NON_RETRYABLE_FAILURE'],
      }, 40);
    } else {
      this.add('ACTIVITY_TASK_COMPLETED', { scheduledEventId: scheduledEventId, startedEventId: startedEventId, result: payloads(end.result) }, 40);
    }
    return this;
  }

  signal(name: string, arg: unknown): this {
    this.add('WORKFLOW_EXECUTION_SIGNALED', { signalName: name, input: payloads(arg), identity: 'tester' });
    return this;
  }

  update(name: string, arg: unknown, result: unknown): this {
    const accepted = this.add('WORKFLOW_EXECUTION_UPDATE_ACCEPTED', {
      protocolInstanceId: 'u1',
      acceptedRequest: { meta: { updateId: 'u1', identity: 'tester' }, input: { name, args: payloads(arg) } },
    });
    this.add('WORKFLOW_EXECUTION_UPDATE_COMPLETED', { meta: { updateId: 'u1' }, acceptedEventId: accepted, outcome: { success: payloads(result) } });
    return this;
  }

  cancelRequested(): this {
    this.add('WORKFLOW_EXECUTION_CANCEL_REQUESTED', { identity: 'tester' });
    return this;
  }

  completed(result: unknown): this {
    this.add('WORKFLOW_EXECUTION_COMPLETED', { result: payloads(result) });
    return this;
  }

  continuedAsNew(): this {
    this.add('WORKFLOW_EXECUTION_CONTINUED_AS_NEW', { newExecutionRunId: 'next', workflowType: { name: 'mas2Task' } });
    return this;
  }

  terminated(reason: string): this {
    this.add('WORKFLOW_EXECUTION_TERMINATED', { reason, identity: 'tester' });
    return this;
  }

  build(): RunHistory {
    return { runId: this.runId, events: this.events as HistoryEvent[] };
  }
}

function input(extra: Omit<Partial<TaskInput>, 'options'> & { options?: Partial<TaskInput['options']> } = {}): TaskInput {
  return TaskInputSchema.parse({ task: 'Write a Python function is_prime(n) and test it', budgetUsd: 1, pool: SIMULATOR_POOL, ...extra, options: extra.options ?? {} });
}

const usage = (i: number, o: number) => ({ inputTokens: i, outputTokens: o });
const meta = (role: string, value: unknown, costUsd: number, extra: Record<string, unknown> = {}) => ({
  value,
  decision: { role, backbone: 'sim-medium', source: 'model', output: value, rationale: `${role} rationale`, costUsd, ...extra },
  usage: usage(100, 50),
  backbone: 'sim-medium',
  attempts: 1,
  durationMs: 5,
});
const llm = (agent: string, backboneId: string, n: number) => ({ workflowId: 'wf', task: 't', agent: TEMPLATE.agents.find((a) => a.id === agent), backbone: { id: backboneId }, callKey: `${agent}:llm:${n}` });
const llmOut = (costUsd: number, toolCalls: unknown[] = []) => ({ messageRef: 'm', content: toolCalls.length ? null : 'done', contentRef: 'c', toolCalls, usage: usage(10, 5), costUsd, durationMs: 3, promptChars: 100, attempts: 1 });
const tool = (agent: string, n: number) => ({ workflowId: 'wf', agent, callKey: `${agent}:tool:${n}`, call: { id: 'x', name: 'python', arguments: {} }, allowedTools: ['python'] });
const summaryOf = (costUsd: number) => ({ costUsd, budgetUsd: 1, finished: [{ agent: 'planner', preview: 'plan' }], failedSteps: [{ agent: 'coder', kind: 'tool', error: 'crashed' }], previousPatches: [] });
const trigger = { kind: 'failure', detail: 'injected fault: tool python crashed', agent: 'coder', tool: 'python', backbone: 'sim-large', step: 4 };
const patch = { scope: 'local', ops: [{ op: 'set_backbone', agent: 'coder', backbone: 'sim-medium' }], rationale: 'use another backbone for coder' };

function faultRun(): H {
  return new H()
    .started([input({ faults: [{ kind: 'tool_crash', tool: 'python', at: 1 }] })])
    .activity('generateTemplate', { workflowId: 'wf', callKey: 'generator:0' }, { result: meta('generator', TEMPLATE, 0.001) })
    .activity('implementAssignment', { workflowId: 'wf', callKey: 'implementer:0', template: TEMPLATE }, { result: meta('implementer', { assignment: ASSIGNMENT, output: { assignment: [{ agent: 'coder', backbone: 'sim-large', reason: 'hard' }] } }, 0.002) })
    .activity('callModel', llm('planner', 'sim-small', 0), { result: llmOut(0.0001) })
    .activity('callModel', llm('coder', 'sim-large', 0), { result: llmOut(0.003, [{ id: 'x', name: 'python', arguments: {} }]) })
    .activity('runTool', tool('coder', 0), { failure: { message: 'injected fault: tool python crashed', type: 'ToolCrashed' } })
    .activity('rectify', { workflowId: 'wf', callKey: 'rectifier:0', config: V1, trigger, state: summaryOf(0.0041), finished: ['planner'], previousPatches: [] }, {
      result: meta('rectifier', { patch, source: 'rectifier' }, 0.0005),
    })
    .activity('callModel', llm('coder', 'sim-medium', 1), { result: llmOut(0.001) })
    .activity('callModel', llm('reviewer', 'sim-small', 0), { result: llmOut(0.0002) });
}

const step = (agent: string, kind: Step['kind'], status: Step['status']): Step => ({ agent, kind, status, callIndex: 0, attempts: 1, costUsd: 0, durationMs: 0, configVersion: 0 });

function resultDoc(extra: Partial<Result> = {}): Result {
  return {
    workflowId: 'wf',
    status: 'completed',
    task: 't',
    answer: 'PASS',
    budgetUsd: 1,
    cost: { usd: 0.0078, inputTokens: 0, outputTokens: 0, perBackbone: {}, meta: 0, agents: 0, perMetaRole: {} },
    config: { ...V1, assignment: { ...ASSIGNMENT, coder: 'sim-medium' }, version: 2 },
    decisions: [],
    rectifications: [
      { version: 2, fromVersion: 1, trigger: trigger as Result['rectifications'][number]['trigger'], scope: 'local', patch: patch.ops as Result['rectifications'][number]['patch'], rationale: '', source: 'rectifier', rerun: ['coder', 'reviewer'], kept: ['planner'], costUsd: 0.0005 },
    ],
    steps: [],
    outputs: {},
    simulated: true,
    continuedAsNew: 0,
    startedAt: new Date(T0).toISOString(),
    ...extra,
  };
}

describe('projectHistory', () => {
  test('a rectified run: template, assignment with prices, the rectification and its diff, steps, totals', () => {
    const audit = projectHistory([faultRun().completed(resultDoc()).build()]);
    expect(AuditSchema.parse(audit)).toBeTruthy();
    expect(audit.workflowId).toBe('wf');
    expect(audit.status).toBe('completed');
    expect(audit.generator).toMatchObject({ source: 'model', fromMetaAgent: true, evidence: 'activity' });
    expect(audit.generator.template?.name).toBe('plan-code-review');
    expect(audit.implementer.rows.find((r) => r.agent === 'coder')).toEqual({ agent: 'coder', role: 'Coder', backbone: 'sim-large', inputPerM: 3, outputPerM: 15, reason: 'hard' });

    expect(audit.rectifications).toHaveLength(1);
    const r = audit.rectifications[0];
    expect(r).toMatchObject({ status: 'applied', fromVersion: 1, toVersion: 2, source: 'rectifier', fromMetaAgent: true, rerun: ['coder', 'reviewer'], kept: ['planner'] });
    expect(r.trigger.kind).toBe('failure');
    expect(r.state?.finished).toEqual([{ agent: 'planner', preview: 'plan' }]);
    expect(r.diff).toEqual(['~ coder.backbone: sim-large → sim-medium']);
    expect(audit.versions.map((v) => [v.version, v.changed])).toEqual([
      [1, []],
      [2, ['coder']],
    ]);

    expect(audit.steps.map((s) => `${s.agent}/${s.kind}/${s.status}/v${s.configVersion}`)).toEqual([
      'generator/meta/completed/v0',
      'implementer/meta/completed/v0',
      'planner/llm/completed/v1',
      'coder/llm/completed/v1',
      'coder/tool/failed/v1',
      'rectifier/meta/completed/v1',
      'coder/llm/completed/v2',
      'reviewer/llm/completed/v2',
    ]);
    const failed = audit.steps[4];
    expect(failed).toMatchObject({ name: 'python', backbone: 'sim-large', errorType: 'ToolCrashed', retryState: 'NON_RETRYABLE_FAILURE', attempts: 1, durationMs: 50 });
    expect(audit.totals.costUsd).toBeCloseTo(0.0078, 10);
    expect(audit.totals.metaUsd).toBeCloseTo(0.0035, 10);
    expect(audit.totals.perMetaRole.rectifier).toBeCloseTo(0.0005, 10);
    expect(audit.totals.perBackbone['sim-medium'].calls).toBe(4);
    expect(audit.totals).toMatchObject({ steps: 8, failures: 1, toolCalls: 1, metaCalls: 3, llmCalls: 4, rectifications: 1 });

    const md = renderAudit(audit, 'md');
    for (const h of ['## Task', '## Generator', '## Implementer', '## Rectifications', '## Steps', '## Totals']) expect(md).toContain(h);
    expect(md).toContain('| agent | backbone | $/M in | $/M out |');
    expect(md).toContain('| coder | sim-large | $3 | $15 |');
    expect(md).toContain('failure trigger');
    expect(md).toContain('set_backbone(coder → sim-medium)');
    expect(md).toContain('~ coder.backbone: sim-large → sim-medium');

    const mermaid = renderAudit(audit, 'mermaid');
    expect(mermaid.startsWith('flowchart TD\n')).toBe(true);
    expect(mermaid).toContain('subgraph v1[');
    expect(mermaid).toContain('subgraph v2[');
    expect(mermaid).toContain('v2_coder["coder<br/>Coder<br/>sim-medium"]');
    expect(mermaid).toContain('v1_planner --> v1_coder');
    expect(mermaid).toContain('classDef changed');
    expect(mermaid).toContain('class v2_coder changed');
    expect(JSON.parse(renderAudit(audit, 'json'))).toEqual(JSON.parse(JSON.stringify(audit)));

    const html = renderAudit(audit, 'html');
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain('data-version="1" data-changed=""');
    expect(html).toContain('data-version="2" data-changed="coder"');
    expect(html).toContain('<g class="node changed" data-agent="coder">');
    expect(html).toContain('~ coder.backbone: sim-large → sim-medium');
    expect(html.match(/<g class="step /g)).toHaveLength(audit.steps.length);
  });

  test('a running run: history so far, the open activity as running, signals and updates', () => {
    const audit = projectHistory([
      faultRun()
        .signal('rectify', { reason: 'use a cheaper coder' })
        .update('raiseBudget', { budgetUsd: 2 }, { budgetUsd: 2 })
        .activity('callModel', llm('reviewer', 'sim-small', 1))
        .build(),
    ]);
    expect(audit.status).toBe('running');
    expect(audit.result).toBeNull();
    expect(audit.steps[audit.steps.length - 1]).toMatchObject({ agent: 'reviewer', status: 'running', durationMs: null, attempts: 0 });
    expect(audit.signals).toEqual([expect.objectContaining({ name: 'rectify', reason: 'use a cheaper coder', identity: 'tester' })]);
    expect(audit.updates[0]).toMatchObject({ name: 'raiseBudget', outcome: 'completed', result: { budgetUsd: 2 } });
    expect(audit.finalBudgetUsd).toBe(2);
    const md = renderAudit(audit, 'md');
    expect(md).toContain('signal **rectify**: "use a cheaper coder"');
    expect(md).toContain('update **raiseBudget**');
  });

  test('forced design (no meta-agent activity) is taken from the result document and marked', () => {
    const forced = input({ options: { template: TEMPLATE, assignment: ASSIGNMENT } });
    const decisions: Result['decisions'] = [
      { role: 'generator', source: 'forced', output: TEMPLATE, rationale: 'template given by the caller', costUsd: 0 },
      { role: 'implementer', source: 'forced', output: ASSIGNMENT, rationale: 'assignment given by the caller', costUsd: 0 },
    ];
    const run = new H()
      .started([forced])
      .activity('callModel', llm('planner', 'sim-small', 0), { result: llmOut(0.0001) })
      .completed(resultDoc({ decisions, rectifications: [], config: V1 }))
      .build();
    const audit = projectHistory([run]);
    expect(audit.generator).toMatchObject({ source: 'forced', fromMetaAgent: false, evidence: 'result' });
    expect(audit.implementer).toMatchObject({ source: 'forced', fromMetaAgent: false, evidence: 'result', assignment: ASSIGNMENT });
    expect(audit.versions).toHaveLength(1);
    expect(audit.steps[0].configVersion).toBe(1);
    expect(renderAudit(audit, 'md')).toContain('**not from a meta-agent** (forced)');

    // Without a result document: the ablation is rebuilt from the built-in template.
    const ablation = projectHistory([new H().started([input({ options: { generator: false, implementer: false } })]).activity('callModel', llm('planner', 'sim-medium', 0)).build()]);
    expect(ablation.generator).toMatchObject({ source: 'ablation', fromMetaAgent: false, evidence: 'built-in' });
    expect(ablation.generator.template?.name).toBe('solve-review');
    expect(Object.values(ablation.implementer.assignment ?? {})).toEqual(['sim-medium', 'sim-medium']);
  });

  test('a patch that cannot be applied is reported, with no new version', () => {
    const bad = { scope: 'local', ops: [{ op: 'remove_agent', agent: 'reviewer' }], rationale: 'drop the reviewer' };
    const run = new H()
      .started([input()])
      .activity('generateTemplate', {}, { result: meta('generator', TEMPLATE, 0.001) })
      .activity('implementAssignment', { template: TEMPLATE }, { result: meta('implementer', { assignment: ASSIGNMENT, output: null }, 0.001) })
      .activity('rectify', { config: V1, trigger: { kind: 'budget', detail: 'spent 85%' }, state: summaryOf(0.85), finished: [], previousPatches: [] }, { result: meta('rectifier', { patch: bad, source: 'rectifier' }, 0.001) })
      .build();
    const audit = projectHistory([run]);
    expect(audit.rectifications[0]).toMatchObject({ status: 'not_applied', toVersion: null, diff: [] });
    expect(audit.rectifications[0].applyError).toMatch(/final agent/);
    expect(audit.versions).toHaveLength(1);
    expect(renderAudit(audit, 'md')).toContain('**Not applied:** applying the patch throws');
  });

  test('a failed Rectifier activity: the rule-based fallback is replayed', () => {
    const run = new H()
      .started([input()])
      .activity('generateTemplate', {}, { result: meta('generator', TEMPLATE, 0.001) })
      .activity('implementAssignment', { template: TEMPLATE }, { result: meta('implementer', { assignment: ASSIGNMENT, output: null }, 0.001) })
      .activity('rectify', { config: V1, trigger, state: summaryOf(0.01), finished: ['planner'], previousPatches: [] }, {
        failure: { message: 'model unavailable', type: 'ModelCallFailed', retryState: 'RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED' },
        attempt: 5,
      })
      .build();
    const audit = projectHistory([run]);
    const r = audit.rectifications[0];
    expect(r).toMatchObject({ source: 'fallback', evidence: 'replayed-rule', fromMetaAgent: false, error: 'model unavailable' });
    expect(r.patch).not.toBeNull();
    expect(r.status).toBe('applied');
    expect(audit.steps.find((s) => s.agent === 'rectifier')).toMatchObject({ status: 'failed', attempts: 5, retryState: 'MAXIMUM_ATTEMPTS_REACHED' });
    expect(audit.notes.join('\n')).toMatch(/Rectifier activit/);
  });

  test('a continue-as-new chain: steps of every run, the config carried over', () => {
    const carried = { config: V1, steps: [step('generator', 'meta', 'completed'), step('implementer', 'meta', 'completed'), step('planner', 'llm', 'completed')] };
    const run1 = new H('r1')
      .started([input()])
      .activity('generateTemplate', {}, { result: meta('generator', TEMPLATE, 0.001) })
      .activity('implementAssignment', { template: TEMPLATE }, { result: meta('implementer', { assignment: ASSIGNMENT, output: null }, 0.001) })
      .activity('callModel', llm('planner', 'sim-small', 0), { result: llmOut(0.0001) })
      .continuedAsNew()
      .build();
    const run2 = new H('r2')
      .started([input(), carried], 'r1')
      .activity('callModel', llm('coder', 'sim-large', 0), { result: llmOut(0.003) })
      .activity('callModel', llm('reviewer', 'sim-small', 0), { result: llmOut(0.0002) })
      .completed(resultDoc({ rectifications: [], config: V1, continuedAsNew: 1 }))
      .build();
    const audit = projectHistory([run1, run2]);
    expect(audit.runs.map((r) => [r.runId, r.end, r.carriedSteps])).toEqual([
      ['r1', 'continued_as_new', undefined],
      ['r2', 'completed', 3],
    ]);
    expect(audit.steps.map((s) => `${s.run}:${s.agent}`)).toEqual(['0:generator', '0:implementer', '0:planner', '1:coder', '1:reviewer']);
    expect(audit.steps.map((s) => s.configVersion)).toEqual([0, 0, 1, 1, 1]);
    expect(audit.versions).toHaveLength(1);

    // Only the second run left (retention): the carried config still gives v1, with a note.
    const tail = projectHistory([run2]);
    expect(tail.versions[0].config.version).toBe(1);
    expect(tail.notes.join('\n')).toMatch(/continues an earlier run/);
  });

  test('cancelled and terminated ends', () => {
    const cancelled = projectHistory([faultRun().cancelRequested().completed(resultDoc({ status: 'cancelled', reason: 'cancelled by request' })).build()]);
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.cancelRequests).toHaveLength(1);
    expect(renderAudit(cancelled, 'md')).toContain('**cancel requested**');

    const terminated = projectHistory([faultRun().activity('callModel', llm('reviewer', 'sim-small', 1)).terminated('stuck').build()]);
    expect(terminated.status).toBe('terminated');
    expect(terminated.reason).toMatch(/stuck/);
    expect(terminated.steps[terminated.steps.length - 1].status).toBe('cancelled');
  });

  test('an empty chain and an unstarted design render without throwing', () => {
    const audit = projectHistory([new H().started([input()]).activity('generateTemplate', {}).build()]);
    expect(audit.generator.source).toBe('pending');
    expect(audit.versions).toHaveLength(0);
    expect(renderAudit(audit, 'mermaid')).toContain('no configuration yet');
    expect(renderAudit(audit, 'md')).toContain('Generator is still running');
  });
});
