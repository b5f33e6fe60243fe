/**
 * The workflow reads a verifier's verdict with the one grammar (mas/verdict.ts): a checker that
 * answers in bold fires the verifier trigger like a plain FAIL, instead of ending the run
 * `completed` with the rejected answer.
 */
import type { ModelRequest } from '../../activities/models/types';
import { SimulatorClient } from '../../activities/models/sim';
import { defaultClients } from '../../activities/runtime';
import { TEMPLATES_BY_KIND } from '../../mas/templates';
import { runToEnd, taskInput, useTestWorker } from './harness';

const sim = new SimulatorClient();
let checkerCalls = 0;
const env = useTestWorker('verdicts', {
  runtime: {
    clients: {
      ...defaultClients(),
      sim: {
        // The checker's first verdict is a bold FAIL; after that the simulator judges as usual.
        async complete(req: ModelRequest) {
          if (req.sim?.agentId === 'checker' && checkerCalls++ === 0) {
            return { content: '**FAIL**: the solver did not show the product.', toolCalls: [], usage: { inputTokens: 50, outputTokens: 9 }, finishReason: 'stop' as const };
          }
          return sim.complete(req);
        },
      },
    },
  },
});

test('a verifier answering **FAIL** fires the verifier trigger; the fixed team then passes', async () => {
  const r = await runToEnd(env.client, env.worker.taskQueue, taskInput('What is 12*13? Answer with the number only.', { options: { template: TEMPLATES_BY_KIND.math } }));
  expect(r.rectifications.map((x) => x.trigger.kind)).toEqual(['verifier']);
  expect(r.rectifications[0].trigger).toMatchObject({ agent: 'checker', detail: '**FAIL**: the solver did not show the product.' });
  // The rejecting checker gave its verdict again after the patch.
  expect(r.rectifications[0].rerun).toContain('checker');
  expect(r.steps.filter((s) => s.agent === 'checker' && s.kind === 'llm')).toHaveLength(2);
  expect(r.status).toBe('completed');
  expect(r.answer).toContain('156');
});
