import fc from 'fast-check';
import {
  ancestors,
  obviousFinalAgent,
  assignmentProblems,
  descendants,
  fingerprints,
  neededAgents,
  predecessors,
  readyAgents,
  successors,
  templateProblems,
  topologicalOrder,
} from '../../../mas/graph';
import type { Template } from '../../../mas/schemas';
import { rawTmpl, tmpl } from './fixtures';

const diamond = () => tmpl(['A', 'B', 'C', 'D'], ['A>B', 'A>C', 'B>D', 'C>D']);
const none = new Set<string>();

describe('predecessors / successors / ancestors / descendants', () => {
  test('on a diamond', () => {
    const t = diamond();
    expect(predecessors(t, 'D').sort()).toEqual(['B', 'C']);
    expect(successors(t, 'A').sort()).toEqual(['B', 'C']);
    expect([...ancestors(t, 'D')].sort()).toEqual(['A', 'B', 'C']);
    expect([...descendants(t, 'A')].sort()).toEqual(['B', 'C', 'D']);
    expect(ancestors(t, 'A').size).toBe(0);
    expect(descendants(t, 'D').size).toBe(0);
  });

  test('neededAgents is the final agent plus its ancestors', () => {
    const t = tmpl(['A', 'B', 'X', 'D'], ['A>B', 'A>X', 'B>D'], 'D');
    expect([...neededAgents(t)].sort()).toEqual(['A', 'B', 'D']);
    expect([...neededAgents({ ...t, finalAgent: 'B' })].sort()).toEqual(['A', 'B']);
  });
});

