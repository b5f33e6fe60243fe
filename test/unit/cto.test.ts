/**
 * CTO credit (mas/cto.ts): hand-computed V and ΔV on a small tree, property
 * tests over random trees, the evaluators, TASKS.jsonl checking and the
 * simulator's sample diversity.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import {
  EPS,
  ROOT_ID,
  computeCredit,
  ctoCallKey,
  decisionText,
  leavesUnder,
  preferenceLines,
  preferencePairs,
  sampleOfCallKey,
} from '../../mas/cto';
import { CtoParamsSchema } from '../../mas/ctoSchemas';
import type { BlueprintChoice, MetaRole } from '../../mas/schemas';
import { expandChoice } from '../../mas/blueprints';
import { BlueprintChoiceSchema, ImplementerOutputSchema, PatchSchema, ConfigSchema } from '../../mas/schemas';
import type { ChatMessage } from '../../mas/messages';
import { templateProblems } from '../../mas/graph';
import { applyPatch } from '../../mas/patch';
import { cheapestBackbone, strongestBackbone } from '../../mas/pool';
import { SIMULATOR_POOL } from '../../mas/simulatorPool';
import { TEMPLATES_BY_KIND } from '../../mas/templates';
import { SimulatorClient } from '../../activities/models/sim';
import { evaluate, extractPython, lastNumber, normalizeAnswer, answerCandidates } from '../../activities/evaluate';
import type { Runtime } from '../../activities/runtime';
import { parseTasksFile, ctoWorkflowId, treePathFor } from '../../client/cto';

import { build, treeOf, type Spec } from '../helpers/ctoTrees';

const close = (a: number | null | undefined, b: number) => expect(a).toBeCloseTo(b, 10);

// ---------------------------------------------------------------- hand-computed
describe('credit on a hand-built tree', () => {
  /*
   * root
   * ├─ g0 ($0.01)
   * │  ├─ g0.i0 ($0.01) leaf pass, run $0.08            τ cost 0.10
   * │  └─ g0.i1 ($0.01) branched
   * │     ├─ g0.i1.r0 ($0.02) leaf pass, run $0.16      τ cost 0.20
   * │     └─ g0.i1.r1 ($0.02) leaf fail, run $0.06      τ cost 0.10
   * └─ g1 ($0.01)
   *    ├─ g1.i0 ($0.01) leaf fail, run $0.08            τ cost 0.10
   *    └─ g1.i1 ($0.01) leaf pass, run $0.03            τ cost 0.05
   * mean cost = 0.55 / 5 = 0.11
   * R: g0.i0 = 0.11/0.10 = 1.1; g0.i1.r0 = 0.11/0.20 = 0.55; r1 = 0; g1.i0 = 0; g1.i1 = 0.11/0.05 = 2.2
   * V: g0.i1 = 0.275; g0 = 1.65/3 = 0.55; g1 = 1.1; root = 3.85/5 = 0.77
   */
  const nodes = () =>
    build([
      {
        cost: 0.01,
        kids: [
          { cost: 0.01, leaf: { pass: true, runCost: 0.08 } },
          {
            cost: 0.01,
            kids: [
              { cost: 0.02, leaf: { pass: true, runCost: 0.16 } },
              { cost: 0.02, leaf: { pass: false, runCost: 0.06 } },
            ],
          },
        ],
      },
      {
        cost: 0.01,
        kids: [
          { cost: 0.01, leaf: { pass: false, runCost: 0.08 } },
          { cost: 0.01, leaf: { pass: true, runCost: 0.03 } },
        ],
      },
    ]);

  test('trajectory costs, rewards and values', () => {
    const c = computeCredit(nodes());
    close(c.meanCostUsd, 0.11);
    close(c.cost['g0.i0'], 0.1);
    close(c.cost['g0.i1.r0'], 0.2);
    close(c.cost['g1.i1'], 0.05);
    close(c.reward['g0.i0'], 1.1);
    close(c.reward['g0.i1.r0'], 0.55);
    close(c.reward['g0.i1.r1'], 0);
    close(c.reward['g1.i0'], 0);
    close(c.reward['g1.i1'], 2.2);
    close(c.value['g0.i1'], 0.275);
    close(c.value.g0, 0.55);
    close(c.value.g1, 1.1);
    close(c.value.root, 0.77);
  });

  test('ΔV preference tuples between siblings, one per ordered pair with ΔV > 0', () => {
    const t = treeOf(nodes());
    const got = t.preferences.map((p) => ({ role: p.role, chosen: p.chosen, rejected: p.rejected, weight: Number(p.weight.toFixed(10)) }));
    expect(got).toEqual(
      expect.arrayContaining([
        { role: 'generator', chosen: 'g1', rejected: 'g0', weight: 0.55 },
        { role: 'implementer', chosen: 'g0.i0', rejected: 'g0.i1', weight: 0.825 },
        { role: 'rectifier', chosen: 'g0.i1.r0', rejected: 'g0.i1.r1', weight: 0.55 },
        { role: 'implementer', chosen: 'g1.i1', rejected: 'g1.i0', weight: 2.2 },
      ]),
    );
    expect(got).toHaveLength(4);
    expect(t.leaves).toBe(5);
    expect(t.passed).toBe(3);
    close(t.nodes.root.value, 0.77);
    close(t.nodes['g1.i1'].reward, 2.2);
    close(t.nodes['g1.i1'].trajectoryCostUsd, 0.05);
  });

  test('equal decisions, different prompts and equal values make no pair', () => {
    const same = build([{ kids: [{ out: 'A', leaf: { pass: true, runCost: 1 } }, { out: 'A', leaf: { pass: false, runCost: 1 } }] }]);
    expect(preferencePairs(same, computeCredit(same).value).filter((p) => p.role === 'implementer')).toEqual([]);
    const refs = build([{ kids: [{ ref: 'x', leaf: { pass: true, runCost: 1 } }, { ref: 'y', leaf: { pass: false, runCost: 1 } }] }]);
    expect(preferencePairs(refs, computeCredit(refs).value).filter((p) => p.role === 'implementer')).toEqual([]);
    const tie = build([{ kids: [{ leaf: { pass: true, runCost: 1 } }, { leaf: { pass: true, runCost: 1 } }] }]);
    expect(preferencePairs(tie, computeCredit(tie).value)).toEqual([]);
  });

  test('C_norm is floored, so a free passing trajectory gets a bounded reward; all-free queries reward 1[pass]', () => {
    const free = build([{ kids: [{ leaf: { pass: true, runCost: 0 } }, { leaf: { pass: true, runCost: 1 } }] }]);
    const c = computeCredit(free, ROOT_ID, 0.1);
    close(c.reward['g0.i0'], 10);
    close(c.reward['g0.i1'], 0.5);
    const zero = build([{ kids: [{ leaf: { pass: true, runCost: 0 } }, { leaf: { pass: false, runCost: 0 } }] }]);
    const z = computeCredit(zero);
    close(z.reward['g0.i0'], 1);
    close(z.reward['g0.i1'], 0);
  });

  test('a node without leaves (a failed meta call) has no value and makes no pair', () => {
    const nodes = build([{ kids: [{ leaf: { pass: true, runCost: 1 } }, {}] }]);
    const c = computeCredit(nodes);
    expect(c.value['g0.i1']).toBeNull();
    expect(preferencePairs(nodes, c.value)).toEqual([]);
  });
});

