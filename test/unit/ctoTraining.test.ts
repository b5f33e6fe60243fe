/**
 * `mas2 cto train` without torch: the data the DPO trainer receives (ΔV weights on a fixed tree),
 * the value-guided prior, the held-out check, the trees-file and policy-folder checks, and how a
 * policy's adapters reach the meta-agents (pool, server arguments).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { preferenceLines } from '../../mas/cto';
import { META_POLICY_FORMAT, META_POLICY_MANIFEST } from '../../mas/ctoSchemas';
import { buildPrior, decisionSignature, priorExemplars } from '../../mas/ctoPrior';
import { NothingToLearnError, checkLearnable, creditedTrees, dpoRows, dpoRowsOf, seenProblems } from '../../mas/ctoTraining';
import type { ChatMessage } from '../../mas/messages';
import { metaBackbone, withMetaAdapters } from '../../mas/pool';
import { PoolSchema, type Template } from '../../mas/schemas';
import { SIMULATOR_POOL } from '../../mas/simulatorPool';
import { localPool } from '../../client/localModel/pool';
import { instanceId, loraArgs } from '../../client/localModel/server';
import { buildChatParams } from '../../activities/models/openai';
import { loadMetaPolicy, poolUnderPolicy } from '../../client/metaPolicy';
import { readTreesFile } from '../../client/ctoTrain';
import { build, treeOf } from '../helpers/ctoTrees';

/** The tree of docs/cto.md: pairs g1≻g0 (ΔV 0.55), g0.i0≻g0.i1 (0.825), g1.i1≻g1.i0 (2.2), g0.i1.r0≻g0.i1.r1 (0.55). */
const exampleNodes = () =>
  build([
    { cost: 0.01, kids: [{ cost: 0.01, leaf: { pass: true, runCost: 0.08 } }, { cost: 0.01, kids: [{ cost: 0.02, leaf: { pass: true, runCost: 0.16 } }, { cost: 0.02, leaf: { pass: false, runCost: 0.06 } }] }] },
    { cost: 0.01, kids: [{ cost: 0.01, leaf: { pass: false, runCost: 0.08 } }, { cost: 0.01, leaf: { pass: true, runCost: 0.03 } }] },
  ]);
const prompts = (tree: ReturnType<typeof treeOf>): Record<string, ChatMessage[]> => Object.fromEntries(tree.preferences.map((p) => [p.promptRef, [{ role: 'user', content: `context of ${p.parent}` }]]));