describe('topologicalOrder', () => {
  test('orders a chain and a diamond', () => {
    expect(topologicalOrder(tmpl(['C', 'B', 'A'], ['A>B', 'B>C'], 'C'))).toEqual(['A', 'B', 'C']);
    expect(topologicalOrder(diamond())).toEqual(['A', 'B', 'C', 'D']);
  });

  test('independent agents keep their listed order', () => {
    expect(topologicalOrder(tmpl(['Z', 'Y', 'X']))).toEqual(['Z', 'Y', 'X']);
  });

  test('returns null on a cycle and on a self-loop', () => {
    expect(topologicalOrder(tmpl(['A', 'B', 'C'], ['A>B', 'B>C', 'C>A']))).toBeNull();
    expect(topologicalOrder(tmpl(['A', 'B'], ['A>B', 'B>A']))).toBeNull();
    expect(topologicalOrder(tmpl(['A', 'B'], ['A>B', 'B>B']))).toBeNull();
  });

  test('property: every random DAG gets an order that respects every edge', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 9 }).chain((n) =>
          fc.tuple(
            fc.constant(n),
            fc.subarray(
              Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => [i, j] as const)).flat().filter(([i, j]) => i < j),
            ),
            fc.shuffledSubarray(Array.from({ length: n }, (_, i) => i), { minLength: n, maxLength: n }),
          ),
        ),
        ([n, pairs, listing]) => {
          const ids = Array.from({ length: n }, (_, i) => `N${i}`);
          const t = tmpl(
            listing.map((i) => ids[i]),
            pairs.map(([i, j]) => `${ids[i]}>${ids[j]}`),
            ids[n - 1],
          );
          const order = topologicalOrder(t);
          expect(order).not.toBeNull();
          expect([...order!].sort()).toEqual([...ids].sort());
          const pos = new Map(order!.map((id, k) => [id, k]));
          for (const e of t.edges) expect(pos.get(e.from)!).toBeLessThan(pos.get(e.to)!);
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('templateProblems', () => {
  test('a valid template has no problems', () => {
    expect(templateProblems(tmpl([{ id: 'A', tools: ['python', 'search'] }, 'B'], ['A>B']))).toEqual([]);
    expect(templateProblems(tmpl(['A', 'B', 'C'], ['A>B', 'B>C'], 'C', [{ from: 'C', to: 'A', maxRounds: 2 }]))).toEqual([]);
  });

  test('edge to or from an unknown agent', () => {
    expect(templateProblems(rawTmpl(['A', 'B'], ['A>B', 'A>X'], 'B'))).toEqual(['edge A → X ends at unknown agent "X"']);
    expect(templateProblems(rawTmpl(['A', 'B'], ['Y>B'], 'B'))).toEqual(['edge Y → B starts at unknown agent "Y"']);
  });

  test('a cycle', () => {
    const problems = templateProblems(rawTmpl(['A', 'B', 'C'], ['A>B', 'B>C', 'C>A'], 'C'));
    expect(problems[0]).toMatch(/^the edges form a cycle: edges must form a DAG/);
    expect(problems[0]).toContain('maxRounds');
    // The back edge out of the final agent is named too, so one repair round can fix both.
    expect(problems.slice(1)).toEqual([expect.stringMatching(/^the final agent "C" feeds "A"/)]);
  });

  test('an unknown final agent', () => {
    expect(templateProblems(rawTmpl(['A', 'B'], ['A>B'], 'Z'))).toEqual(['the final agent "Z" is not one of the agents']);
  });

  test('an unknown tool, with the known tools listed', () => {
    expect(templateProblems(rawTmpl(['A'], [], 'A', { A: ['python', 'shell'] }))).toEqual([
      'agent "A" uses unknown tool "shell" (known tools: python, javascript, calculator, search, workspace)',
    ]);
    // A caller-given registry replaces the default one.
    expect(templateProblems(rawTmpl(['A'], [], 'A', { A: ['shell'] }), ['shell'])).toEqual([]);
    expect(templateProblems(rawTmpl(['A'], [], 'A', { A: ['python'] }), ['shell'])).toEqual([
      'agent "A" uses unknown tool "python" (known tools: shell)',
    ]);
  });

  test('a duplicate agent id', () => {
    expect(templateProblems(rawTmpl(['A', 'B', 'A'], ['A>B'], 'B'))).toEqual(['agent id "A" is used twice']);
  });

  test('a self loop (and not a second "cycle" sentence)', () => {
    expect(templateProblems(rawTmpl(['A', 'B'], ['A>B', 'B>B'], 'B'))).toEqual([
      'edge B → B is a self-loop: use a bounded feedback loop instead',
    ]);
  });

  test('a duplicate edge', () => {
    expect(templateProblems(rawTmpl(['A', 'B'], ['A>B', 'A>B'], 'B'))).toEqual(['edge A → B is listed twice']);
  });

  test('a feedback loop whose target is not upstream', () => {
    const t = tmpl(['A', 'B', 'C'], ['A>B', 'B>C'], 'C', [{ from: 'A', to: 'C', maxRounds: 2 }]);
    expect(templateProblems(t)).toEqual([expect.stringMatching(/^feedback loop A ⟲ C: "C" must be upstream of "A"/)]);
    // Siblings are not upstream of each other either.
    const d: Template = { ...diamond(), loops: [{ from: 'B', to: 'C', maxRounds: 1 }] };
    expect(templateProblems(d)).toEqual([expect.stringMatching(/^feedback loop B ⟲ C: "C" must be upstream of "B"/)]);
  });

  test('a feedback loop naming an unknown agent', () => {
    const t = tmpl(['A', 'B'], ['A>B'], 'B', [{ from: 'B', to: 'Q', maxRounds: 1 }]);
    expect(templateProblems(t)).toEqual(['feedback loop B ⟲ Q names an unknown agent']);
  });

  test('several problems are all listed', () => {
    const problems = templateProblems(rawTmpl(['A', 'A'], ['A>X'], 'Z', { A: ['rm'] }));
    expect(problems).toEqual(
      expect.arrayContaining([
        'agent id "A" is used twice',
        'the final agent "Z" is not one of the agents',
        'edge A → X ends at unknown agent "X"',
      ]),
    );
    expect(problems.some((p) => p.includes('unknown tool "rm"'))).toBe(true);
  });
});

describe('templateProblems: connectivity rules a weak Generator breaks', () => {
  test('an upstream agent as finalAgent: the final agent feeds another, which cannot reach it', () => {
    expect(templateProblems(tmpl(['planner', 'coder'], ['planner>coder'], 'planner'))).toEqual([
      'the final agent "planner" feeds "coder": the final agent\'s output is the answer, so it must be the last agent (make the last agent the finalAgent, or remove the edges out of "planner")',
      'agent "coder" cannot reach the final agent "planner": its output would be wasted (add an edge from "coder" toward "planner", or remove "coder")',
    ]);
  });

  test('an agent connected to nothing, one sentence per agent', () => {
    const problems = templateProblems(tmpl(['A', 'B', 'X', 'Y'], ['A>B'], 'B'));
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^agent "X" cannot reach the final agent "B"/);
    expect(problems[1]).toMatch(/^agent "Y" cannot reach the final agent "B"/);
  });

  test('a side branch that ends elsewhere is wasted too', () => {
    expect(templateProblems(tmpl(['A', 'B', 'C'], ['A>B', 'A>C'], 'B'))).toEqual([expect.stringMatching(/^agent "C" cannot reach the final agent "B"/)]);
  });

  test('a single agent and a diamond are fine', () => {
    expect(templateProblems(tmpl(['A']))).toEqual([]);
    expect(templateProblems(diamond())).toEqual([]);
  });

  test('a feedback loop from an agent to itself', () => {
    const t = tmpl(['A', 'B'], ['A>B'], 'B', [{ from: 'B', to: 'B', maxRounds: 2 }]);
    expect(templateProblems(t)).toEqual([expect.stringMatching(/^feedback loop B ⟲ B is a self-loop/)]);
  });

  test('two feedback loops from one reviewer', () => {
    const t = tmpl(['A', 'B', 'C'], ['A>B', 'B>C'], 'C', [
      { from: 'C', to: 'A', maxRounds: 1 },
      { from: 'C', to: 'B', maxRounds: 1 },
    ]);
    expect(templateProblems(t)).toEqual(['agent "C" starts two feedback loops; keep one']);
  });
});

