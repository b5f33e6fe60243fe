/** The simulator knows the operators: a Generator that chooses a blueprint, programmers that write programs, samples that differ by seed. */
import { execFileSync } from 'node:child_process';
import { SimulatorClient } from '../../../activities/models/sim';
import { zodToJsonSchema } from '../../../activities/models/jsonSchema';
import { SIMULATOR_POOL } from '../../../mas/simulatorPool';
import { BlueprintChoiceSchema, GeneratorChoiceSchema, type Operator } from '../../../mas/schemas';
import { ensemble, programmer, sampleSeeds } from '../../../mas/operators';
import { voteOn } from '../../../mas/vote';
import { extractCode } from '../../../mas/extract';
import { programmerFeedback } from '../../../mas/operatorText';
import type { ChatMessage } from '../../../mas/messages';

const sim = new SimulatorClient();
const backbone = SIMULATOR_POOL.backbones.find((b) => b.id === 'sim-medium')!;
const perfect = { ...backbone, sim: { latencyMs: 0, failureRate: 0, quality: 1 } };
const choiceFormat = { name: 'choice', schema: zodToJsonSchema(BlueprintChoiceSchema) };

async function choose(task: string, callKey = 'generator:0#1', messages: ChatMessage[] = [{ role: 'user', content: task }], b = perfect) {
  const r = await sim.complete({ backbone: b, messages, responseFormat: choiceFormat, sim: { purpose: 'generator', task, seed: 1, callKey } });
  return r.content!;
}

describe('the simulated Generator', () => {
  test('answers with a blueprint choice when the schema asks for one, reading the task', async () => {
    expect(BlueprintChoiceSchema.parse(JSON.parse(await choose('What is 12*13? Answer with the number only.')))).toMatchObject({ answer: 'number', blueprint: 'single' });
    expect(BlueprintChoiceSchema.parse(JSON.parse(await choose('Write a Python function fib(n) that returns the n-th Fibonacci number.')))).toMatchObject({ answer: 'code', blueprint: 'plan-code-test' });
    const word = 'Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. How many clips did Natalia sell altogether in April and May?';
    expect(JSON.parse(await choose(word))).toMatchObject({ answer: 'number', blueprint: 'program' });
    // CTO samples choose other shapes.
    expect(JSON.parse(await choose(word, 'cto:g:1#1'))).toMatchObject({ blueprint: 'self-consistency', k: 3 });
    expect(JSON.parse(await choose(word, 'cto:g:2#1'))).toMatchObject({ blueprint: 'program-vote', k: 3 });
  });

  test('with the custom option offered too, it still chooses from the catalogue', async () => {
    const r = await sim.complete({ backbone: perfect, messages: [{ role: 'user', content: 'x' }], responseFormat: { name: 'g', schema: zodToJsonSchema(GeneratorChoiceSchema) }, sim: { purpose: 'generator', task: 'What is 2+2?', seed: 1, callKey: 'generator:0#1' } });
    expect(GeneratorChoiceSchema.parse(JSON.parse(r.content!))).toMatchObject({ blueprint: 'single' });
  });

  test('a low-quality Generator names a blueprint outside the catalogue once, then repairs', async () => {
    const weak = { ...backbone, sim: { latencyMs: 0, failureRate: 0, quality: 0 } };
    const task = 'What is 12*13?';
    expect(GeneratorChoiceSchema.safeParse(JSON.parse(await choose(task, 'generator:0#1', [{ role: 'user', content: task }], weak))).success).toBe(false);
    const repaired = await choose(task, 'generator:0#1', [{ role: 'user', content: task }, { role: 'assistant', content: '{}' }], weak);
    expect(GeneratorChoiceSchema.safeParse(JSON.parse(repaired)).success).toBe(true);
  });
});

describe('simulated agents with operators', () => {
  const run = (code: string) => execFileSync('/usr/bin/python3', ['-I', '-B', '-c', code], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  async function agent(task: string, operator: Operator, opts: { sample?: { index: number; seed: number }; messages?: ChatMessage[]; quality?: number; callKey?: string } = {}) {
    const b = { ...backbone, sim: { latencyMs: 0, failureRate: 0, quality: opts.quality ?? 1 } };
    const messages = opts.messages ?? [{ role: 'system', content: 'You are Programmer' }, { role: 'user', content: `Task:\n${task}` }];
    const r = await sim.complete({ backbone: b, messages, sim: { purpose: 'agent', task, seed: 1, callKey: opts.callKey ?? 'p:llm:0#1', agentId: 'p', agentRole: 'Programmer', extra: { operator, ...(opts.sample ? { sample: opts.sample } : {}) } } });
    return r;
  }

  test('a programmer answers with a program that prints the answer', async () => {
    const r = await agent('What is 12*13?', programmer('number'));
    expect(r.toolCalls).toEqual([]);
    const code = extractCode(r.content)!.code;
    expect(run(code).trim()).toBe('156');
  });

  test("a weak programmer's first program crashes; after the error comes back it is right", async () => {
    const task = 'What is 12*13?';
    const first = await agent(task, programmer('number'), { quality: 0 });
    expect(() => run(extractCode(first.content)!.code)).toThrow(/NameError/);
    const messages: ChatMessage[] = [
      { role: 'system', content: 'You are Programmer' },
      { role: 'user', content: `Task:\n${task}` },
      { role: 'assistant', content: first.content },
      { role: 'user', content: programmerFeedback("NameError: name 'totl' is not defined", 1, 3) },
    ];
    const second = await agent(task, programmer('number'), { quality: 0, messages, callKey: 'p:llm:1#1' });
    expect(run(extractCode(second.content)!.code).trim()).toBe('156');
  });

  test('a code programmer writes the function with its checks', async () => {
    const r = await agent('Write a Python function fib(n) returning the n-th Fibonacci number.', programmer('code'));
    expect(run(extractCode(r.content, 'fib')!.code)).toContain('Checks passed');
  });

  test('ensemble samples differ by seed and repeat for the same seed; a vote outvotes the slips', async () => {
    const op = ensemble('number', 'programmer', 9);
    const seeds = sampleSeeds(1, 'p', 0, 9);
    const texts = await Promise.all(seeds.map(async (seed, index) => (await agent('What is 12*13?', op, { sample: { index, seed }, quality: 0.6, callKey: `p:llm:0:s${index}#1` })).content));
    const again = await Promise.all(seeds.map(async (seed, index) => (await agent('What is 12*13?', op, { sample: { index, seed }, quality: 0.6, callKey: `p:llm:7:s${index}#1` })).content));
    expect(again).toEqual(texts);
    const printed = texts.map((t) => run(extractCode(t)!.code).trim());
    expect(new Set(printed).size).toBeGreaterThan(1);
    expect(voteOn(printed, 'number')).toMatchObject({ kind: 'winner', answer: '156' });
  });

  test('a mixed ensemble alternates programs and chain-of-thought answers', async () => {
    const op = ensemble('number', 'mixed', 2);
    const [p, c] = await Promise.all([0, 1].map(async (index) => (await agent('What is 12*13?', op, { sample: { index, seed: 5 + index } })).content!));
    expect(extractCode(p)).not.toBeNull();
    expect(c).not.toContain('```python');
  });
});