describe('the data the DPO trainer receives', () => {
  test('each pair is weighted by its ΔV over the mean ΔV of its role', () => {
    const tree = treeOf(exampleNodes());
    const rows = dpoRowsOf([tree], prompts(tree));
    const by = (chosen: string) => rows.find((r) => r.chosen === preferenceLines(tree, prompts(tree)).find((l) => l.nodes.chosen === chosen)!.chosen)!;
    expect(rows).toHaveLength(4);
    // Implementer ΔV 0.825 and 2.2, mean 1.5125.
    expect(by('g0.i0').deltaV).toBeCloseTo(0.825, 10);
    expect(by('g0.i0').weight).toBeCloseTo(0.825 / 1.5125, 10);
    expect(by('g1.i1').weight).toBeCloseTo(2.2 / 1.5125, 10);
    // A role with one pair gets weight 1; the ratios within a role are the ΔV ratios.
    expect(by('g1').weight).toBeCloseTo(1, 10);
    expect(by('g0.i1.r0').weight).toBeCloseTo(1, 10);
    expect(by('g1.i1').weight / by('g0.i0').weight).toBeCloseTo(2.2 / 0.825, 10);
    for (const role of ['generator', 'implementer', 'rectifier'] as const) {
      const mine = rows.filter((r) => r.role === role);
      expect(mine.reduce((s, r) => s + r.weight, 0) / mine.length).toBeCloseTo(1, 10);
    }
    // The prompt is the one the two decisions were made on.
    expect(by('g0.i0').prompt).toEqual([{ role: 'user', content: 'context of g0' }]);
  });

  test('maxPairs keeps the largest ΔV of each role, the roles in turn, and reweights what it kept', () => {
    const tree = treeOf(exampleNodes());
    const lines = preferenceLines(tree, prompts(tree));
    const rows = dpoRows(lines, 3);
    expect(rows.map((r) => [r.role, r.deltaV.toFixed(3)]).sort()).toEqual([
      ['generator', '0.550'],
      ['implementer', '2.200'],
      ['rectifier', '0.550'],
    ]);
    expect(rows.every((r) => Math.abs(r.weight - 1) < 1e-12)).toBe(true);
    expect(dpoRows(lines, 99)).toHaveLength(4);
  });

  test('credit is recomputed from the nodes, whatever values the file carried', () => {
    const tree = treeOf(exampleNodes());
    const tampered = { ...tree, preferences: [], nodes: Object.fromEntries(Object.entries(tree.nodes).map(([id, n]) => [id, { ...n, value: 42 }])) };
    const [again] = creditedTrees([tampered]);
    expect(again.preferences.map((p) => [p.chosen, p.weight.toFixed(4)])).toEqual(tree.preferences.map((p) => [p.chosen, p.weight.toFixed(4)]));
    expect(again.nodes.g1.value).toBeCloseTo(1.1, 10);
  });
});

describe('nothing to learn', () => {
  test('all failed, all equal, no trees', () => {
    const allFail = treeOf(build([{ kids: [{ leaf: { pass: false, runCost: 0.1 } }, { leaf: { pass: false, runCost: 0.2 } }] }]));
    expect(() => checkLearnable([allFail], 'T.tree.json')).toThrow(new NothingToLearnError('T.tree.json: every decision has the same value as its siblings (all 2 trajectories failed): nothing to learn'));
    const allEqual = treeOf(build([{ kids: [{ leaf: { pass: true, runCost: 0.1 } }, { leaf: { pass: true, runCost: 0.1 } }] }]));
    expect(() => checkLearnable([allEqual], 'T')).toThrow(/\(all 2 trajectories passed at the same normalised cost\): nothing to learn/);
    expect(() => checkLearnable([], 'T')).toThrow('T holds no trees: nothing to learn');
    expect(() => checkLearnable([treeOf(exampleNodes())], 'T')).not.toThrow();
  });
});

describe('decision signatures', () => {
  const team = (over: Partial<Template> = {}): Template => ({
    name: 'solve',
    agents: [
      { id: 'coder', role: 'writes code', instructions: 'Write it.', tools: ['python'], maxTurns: 4 },
      { id: 'checker', role: 'checks', instructions: 'Check it.', tools: [], verifier: true, maxTurns: 4 },
    ],
    edges: [{ from: 'coder', to: 'checker' }],
    loops: [],
    finalAgent: 'checker',
    ...over,
  });

  test('a free-form team is its shape: names and wording do not count, tools and wiring do', () => {
    const renamed = team({
      name: 'other',
      agents: [
        { id: 'b', role: 'verifies', instructions: 'Look again.', tools: [], verifier: true, maxTurns: 2 },
        { id: 'a', role: 'programmer', instructions: 'Code.', tools: ['python'], maxTurns: 4 },
      ],
      edges: [{ from: 'a', to: 'b' }],
      finalAgent: 'b',
    });
    expect(decisionSignature('generator', renamed)).toBe(decisionSignature('generator', team()));
    expect(decisionSignature('generator', team({ agents: team().agents.map((a) => ({ ...a, tools: [] })) }))).not.toBe(decisionSignature('generator', team()));
    expect(decisionSignature('generator', team({ edges: [] }))).not.toBe(decisionSignature('generator', team()));
  });

  test('a catalogue choice is its blueprint and parameters', () => {
    const a = decisionSignature('generator', { blueprint: 'self-consistency', k: 5, instructions: 'think', rationale: 'easy task' });
    expect(a).toBe('blueprint {"blueprint":"self-consistency","k":5}');
    expect(decisionSignature('generator', { k: 5, blueprint: 'self-consistency', rationale: 'other words' })).toBe(a);
    expect(decisionSignature('generator', { blueprint: 'self-consistency', k: 3 })).not.toBe(a);
  });

  test('an assignment is agent → backbone, however it was written; a patch is its ops without wording', () => {
    const list = { assignment: [{ agent: 'x', backbone: 'big', reason: 'hard' }, { agent: 'y', backbone: 'small', reason: '' }], rationale: 'r' };
    expect(decisionSignature('implementer', list)).toBe(decisionSignature('implementer', { y: 'small', x: 'big' }));
    const patch = (why: string) => ({ scope: 'local', ops: [{ op: 'set_instructions', agent: 'x', instructions: why }, { op: 'set_backbone', agent: 'x', backbone: 'big' }], rationale: why });
    expect(decisionSignature('rectifier', patch('try harder'))).toBe(decisionSignature('rectifier', patch('be careful')));
  });
});