describe('assignmentProblems', () => {
  test('missing and unknown backbones', () => {
    const t = tmpl(['A', 'B', 'C']);
    expect(assignmentProblems(t, { A: 'x', B: 'y', C: 'x' }, ['x', 'y'])).toEqual([]);
    expect(assignmentProblems(t, { A: 'x', C: 'nope' }, ['x', 'y'])).toEqual([
      'agent "B" has no backbone',
      'agent "C" is assigned unknown backbone "nope" (pool: x, y)',
    ]);
  });
});

describe('readyAgents', () => {
  test('a diamond: A first, then B and C together, then D', () => {
    const t = diamond();
    expect(readyAgents(t, none, none)).toEqual(['A']);
    expect(readyAgents(t, new Set(['A']), none)).toEqual(['B', 'C']);
    expect(readyAgents(t, new Set(['A']), new Set(['B']))).toEqual(['C']);
    expect(readyAgents(t, new Set(['A', 'B']), new Set(['C']))).toEqual([]);
    expect(readyAgents(t, new Set(['A', 'B']), none)).toEqual(['C']);
    expect(readyAgents(t, new Set(['A', 'B', 'C']), none)).toEqual(['D']);
    expect(readyAgents(t, new Set(['A', 'B', 'C', 'D']), none)).toEqual([]);
  });

  test('several roots are ready at once', () => {
    expect(readyAgents(tmpl(['P', 'Q', 'R'], ['P>R', 'Q>R']), none, none)).toEqual(['P', 'Q']);
  });

  test('agents not upstream of the final agent are never ready', () => {
    // X hangs off A but feeds nothing; I is isolated; Z is downstream of the final agent.
    const t = tmpl(['A', 'X', 'I', 'B', 'Z'], ['A>X', 'A>B', 'B>Z'], 'B');
    expect(readyAgents(t, none, none)).toEqual(['A']);
    expect(readyAgents(t, new Set(['A']), none)).toEqual(['B']);
    expect(readyAgents(t, new Set(['A', 'B']), none)).toEqual([]);
  });

  test('nothing is ready in a cyclic template', () => {
    expect(readyAgents(tmpl(['A', 'B'], ['A>B', 'B>A']), none, none)).toEqual([]);
  });
});