// ---------------------------------------------------------------- properties
interface Rand {
  cost: number;
  choice: number;
  leaf: { pass: boolean; runCost: number } | null;
  kids: Rand[];
}

const arbLeaf = fc.record({ pass: fc.boolean(), runCost: fc.double({ min: 0, max: 2, noNaN: true }) });
const arbNode = (depth: number): fc.Arbitrary<Rand> =>
  depth <= 0
    ? fc.record({ cost: fc.double({ min: 0, max: 0.1, noNaN: true }), choice: fc.integer({ min: 0, max: 2 }), leaf: arbLeaf, kids: fc.constant([] as Rand[]) })
    : fc.oneof(
        fc.record({ cost: fc.double({ min: 0, max: 0.1, noNaN: true }), choice: fc.integer({ min: 0, max: 2 }), leaf: arbLeaf, kids: fc.constant([] as Rand[]) }),
        fc.record({ cost: fc.double({ min: 0, max: 0.1, noNaN: true }), choice: fc.integer({ min: 0, max: 2 }), leaf: fc.constant(null), kids: fc.array(arbNode(depth - 1), { minLength: 1, maxLength: 3 }) }),
      );
/** Root → 1–3 generators → 1–3 implementers (each a leaf or a subtree of rectifiers, depth ≤ 2). */
const arbTree = fc.array(
  fc.record({ cost: fc.double({ min: 0, max: 0.1, noNaN: true }), choice: fc.integer({ min: 0, max: 2 }), kids: fc.array(arbNode(2), { minLength: 1, maxLength: 3 }) }),
  { minLength: 1, maxLength: 3 },
);