describe('the value-guided prior', () => {
  test('ranks the decisions of a task kind by the net ΔV of the pairs they won and lost', () => {
    const mathTask = 'Compute 17 * 23 + 4';
    const tree = treeOf(
      build([
        { out: { blueprint: 'one-agent' }, kids: [{ leaf: { pass: true, runCost: 0.08 }, out: { solver: 'small' } }, { leaf: { pass: false, runCost: 0.1 }, out: { solver: 'big' } }] },
        { out: { blueprint: 'program-of-thought' }, kids: [{ leaf: { pass: true, runCost: 0.05 }, out: { solver: 'small' } }, { leaf: { pass: true, runCost: 0.05 }, out: { solver: 'big' } }] },
      ]),
      'q1',
      mathTask,
    );
    const prior = buildPrior([tree]);
    const gen = prior.generator.math!;
    expect(gen.map((e) => e.signature)).toEqual(['blueprint {"blueprint":"program-of-thought"}', 'blueprint {"blueprint":"one-agent"}']);
    const pair = tree.preferences.find((p) => p.role === 'generator')!;
    expect(gen[0]).toMatchObject({ decisions: 1, won: 1, lost: 0 });
    expect(gen[0].netDeltaV).toBeCloseTo(pair.weight, 12);
    expect(gen[1].netDeltaV).toBeCloseTo(-pair.weight, 12);
    // The same assignment under both templates: one signature, both decisions counted.
    const small = prior.implementer.math!.find((e) => e.signature === 'assign {"solver":"small"}')!;
    expect(small.decisions).toBe(2);
    expect(priorExemplars(prior, 'generator', 'Compute 2 * 3').map((e) => e.signature)).toEqual(['blueprint {"blueprint":"program-of-thought"}']);
    expect(priorExemplars(prior, 'generator', 'Write a Python function is_prime(n)')).toEqual([]);
  });
});

describe('problems a policy was trained on', () => {
  test('the same text is the same problem, bare or wrapped; an equal id alone is only reported', () => {
    const trained = [{ id: 'gsm8k-dev-1', task: 'Janet’s ducks lay 16 eggs per day. How much does she make?' }];
    const seen = seenProblems(trained, [
      { id: 'line-1', task: 'Janet’s ducks lay 16 eggs per day.  How much does she make?\n\nSolve this math word problem step by step.' },
      { id: 'gsm8k-dev-1', task: 'A robe takes 2 bolts of blue fiber and half that much white fiber.' },
      { id: 'line-3', task: 'Something else entirely, long enough to compare.' },
    ]);
    expect(seen).toEqual({ byText: ['line-1'], byIdOnly: ['gsm8k-dev-1'] });
  });
});

