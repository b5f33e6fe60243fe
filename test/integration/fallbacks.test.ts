/**
 * One fallback per meta-agent (mas/fallback.ts), whichever way the meta-agent fails. Two
 * workers run the same task: on one every meta-agent's model answers something unusable (the
 * activity falls back), on the other every meta-agent's call fails for good (the activity
 * fails and the workflow falls back). The team agents run on the simulator in both. The
 * designs, the rectification and the outcome must be the same.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { ModelRequest } from '../../activities/models/types';
import { SimulatorClient } from '../../activities/models/sim';
import { defaultClients } from '../../activities/runtime';
import { strongestBackbone } from '../../mas/pool';
import { generatorFallback } from '../../mas/fallback';
import type { Result } from '../../mas/schemas';
import { runToEnd, simPool, taskInput, useTestWorker } from './harness';

const META = new Set(['generator', 'implementer', 'rectifier']);

/** The simulator for team agents; for meta-agents, `meta` decides. */
function clientsWith(meta: (req: ModelRequest) => never | { content: string }) {
  const sim = new SimulatorClient();
  return {
    ...defaultClients(),
    sim: {
      async complete(req: ModelRequest) {
        if (!META.has(req.sim?.purpose ?? '')) return sim.complete(req);
        const { content } = meta(req);
        return { content, toolCalls: [], usage: { inputTokens: 10, outputTokens: 3 }, finishReason: 'stop' as const };
      },
    },
  };
}

const unusable = useTestWorker('fallback-unusable', { runtime: { clients: clientsWith(() => ({ content: 'I would rather not answer in JSON.' })) } });
const failing = useTestWorker('fallback-failing', {
  runtime: {
    clients: clientsWith((req) => {
      throw ApplicationFailure.create({ message: `${req.sim?.purpose} is down`, type: 'ModelCallFailed', nonRetryable: true });
    }),
  },
});

const TASK = 'Write a Python function is_prime(n) and test it';
// The tester's first model call fails for good: the failure trigger calls the Rectifier.
const input = () => taskInput(TASK, { faults: [{ kind: 'model_error', backbone: 'sim-large', at: 1 }] });

/** What the two paths must agree on: every decision's output, the rectification, the outcome. */
function decided(r: Result) {
  return {
    status: r.status,
    decisions: r.decisions.map((d) => ({ role: d.role, source: d.source, output: d.output })),
    rectifications: r.rectifications.map((x) => ({ trigger: x.trigger.kind, tool: x.trigger.tool, patch: x.patch, source: x.source, rerun: x.rerun })),
    config: r.config,
  };
}

test('the activity’s fallback and the workflow’s give the same design, patch and outcome', async () => {
  const [a, b] = await Promise.all([runToEnd(unusable.client, unusable.worker.taskQueue, input()), runToEnd(failing.client, failing.worker.taskQueue, input())]);
  // The paths really differ: every meta call answered unusably in one run and failed in the other.
  const metaCalls = (r: Result) => r.steps.filter((s) => s.kind === 'meta').map((s) => `${s.name}:${s.status}`);
  expect(metaCalls(a).slice(0, 3)).toEqual(['generator:completed', 'implementer:completed', 'rectifier:completed']);
  expect(metaCalls(b)).toEqual(metaCalls(a).map((c) => c.replace(':completed', ':failed')));
  expect(decided(a)).toEqual(decided(b));
  // And the result is the one rule of each meta-agent.
  const strongest = strongestBackbone(simPool()).id;
  expect(new Set(a.decisions.map((d) => d.source))).toEqual(new Set(['fallback']));
  const rule = generatorFallback(TASK, ['python', 'javascript', 'calculator', 'workspace'], '');
  expect(a.decisions[0].output).toEqual(rule.choice);
  expect(rule.choice.blueprint).toBe('code-tests');
  expect(a.config!.template.agents.map((x) => x.id)).toEqual(rule.value.agents.map((x) => x.id));
  expect(Object.values(a.decisions[1].output as Record<string, string>)).toEqual(a.config!.template.agents.map(() => strongest));
  expect(a.rectifications[0].patch).toEqual([{ op: 'set_backbone', agent: 'tester', backbone: 'sim-medium' }]);
});