const toSpec = (r: { cost: number; choice: number; leaf?: Rand['leaf']; kids: Rand[] }): Spec => ({
  cost: r.cost,
  out: { choice: r.choice },
  leaf: r.leaf ?? undefined,
  kids: r.kids.map(toSpec),
});

describe('credit properties', () => {
  test('V(root) is the mean reward over all leaves, and every V(v) the mean over the leaves under v', () => {
    fc.assert(
      fc.property(arbTree, (gens) => {
        const nodes = build(gens.map((g) => toSpec({ ...g, leaf: null })));
        const c = computeCredit(nodes);
        const leaves = leavesUnder(nodes, ROOT_ID);
        const mean = leaves.reduce((s, l) => s + c.reward[l], 0) / leaves.length;
        expect(Math.abs((c.value.root as number) - mean)).toBeLessThan(1e-9 * Math.max(1, mean));
        for (const id of Object.keys(nodes)) {
          const under = leavesUnder(nodes, id);
          if (!under.length) expect(c.value[id]).toBeNull();
          else expect(Math.abs((c.value[id] as number) - under.reduce((s, l) => s + c.reward[l], 0) / under.length)).toBeLessThan(1e-9 * Math.max(1, mean));
        }
      }),
      { numRuns: 300 },
    );
  });

  test('exported tuples: weight > 0, chosen ≠ rejected, the pair shares its context (parent, role, prompt)', () => {
    let pairs = 0;
    fc.assert(
      fc.property(arbTree, (gens) => {
        const tree = treeOf(build(gens.map((g) => toSpec({ ...g, leaf: null }))));
        const prompts: Record<string, ChatMessage[]> = {};
        for (const n of Object.values(tree.nodes)) if (n.decision?.promptRef) prompts[n.decision.promptRef] = [{ role: 'user', content: `context of ${n.parent}` }];
        const lines = preferenceLines(tree, prompts);
        expect(lines).toHaveLength(tree.preferences.length);
        pairs += lines.length;
        tree.preferences.forEach((p, i) => {
          const a = tree.nodes[p.chosen];
          const b = tree.nodes[p.rejected];
          expect(p.weight).toBeGreaterThan(EPS);
          expect(p.chosenText).not.toEqual(p.rejectedText);
          expect(a.parent).toBe(p.parent);
          expect(b.parent).toBe(p.parent);
          expect(a.role).toBe(p.role);
          expect(b.role).toBe(p.role);
          expect(a.decision!.promptRef).toBe(p.promptRef);
          expect(b.decision!.promptRef).toBe(p.promptRef);
          expect(p.weight).toBeCloseTo((a.value as number) - (b.value as number), 12);
          const line = lines[i];
          expect(line.weight).toBeGreaterThan(0);
          expect(line.chosen).not.toEqual(line.rejected);
          expect(line.prompt).toEqual([{ role: 'user', content: `context of ${p.parent}` }]);
          expect(['generator', 'implementer', 'rectifier']).toContain(line.role);
        });
      }),
      { numRuns: 300 },
    );
    expect(pairs).toBeGreaterThan(100); // the property was not checked on empty sets only
  });
});