describe('adapters reach the meta-agents only', () => {
  test('withMetaAdapters puts each role on the base model with its own adapter (one per server); the team keeps its backbones', () => {
    const pool = withMetaAdapters(localPool(), 'qwen-0.5b', { generator: '/p/generator.gguf', rectifier: '/p/rectifier.gguf' });
    expect(PoolSchema.safeParse(pool).success).toBe(true);
    expect(metaBackbone(pool, 'generator')).toMatchObject({ id: 'qwen-0.5b', lora: { adapters: ['/p/generator.gguf'], apply: 0 } });
    expect(metaBackbone(pool, 'rectifier').lora).toEqual({ adapters: ['/p/rectifier.gguf'], apply: 0 });
    expect(metaBackbone(pool, 'implementer')).toMatchObject({ id: 'qwen-1.5b' });
    expect(metaBackbone(pool, 'implementer').lora).toBeUndefined();
    expect(pool.backbones.every((b) => !b.lora)).toBe(true);
    expect(buildChatParams({ backbone: metaBackbone(pool, 'rectifier'), messages: [{ role: 'user', content: 'hi' }] })).toMatchObject({ lora: [{ id: 0, scale: 1 }] });
    expect(buildChatParams({ backbone: metaBackbone(pool, 'implementer'), messages: [{ role: 'user', content: 'hi' }] })).not.toHaveProperty('lora');
  });

  test('a pool refuses an adapter on a meta-agent that is not a local model', () => {
    const bad = { ...SIMULATOR_POOL, metaAdapters: { generator: { adapters: ['/a.gguf'], apply: 0 } } };
    expect(PoolSchema.safeParse(bad).error?.issues[0].message).toMatch(/is not a local model, so it cannot take a LoRA adapter/);
    expect(PoolSchema.safeParse({ ...SIMULATOR_POOL, metaAdapters: { generator: { adapters: ['/a.gguf'], apply: 1 } } }).success).toBe(false);
  });

  test('one llama-server per model and adapter set, loading them unapplied', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lora-'));
    const a = path.join(dir, 'generator.gguf');
    fs.writeFileSync(a, 'x');
    expect(loraArgs([a, '/b.gguf'])).toEqual(['--lora', a, '--lora', '/b.gguf', '--lora-init-without-apply']);
    expect(instanceId('qwen-0.5b')).toBe('qwen-0.5b');
    const id = instanceId('qwen-0.5b', [a]);
    expect(id).toMatch(/^qwen-0\.5b\+lora-[0-9a-f]{12}$/);
    fs.writeFileSync(a, 'retrained');
    expect(instanceId('qwen-0.5b', [a])).not.toBe(id);
    expect(() => instanceId('qwen-0.5b', [path.join(dir, 'missing.gguf')])).toThrow(/does not exist/);
  });
});