describe('fingerprints', () => {
  const chain = () => tmpl(['A', 'B', 'C', 'S'], ['A>B', 'B>C', 'S>C'], 'C');
  const all = (backbone: string) => ({ A: backbone, B: backbone, C: backbone, S: backbone });

  test('deterministic, distinct per agent', () => {
    const fp = fingerprints(chain(), all('mid'));
    expect(fingerprints(chain(), all('mid'))).toEqual(fp);
    expect(new Set(Object.values(fp)).size).toBe(4);
    expect(Object.values(fp).every((h) => /^[0-9a-f]{16}$/.test(h))).toBe(true);
  });

  test('an upstream spec change changes it and everything downstream, not upstream or siblings', () => {
    const before = fingerprints(chain(), all('mid'));
    const t = chain();
    t.agents[1] = { ...t.agents[1], instructions: 'something else' };
    const after = fingerprints(t, all('mid'));
    expect(after.A).toBe(before.A);
    expect(after.S).toBe(before.S);
    expect(after.B).not.toBe(before.B);
    expect(after.C).not.toBe(before.C);
  });

  test('a backbone change propagates downstream only', () => {
    const before = fingerprints(chain(), all('mid'));
    const after = fingerprints(chain(), { ...all('mid'), A: 'big' });
    expect(after.A).not.toBe(before.A);
    expect(after.B).not.toBe(before.B);
    expect(after.C).not.toBe(before.C);
    expect(after.S).toBe(before.S);
  });

  test('a change to the last agent touches only it', () => {
    const t = chain();
    t.agents[2] = { ...t.agents[2], tools: ['python'] };
    const before = fingerprints(chain(), all('mid'));
    const after = fingerprints(t, all('mid'));
    expect(after.C).not.toBe(before.C);
    expect({ A: after.A, B: after.B, S: after.S }).toEqual({ A: before.A, B: before.B, S: before.S });
  });

  test('in a diamond, changing B leaves its sibling C alone but changes D', () => {
    const before = fingerprints(diamond(), { A: 'm', B: 'm', C: 'm', D: 'm' });
    const after = fingerprints(diamond(), { A: 'm', B: 'x', C: 'm', D: 'm' });
    expect(after.C).toBe(before.C);
    expect(after.A).toBe(before.A);
    expect(after.B).not.toBe(before.B);
    expect(after.D).not.toBe(before.D);
  });

  test('the loop round is part of it and propagates downstream', () => {
    const before = fingerprints(chain(), all('mid'));
    const after = fingerprints(chain(), all('mid'), { B: 1 });
    expect(after.A).toBe(before.A);
    expect(after.B).not.toBe(before.B);
    expect(after.C).not.toBe(before.C);
  });

  test('a new incoming edge changes the target even though its spec did not change', () => {
    const before = fingerprints(chain(), all('mid'));
    const t = chain();
    t.edges.push({ from: 'S', to: 'B' });
    const after = fingerprints(t, all('mid'));
    expect(after.B).not.toBe(before.B);
    expect(after.A).toBe(before.A);
  });

  test('independent of edge order and agent listing order', () => {
    const a = fingerprints(tmpl(['A', 'B', 'C', 'S'], ['A>B', 'B>C', 'S>C'], 'C'), all('mid'));
    const b = fingerprints(tmpl(['S', 'C', 'B', 'A'], ['S>C', 'B>C', 'A>B'], 'C'), all('mid'));
    expect(b).toEqual(a);
  });
});

describe('obviousFinalAgent: the one last agent of a design that named another', () => {
  test('a checker last in the chain while finalAgent names the solver: the checker', () => {
    const t = tmpl(['analyst', 'solver', { id: 'checker', verifier: true }], ['analyst>solver', 'solver>checker'], 'solver');
    expect(templateProblems(t).length).toBeGreaterThan(0);
    expect(obviousFinalAgent(t)).toBe('checker');
    expect(templateProblems({ ...t, finalAgent: 'checker' })).toEqual([]);
  });

  test('no rewrite for a valid design, two sinks, a cycle, a self-loop or unknown names', () => {
    expect(obviousFinalAgent(tmpl(['a', 'b'], ['a>b'], 'b'))).toBeNull();
    expect(obviousFinalAgent(tmpl(['a', 'b', 'c'], ['a>b', 'a>c'], 'a'))).toBeNull();
    expect(obviousFinalAgent(tmpl(['a', 'b', 'c'], ['a>b', 'b>a', 'b>c'], 'a'))).toBeNull();
    expect(obviousFinalAgent(tmpl(['a', 'b'], ['a>b', 'b>b'], 'a'))).toBeNull();
    expect(obviousFinalAgent({ ...tmpl(['a', 'b'], ['a>b'], 'b'), edges: [{ from: 'a', to: 'zz' }], finalAgent: 'a' })).toBeNull();
  });

  test('an agent that reaches nothing but the wrong final agent keeps the design invalid (no rewrite)', () => {
    // a → b, c alone: two sinks (b, c) → null.
    expect(obviousFinalAgent(tmpl(['a', 'b', 'c'], ['a>b'], 'c'))).toBeNull();
  });
});