// ---------------------------------------------------------------- call keys and decision texts
describe('call keys and decision texts', () => {
  test('the sample index is the last segment of a CTO callKey, 0 otherwise', () => {
    expect(sampleOfCallKey(ctoCallKey('q:1', 'g0.i1', 'rectifier', 2))).toBe(2);
    expect(sampleOfCallKey(`${ctoCallKey('q', ROOT_ID, 'generator', 1)}#3`)).toBe(1);
    expect(sampleOfCallKey('generator:0#1')).toBe(0);
    expect(sampleOfCallKey('rectifier:4#1')).toBe(0);
  });

  test('an Implementer decision is exported in its output schema even when it came from a rule', () => {
    const text = decisionText('implementer', { a: 'sim-small', b: 'sim-large' });
    expect(ImplementerOutputSchema.parse(JSON.parse(text)).assignment.map((x) => `${x.agent}@${x.backbone}`)).toEqual(['a@sim-small', 'b@sim-large']);
    const out = { assignment: [{ agent: 'a', backbone: 'sim-small', reason: 'easy' }], rationale: 'r' };
    expect(JSON.parse(decisionText('implementer', out))).toEqual(out);
  });
});

// ---------------------------------------------------------------- evaluators
describe('evaluators', () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'mas2-cto-eval-'));
  const rt = { home } as Runtime;
  afterAll(() => fs.rmSync(home, { recursive: true, force: true }));

  test('normalization and answer extraction', () => {
    expect(normalizeAnswer('  The  Eiffel-Tower. ')).toBe('eiffel tower');
    expect(answerCandidates('PASS: ok.\n\nFinal answer:\nSolver: result: 395')).toContain('395');
    expect(lastNumber('PASS: checks out.\n\nFinal answer:\nSolver: result: 395')).toBe(395);
    expect(lastNumber('the total is 1,234.5 USD')).toBe(1234.5);
    expect(lastNumber('no numbers')).toBeNull();
    expect(extractPython('text\n```python\nprint(1)\n```\nmore\n```python\ndef f():\n    return 2\n```\n')).toContain('def f');
    expect(extractPython('no code')).toBeNull();
  });

  test('exact', async () => {
    expect((await evaluate(rt, { workflowId: 'w', evaluator: 'exact', answer: 'Answerer: Paris.', expected: 'paris' })).pass).toBe(true);
    expect((await evaluate(rt, { workflowId: 'w', evaluator: 'exact', answer: 'Final answer: the Paris', expected: 'Paris' })).pass).toBe(true);
    expect((await evaluate(rt, { workflowId: 'w', evaluator: 'exact', answer: 'Lyon', expected: 'Paris' })).pass).toBe(false);
    expect((await evaluate(rt, { workflowId: 'w', evaluator: 'exact', answer: null, expected: 'Paris' })).pass).toBe(false);
  });

  test('numeric with tolerance', async () => {
    const ev = (answer: string, expected: string, tolerance?: number) => evaluate(rt, { workflowId: 'w', evaluator: 'numeric', answer, expected, tolerance });
    expect((await ev('Final answer:\nSolver: result: 395', '395')).pass).toBe(true);
    expect((await ev('x = 3.14159', '3.1416', 1e-3)).pass).toBe(true);
    expect((await ev('x = 3.14159', '3.1416')).pass).toBe(false);
    expect((await ev('it is 394', '395')).pass).toBe(false);
    expect((await ev('no number here', '395')).detail).toMatch(/no number/);
  });

  test('python-tests runs the answer code plus the tests in the sandbox', async () => {
    const good = 'Coder: here it is\n```python\ndef is_prime(n):\n    if n < 2:\n        return False\n    return all(n % d for d in range(2, int(n ** 0.5) + 1))\n```\n';
    const bad = 'Coder:\n```python\ndef is_prime(n):\n    return n % 2 == 1\n```\n';
    const tests = 'assert is_prime(7)\nassert not is_prime(9)';
    const ok = await evaluate(rt, { workflowId: 'w', evaluator: 'python-tests', answer: good, tests });
    expect(ok).toEqual({ pass: true, detail: 'tests passed' });
    const fail = await evaluate(rt, { workflowId: 'w', evaluator: 'python-tests', answer: bad, tests });
    expect(fail.pass).toBe(false);
    expect(fail.detail).toMatch(/AssertionError/);
    expect((await evaluate(rt, { workflowId: 'w', evaluator: 'python-tests', answer: 'no code', tests })).pass).toBe(false);
  }, 30_000);

  test('an unknown evaluator fails the leaf with a clear detail', async () => {
    expect(await evaluate(rt, { workflowId: 'w', evaluator: 'nope', answer: 'x' })).toEqual({ pass: false, detail: expect.stringMatching(/unknown evaluator "nope"/) });
  });
});