describe('policy folders and trees files (one line each)', () => {
  const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'policy-'));
  const manifest = (over: Record<string, unknown> = {}) => ({
    format: META_POLICY_FORMAT,
    name: 'p',
    version: 2,
    trainer: 'prior',
    createdAt: '2026-12-03T00:00:00Z',
    engine: 'mas2 0.1.0',
    training: { treesFile: '/t.tree.json', treesSha256: 'x', problems: [{ id: 'q', task: 'Compute 1 + 1' }], trees: 1, trajectories: 2, pairs: { generator: 1 } },
    prior: { file: 'prior.json' },
    ...over,
  });

  test('a prior policy loads with its reference; a DPO policy needs a local model of its base', () => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, 'prior.json'), '{}');
    fs.writeFileSync(path.join(dir, META_POLICY_MANIFEST), JSON.stringify(manifest()));
    expect(() => loadMetaPolicy(dir)).toThrow(/its prior prior.json has no generator \/ implementer \/ rectifier sections/);
    fs.writeFileSync(path.join(dir, 'prior.json'), JSON.stringify({ generator: {}, implementer: {}, rectifier: {} }));
    const p = loadMetaPolicy(dir);
    expect(p.ref).toMatchObject({ name: 'p', version: 2, trainer: 'prior' });
    expect(p.ref.digest).toMatch(/^[0-9a-f]{16}$/);
    expect(poolUnderPolicy(SIMULATOR_POOL, p)).toBe(SIMULATOR_POOL);

    fs.mkdirSync(path.join(dir, 'adapters'));
    fs.writeFileSync(path.join(dir, 'adapters', 'generator.gguf'), 'x');
    const dpo = { baseModel: 'qwen-0.5b', baseModelSha256: 'x', adapters: { generator: 'adapters/generator.gguf' }, pairsFile: 'train/pairs.jsonl', hyper: {}, metrics: {} };
    fs.writeFileSync(path.join(dir, META_POLICY_MANIFEST), JSON.stringify(manifest({ trainer: 'dpo', prior: undefined, dpo })));
    const d = loadMetaPolicy(dir);
    expect(() => poolUnderPolicy(SIMULATOR_POOL, d)).toThrow(/its adapters are for the local model qwen-0.5b; use --pool local/);
    expect(metaBackbone(poolUnderPolicy(localPool(), d), 'generator').lora).toEqual({ adapters: [path.join(dir, 'adapters', 'generator.gguf')], apply: 0 });
  });

  test('another format version, a missing manifest or artefact, a broken manifest', () => {
    const dir = tmp();
    expect(() => loadMetaPolicy(dir)).toThrow(/no policy.json there/);
    fs.writeFileSync(path.join(dir, META_POLICY_MANIFEST), JSON.stringify(manifest({ format: 'mas2-meta-policy/0' })));
    expect(() => loadMetaPolicy(dir)).toThrow(`--meta-policy ${dir}: a policy of format "mas2-meta-policy/0"; this mas2 reads "${META_POLICY_FORMAT}": train it again with this mas2`);
    fs.writeFileSync(path.join(dir, META_POLICY_MANIFEST), JSON.stringify(manifest()));
    expect(() => loadMetaPolicy(dir)).toThrow(/its prior prior.json is missing/);
    fs.writeFileSync(path.join(dir, META_POLICY_MANIFEST), '{"format": "mas2-meta-policy/1", "name": ""}');
    expect(() => loadMetaPolicy(dir)).toThrow(/policy.json is invalid: name/);
  });

  test('trees files: empty, not JSON, another format, malformed, nothing to learn', () => {
    const dir = tmp();
    const f = (name: string, text: string) => {
      const p = path.join(dir, name);
      fs.writeFileSync(p, text);
      return p;
    };
    expect(() => readTreesFile(f('empty.json', '  \n'))).toThrow(/empty.json is empty/);
    expect(() => readTreesFile(f('bad.json', '{"trees": ['))).toThrow(/bad.json is not JSON/);
    expect(() => readTreesFile(f('other.json', '{"format": "x", "trees": []}'))).toThrow(/other.json is not a mas2 cto trees file \(format "x"/);
    expect(() => readTreesFile(f('broken.json', JSON.stringify({ format: 'mas2-cto-trees/1', trees: [{ queryId: 'q' }] })))).toThrow(/broken.json is malformed: trees.0.task/);
    const allFail = treeOf(build([{ kids: [{ leaf: { pass: false, runCost: 0.1 } }, { leaf: { pass: false, runCost: 0.1 } }] }]));
    expect(() => readTreesFile(f('fail.json', JSON.stringify({ format: 'mas2-cto-trees/1', trees: [allFail] })))).toThrow(/nothing to learn/);
    const ok = readTreesFile(f('ok.json', JSON.stringify({ format: 'mas2-cto-trees/1', trees: [treeOf(exampleNodes())] })));
    expect(ok.trees[0].preferences).toHaveLength(4);
  });
});