// ---------------------------------------------------------------- TASKS.jsonl
describe('TASKS.jsonl', () => {
  test('valid lines parse; blank lines are skipped', () => {
    const tasks = parseTasksFile(
      [
        '{"id": "m1", "task": "Compute 17 * 23 + 4", "expected": 395, "evaluator": "numeric"}',
        '',
        '{"id": 2, "task": "Write is_prime", "tests": ["assert is_prime(7)", "assert not is_prime(9)"], "evaluator": "python-tests"}',
      ].join('\n'),
    );
    expect(tasks.map((t) => t.id)).toEqual(['m1', '2']);
    expect(tasks[0].expected).toBe('395');
    expect(tasks[1].tests).toBe('assert is_prime(7)\nassert not is_prime(9)');
  });

  test('a bad line is one clear error naming its line number', () => {
    const ok = '{"id": "a", "task": "t", "expected": "x", "evaluator": "exact"}';
    expect(() => parseTasksFile(`${ok}\n{"id": "b", "task": "t", "evaluator": "fuzzy"}`, 'T.jsonl')).toThrow(/^T\.jsonl line 2 is invalid: evaluator/);
    expect(() => parseTasksFile(`${ok}\n\n{not json`, 'T.jsonl')).toThrow(/T\.jsonl line 3 is not valid JSON/);
    expect(() => parseTasksFile(`{"id": "n", "task": "t", "evaluator": "numeric"}`, 'T.jsonl')).toThrow(/line 1 is invalid: expected: the "numeric" evaluator needs "expected"/);
    expect(() => parseTasksFile(`{"id": "p", "task": "t", "evaluator": "python-tests"}`, 'T.jsonl')).toThrow(/line 1 is invalid: tests/);
    expect(() => parseTasksFile(`${ok}\n${ok}`, 'T.jsonl')).toThrow(/line 2: id "a" is already used on line 1/);
    expect(() => parseTasksFile('\n\n', 'T.jsonl')).toThrow(/has no tasks/);
  });

  test('workflow ids are stable per file content, settings and query id', () => {
    const settings = { pool: SIMULATOR_POOL, budgetUsd: 1, params: CtoParamsSchema.parse({}), options: {}, faults: [] };
    const a = ctoWorkflowId('ab'.repeat(32), settings, 'q1');
    expect(a).toBe(ctoWorkflowId('ab'.repeat(32), settings, 'q1'));
    expect(a).not.toBe(ctoWorkflowId('cd'.repeat(32), settings, 'q1'));
    expect(a).not.toBe(ctoWorkflowId('ab'.repeat(32), { ...settings, params: CtoParamsSchema.parse({ k: 5 }) }, 'q1'));
    expect(ctoWorkflowId('ab'.repeat(32), settings, 'a b/c')).toMatch(/^cto-[0-9a-f]{12}-[0-9a-f]{8}-a_b_c-[0-9a-f]{6}$/);
    expect(treePathFor('out/PREFS.jsonl')).toBe('out/PREFS.tree.json');
    expect(treePathFor('prefs')).toBe('prefs.tree.json');
  });
});

// ---------------------------------------------------------------- simulator diversity
describe('simulator diversity by sample index', () => {
  const sim = new SimulatorClient();
  const pool = SIMULATOR_POOL;
  const backbone = pool.backbones.find((b) => b.id === 'sim-large')!; // quality 0.98: no malformed first answers to step around
  const ask = async (purpose: MetaRole, callKey: string, extra: Record<string, unknown> = {}, task = 'Write a Python function is_prime(n) and test it') => {
    const r = await sim.complete({ backbone, messages: [{ role: 'user', content: 'x' }], sim: { purpose, task, seed: 1, callKey, extra } });
    return JSON.parse(r.content!) as unknown;
  };
  const firstValid = async (purpose: MetaRole, key: (attempt: number) => string, extra: Record<string, unknown> = {}, task?: string) => {
    for (let a = 1; a < 20; a++) {
      const v = await ask(purpose, key(a), extra, task);
      if (purpose === 'generator' ? BlueprintChoiceSchema.safeParse(v).success : purpose === 'implementer' ? ImplementerOutputSchema.safeParse(v).success : PatchSchema.safeParse(v).success) return v;
    }
    throw new Error('no valid answer');
  };

  test('Generator: sample 0 is the task kind’s blueprint, 1 self-consistency, 2 execution and a vote; all expand to valid teams', async () => {
    const expected: Record<string, string[]> = {
      'Write a Python function is_prime(n) and test it': ['plan-code-test', 'self-consistency', 'code-tests'],
      'A warehouse holds 12 rows of 13 crates and 4 loose crates, so the count is 12*13 + 4. How many crates does the warehouse hold in total?': ['program', 'self-consistency', 'program-vote'],
      'Who wrote Hamlet?': ['single', 'self-consistency', 'self-consistency'],
    };
    const tools = ['python', 'calculator'];
    for (const [task, blueprints] of Object.entries(expected)) {
      const choices = (await Promise.all([0, 1, 2].map((k) => firstValid('generator', (a) => `${ctoCallKey('q', ROOT_ID, 'generator', k)}#${a}`, {}, task)))) as BlueprintChoice[];
      expect(choices.map((c) => c.blueprint)).toEqual(blueprints);
      for (const c of choices) expect(templateProblems(expandChoice(c.blueprint, c, tools).template, tools)).toEqual([]);
    }
    // Not a CTO call: the same as sample 0.
    expect(await firstValid('generator', (a) => `generator:0#${a}`, {}, 'Write a Python function is_prime(n) and test it')).toMatchObject({ blueprint: 'plan-code-test', answer: 'code' });
  });

  test('Implementer: sample 1 all on the cheapest, sample 2 all on the strongest', async () => {
    const extra = { template: TEMPLATES_BY_KIND.code, pool };
    const out = (await Promise.all([0, 1, 2].map((n) => firstValid('implementer', (a) => `${ctoCallKey('q', 'g0', 'implementer', n)}#${a}`, extra)))) as { assignment: { backbone: string }[] }[];
    expect(new Set(out[1].assignment.map((x) => x.backbone))).toEqual(new Set([cheapestBackbone(pool).id]));
    expect(new Set(out[2].assignment.map((x) => x.backbone))).toEqual(new Set([strongestBackbone(pool).id]));
    expect(new Set(out[0].assignment.map((x) => x.backbone)).size).toBeGreaterThan(1);
  });

  test('Rectifier: three different applicable patches for a tool crash', async () => {
    const config = ConfigSchema.parse({ template: TEMPLATES_BY_KIND.code, assignment: { planner: 'sim-small', coder: 'sim-large', reviewer: 'sim-small' }, version: 1 });
    const trigger = { kind: 'failure', detail: 'tool python crashed', agent: 'coder', tool: 'python' };
    const extra = { config, pool, trigger, finished: ['planner'] };
    const patches = (await Promise.all([0, 1, 2].map((m) => firstValid('rectifier', (a) => `${ctoCallKey('q', 'g0.i0', 'rectifier', m)}#${a}`, extra)))) as never[];
    expect(new Set(patches.map((p) => JSON.stringify(p))).size).toBe(3);
    for (const p of patches) expect(() => applyPatch(config, PatchSchema.parse(p), pool)).not.toThrow();
    expect(JSON.stringify(patches[2])).toContain(cheapestBackbone(pool).id);
  });
});
