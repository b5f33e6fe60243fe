import { fingerprints, topologicalOrder } from '../../../mas/graph';
import { applyPatch, describeDiff, PatchError, samePatch, sameSystem, survivingOutputs } from '../../../mas/patch';
import type { AgentOutput, Config, Patch, PatchOp } from '../../../mas/schemas';
import { cfg, out, POOL, tmpl } from './fixtures';

const patch = (...ops: PatchOp[]): Patch => ({ scope: 'local', ops, rationale: '' });

/** A → B → D, A → C → D, final D; tools on B. */
function base(): Config {
  return cfg(tmpl(['A', { id: 'B', tools: ['python'] }, 'C', 'D'], ['A>B', 'A>C', 'B>D', 'C>D'], 'D'), 'mid', 3);
}

function applyErr(config: Config, p: Patch): string {
  try {
    applyPatch(config, p, POOL);
  } catch (e) {
    expect(e).toBeInstanceOf(PatchError);
    expect((e as Error).name).toBe('PatchError');
    return (e as Error).message;
  }
  throw new Error('expected a PatchError');
}

function outputsFor(config: Config): Record<string, AgentOutput> {
  const fp = fingerprints(config.template, config.assignment);
  return Object.fromEntries(config.template.agents.map((a) => [a.id, out(`out ${a.id}`, fp[a.id])]));
}

describe('applyPatch: each op', () => {
  test('set_backbone', () => {
    const next = applyPatch(base(), patch({ op: 'set_backbone', agent: 'B', backbone: 'big' }), POOL);
    expect(next.assignment).toEqual({ A: 'mid', B: 'big', C: 'mid', D: 'mid' });
    expect(next.template).toEqual(base().template);
    expect(next.version).toBe(4);
  });

  test('set_instructions', () => {
    const next = applyPatch(base(), patch({ op: 'set_instructions', agent: 'C', instructions: 'be careful' }), POOL);
    expect(next.template.agents.find((a) => a.id === 'C')!.instructions).toBe('be careful');
    expect(next.template.agents.filter((a) => a.id !== 'C')).toEqual(base().template.agents.filter((a) => a.id !== 'C'));
    expect(next.assignment).toEqual(base().assignment);
  });

  test('set_tools', () => {
    const next = applyPatch(base(), patch({ op: 'set_tools', agent: 'B', tools: ['calculator', 'search'] }), POOL);
    expect(next.template.agents.find((a) => a.id === 'B')!.tools).toEqual(['calculator', 'search']);
    const removed = applyPatch(base(), patch({ op: 'set_tools', agent: 'B', tools: [] }), POOL);
    expect(removed.template.agents.find((a) => a.id === 'B')!.tools).toEqual([]);
  });

  test('add_agent (with edges in the same patch)', () => {
    const next = applyPatch(
      base(),
      patch(
        { op: 'add_agent', agent: { id: 'V', role: 'verifier', instructions: 'check', tools: [], maxTurns: 2, verifier: true }, backbone: 'cheap' },
        { op: 'add_edge', from: 'D', to: 'V' },
        { op: 'set_final', agent: 'V' },
      ),
      POOL,
    );
    expect(next.template.agents.map((a) => a.id)).toEqual(['A', 'B', 'C', 'D', 'V']);
    expect(next.assignment.V).toBe('cheap');
    expect(next.template.edges).toContainEqual({ from: 'D', to: 'V' });
    expect(next.template.finalAgent).toBe('V');
  });

  test('add_agent connected to nothing is refused, naming the agent', () => {
    const msg = applyErr(base(), patch({ op: 'add_agent', agent: { id: 'X', role: 'r', instructions: 'i', tools: [], maxTurns: 4 }, backbone: 'mid' }));
    expect(msg).toMatch(/^the patched system is invalid: agent "X" cannot reach the final agent "D"/);
    // An edge out of it only is not enough either; one toward the final agent is.
    expect(applyErr(base(), patch({ op: 'add_agent', agent: { id: 'X', role: 'r', instructions: 'i', tools: [], maxTurns: 4 }, backbone: 'mid' }, { op: 'add_edge', from: 'A', to: 'X' }))).toContain('agent "X" cannot reach');
    const ok = applyPatch(base(), patch({ op: 'add_agent', agent: { id: 'X', role: 'r', instructions: 'i', tools: [], maxTurns: 4 }, backbone: 'mid' }, { op: 'add_edge', from: 'X', to: 'D' }), POOL);
    expect(ok.template.agents.map((a) => a.id)).toContain('X');
  });

  test('remove_edge that leaves an agent dangling is refused', () => {
    expect(applyErr(base(), patch({ op: 'remove_edge', from: 'C', to: 'D' }))).toContain('agent "C" cannot reach the final agent "D"');
  });

  test('add_agent with an existing id', () => {
    expect(applyErr(base(), patch({ op: 'add_agent', agent: { id: 'B', role: 'r', instructions: 'i', tools: [], maxTurns: 4 }, backbone: 'mid' }))).toBe(
      'add_agent: agent "B" already exists',
    );
  });

  test('remove_agent drops its edges, loops and assignment', () => {
    const c = base();
    c.template.loops = [{ from: 'D', to: 'C', maxRounds: 2 }];
    const next = applyPatch(c, patch({ op: 'remove_agent', agent: 'C' }), POOL);
    expect(next.template.agents.map((a) => a.id)).toEqual(['A', 'B', 'D']);
    expect(next.template.edges).toEqual([
      { from: 'A', to: 'B' },
      { from: 'B', to: 'D' },
    ]);
    expect(next.template.loops).toEqual([]);
    expect(next.assignment).toEqual({ A: 'mid', B: 'mid', D: 'mid' });
  });

  test('remove_agent of the final agent', () => {
    expect(applyErr(base(), patch({ op: 'remove_agent', agent: 'D' }))).toBe(
      'remove_agent: "D" is the final agent; set_final to another agent first',
    );
    // ...but set_final first, then remove (and drop C, which would no longer reach B), works.
    const next = applyPatch(base(), patch({ op: 'set_final', agent: 'B' }, { op: 'remove_agent', agent: 'D' }, { op: 'remove_agent', agent: 'C' }), POOL);
    expect(next.template.finalAgent).toBe('B');
    expect(next.template.agents.map((a) => a.id)).toEqual(['A', 'B']);
    // Leaving C behind is refused: it would feed nothing.
    expect(applyErr(base(), patch({ op: 'set_final', agent: 'B' }, { op: 'remove_agent', agent: 'D' }))).toContain('agent "C" cannot reach the final agent "B"');
  });

  test('add_edge', () => {
    const next = applyPatch(base(), patch({ op: 'add_edge', from: 'B', to: 'C' }), POOL);
    expect(next.template.edges).toHaveLength(5);
    expect(next.template.edges).toContainEqual({ from: 'B', to: 'C' });
    expect(topologicalOrder(next.template)).toEqual(['A', 'B', 'C', 'D']);
  });

  test('add_edge that closes a cycle', () => {
    const msg = applyErr(base(), patch({ op: 'add_edge', from: 'D', to: 'A' }));
    expect(msg).toMatch(/^the patched system is invalid: the edges form a cycle/);
  });

  test('add_edge that is a self loop', () => {
    expect(applyErr(base(), patch({ op: 'add_edge', from: 'B', to: 'B' }))).toContain('edge B → B is a self-loop');
  });

  test('add_edge of an existing edge changes nothing', () => {
    expect(applyErr(base(), patch({ op: 'add_edge', from: 'A', to: 'B' }))).toBe('the patch changes nothing');
  });

  test('remove_edge', () => {
    const next = applyPatch(base(), patch({ op: 'remove_edge', from: 'A', to: 'C' }), POOL);
    expect(next.template.edges).not.toContainEqual({ from: 'A', to: 'C' });
    expect(next.template.edges).toHaveLength(3);
    expect(applyErr(base(), patch({ op: 'remove_edge', from: 'C', to: 'A' }))).toBe('remove_edge: there is no edge C → A');
  });

  test('set_final', () => {
    // A final agent that still feeds D is refused; moving the end of the chain works.
    expect(applyErr(base(), patch({ op: 'set_final', agent: 'C' }))).toContain('the final agent "C" feeds "D"');
    const next = applyPatch(base(), patch({ op: 'add_edge', from: 'B', to: 'C' }, { op: 'set_final', agent: 'C' }, { op: 'remove_agent', agent: 'D' }), POOL);
    expect(next.template.finalAgent).toBe('C');
    expect(applyErr(base(), patch({ op: 'set_final', agent: 'D' }))).toBe('the patch changes nothing');
  });

  test('replace_topology swaps template and assignment wholesale', () => {
    const t = tmpl(['P', { id: 'Q', tools: ['search'] }], ['P>Q'], 'Q');
    const next = applyPatch(base(), { scope: 'global', ops: [{ op: 'replace_topology', template: t, assignment: { P: 'cheap', Q: 'big' } }], rationale: 'new' }, POOL);
    expect(next.template).toEqual(t);
    expect(next.assignment).toEqual({ P: 'cheap', Q: 'big' });
    expect(next.version).toBe(4);
  });

  test('replace_topology with a missing assignment entry', () => {
    const t = tmpl(['P', 'Q'], ['P>Q'], 'Q');
    expect(applyErr(base(), patch({ op: 'replace_topology', template: t, assignment: { P: 'cheap' } }))).toBe(
      'the patched system is invalid: agent "Q" has no backbone',
    );
  });

  test('set_operator: a producer becomes a programmer (its tools go), then a plain agent again', () => {
    const next = applyPatch(base(), patch({ op: 'set_operator', agent: 'B', operator: { kind: 'programmer', answer: 'number', maxRounds: 3 } }), POOL);
    expect(next.template.agents.find((a) => a.id === 'B')).toMatchObject({ tools: [], operator: { kind: 'programmer', answer: 'number', maxRounds: 3 } });
    const back = applyPatch(next, patch({ op: 'set_operator', agent: 'B', operator: null }), POOL);
    expect(back.template.agents.find((a) => a.id === 'B')!.operator).toBeUndefined();
    expect(Object.keys(back.template.agents.find((a) => a.id === 'B')!)).not.toContain('operator');
  });

  test('set_operator: add a vote, and the agent and everything downstream re-run', () => {
    const config = base();
    const next = applyPatch(config, patch({ op: 'set_operator', agent: 'C', operator: { kind: 'ensemble', k: 5, member: 'agent', answer: 'number', temperature: 0.7, maxRounds: 3 } }), POOL);
    expect(next.template.agents.find((a) => a.id === 'C')!.operator).toMatchObject({ kind: 'ensemble', k: 5 });
    expect(survivingOutputs(outputsFor(config), next).rerun).toEqual(['C', 'D']);
  });

  test('set_operator: an operator the rules refuse is a PatchError naming the rule', () => {
    expect(applyErr(base(), patch({ op: 'set_operator', agent: 'A', operator: { kind: 'test' } }))).toContain('agent "A" is a test step but nothing feeds it');
    const noSandbox = (() => {
      try {
        applyPatch(base(), patch({ op: 'set_operator', agent: 'C', operator: { kind: 'programmer', answer: 'text', maxRounds: 2 } }), POOL, ['calculator']);
        return 'applied';
      } catch (e) {
        return (e as Error).message;
      }
    })();
    expect(noSandbox).toContain('the python sandbox is not available here');
  });

  test('set_k raises the samples of an ensemble, and only of an ensemble', () => {
    const voting = applyPatch(base(), patch({ op: 'set_operator', agent: 'C', operator: { kind: 'ensemble', k: 3, member: 'mixed', answer: 'number', temperature: 0.7, maxRounds: 3 } }), POOL);
    const next = applyPatch(voting, patch({ op: 'set_k', agent: 'C', k: 7 }), POOL);
    expect(next.template.agents.find((a) => a.id === 'C')!.operator).toMatchObject({ kind: 'ensemble', k: 7, member: 'mixed' });
    expect(applyErr(base(), patch({ op: 'set_k', agent: 'C', k: 7 }))).toBe('set_k: agent "C" is not an ensemble (use set_operator to make it one)');
  });

  test('bypass_agent drops a step and joins its inputs to its outputs', () => {
    const next = applyPatch(base(), patch({ op: 'bypass_agent', agent: 'B' }), POOL);
    expect(next.template.agents.map((a) => a.id)).toEqual(['A', 'C', 'D']);
    expect(next.template.edges).toEqual([
      { from: 'A', to: 'C' },
      { from: 'C', to: 'D' },
      { from: 'A', to: 'D' },
    ]);
    expect(next.assignment).toEqual({ A: 'mid', C: 'mid', D: 'mid' });
  });

  test('bypass_agent of a final agent with one input makes that input final; with two it is refused', () => {
    const chain = cfg(tmpl(['P', 'Q', { id: 'R', verifier: true }], ['P>Q', 'Q>R'], 'R', [{ from: 'R', to: 'Q', maxRounds: 2 }]), 'mid', 1);
    const next = applyPatch(chain, patch({ op: 'bypass_agent', agent: 'R' }), POOL);
    expect(next.template).toMatchObject({ finalAgent: 'Q', loops: [], edges: [{ from: 'P', to: 'Q' }] });
    expect(applyErr(base(), patch({ op: 'bypass_agent', agent: 'D' }))).toBe('bypass_agent: "D" is the final agent and has 2 inputs; set_final to the agent that should answer first');
  });

  test('ops apply in order: a later op sees an earlier one', () => {
    const next = applyPatch(
      base(),
      patch({ op: 'set_instructions', agent: 'A', instructions: 'first' }, { op: 'set_instructions', agent: 'A', instructions: 'second' }),
      POOL,
    );
    expect(next.template.agents[0].instructions).toBe('second');
  });
});

describe('applyPatch: errors', () => {
  test.each<[string, PatchOp, string]>([
    ['set_backbone', { op: 'set_backbone', agent: 'X', backbone: 'mid' }, 'set_backbone: unknown agent "X"'],
    ['set_instructions', { op: 'set_instructions', agent: 'X', instructions: 'i' }, 'set_instructions: unknown agent "X"'],
    ['set_tools', { op: 'set_tools', agent: 'X', tools: [] }, 'set_tools: unknown agent "X"'],
    ['remove_agent', { op: 'remove_agent', agent: 'X' }, 'remove_agent: unknown agent "X"'],
    ['add_edge (from)', { op: 'add_edge', from: 'X', to: 'A' }, 'add_edge: unknown agent "X"'],
    ['add_edge (to)', { op: 'add_edge', from: 'A', to: 'X' }, 'add_edge: unknown agent "X"'],
    ['set_final', { op: 'set_final', agent: 'X' }, 'set_final: unknown agent "X"'],
  ])('%s on an unknown agent', (_name, op, message) => {
    expect(applyErr(base(), patch(op))).toBe(message);
  });

  test('an unknown backbone', () => {
    expect(applyErr(base(), patch({ op: 'set_backbone', agent: 'A', backbone: 'gpt-99' }))).toBe(
      'the patched system is invalid: agent "A" is assigned unknown backbone "gpt-99" (pool: cheap, mid, big)',
    );
  });

  test('an unknown tool', () => {
    expect(applyErr(base(), patch({ op: 'set_tools', agent: 'A', tools: ['shell'] }))).toBe(
      'the patched system is invalid: agent "A" uses unknown tool "shell" (known tools: python, javascript, calculator, search, workspace)',
    );
    // The caller's registry is honoured.
    const next = applyPatch(base(), patch({ op: 'set_tools', agent: 'A', tools: ['shell'] }), POOL, ['shell', 'python']);
    expect(next.template.agents[0].tools).toEqual(['shell']);
  });

  test('a malformed template (bad id from add_agent)', () => {
    const msg = applyErr(base(), patch({ op: 'add_agent', agent: { id: '9lives', role: 'r', instructions: 'i', tools: [], maxTurns: 4 }, backbone: 'mid' }));
    expect(msg).toMatch(/^the patched system is invalid: agent id "9lives" is not valid/);
  });

  test('a patch that changes nothing', () => {
    expect(applyErr(base(), patch({ op: 'set_backbone', agent: 'A', backbone: 'mid' }))).toBe('the patch changes nothing');
    expect(applyErr(base(), patch({ op: 'set_tools', agent: 'B', tools: ['python'] }))).toBe('the patch changes nothing');
    // A change undone in the same patch is no change.
    expect(
      applyErr(base(), patch({ op: 'set_backbone', agent: 'A', backbone: 'big' }, { op: 'set_backbone', agent: 'A', backbone: 'mid' })),
    ).toBe('the patch changes nothing');
  });

  test('the input config is never mutated, on success or failure', () => {
    const c = base();
    const snapshot = structuredClone(c);
    applyPatch(c, patch({ op: 'set_tools', agent: 'B', tools: [] }, { op: 'set_backbone', agent: 'A', backbone: 'big' }, { op: 'remove_agent', agent: 'C' }), POOL);
    expect(c).toEqual(snapshot);
    expect(() => applyPatch(c, patch({ op: 'set_backbone', agent: 'A', backbone: 'big' }, { op: 'add_edge', from: 'D', to: 'A' }), POOL)).toThrow(PatchError);
    expect(c).toEqual(snapshot);
  });
});

describe('sameSystem / samePatch', () => {
  test('compare by value, ignoring key order and version', () => {
    const a = base();
    const b = { ...structuredClone(a), version: 9, assignment: { D: 'mid', C: 'mid', B: 'mid', A: 'mid' } };
    expect(sameSystem(a, b)).toBe(true);
    expect(sameSystem(a, { ...b, assignment: { ...b.assignment, A: 'big' } })).toBe(false);
    expect(samePatch([{ op: 'set_final', agent: 'A' }], [{ agent: 'A', op: 'set_final' }])).toBe(true);
    expect(samePatch([{ op: 'set_final', agent: 'A' }], [{ op: 'set_final', agent: 'B' }])).toBe(false);
  });
});

describe('survivingOutputs', () => {
  test('keeps untouched outputs and reruns the changed agent and its descendants', () => {
    const prev = base();
    const outputs = outputsFor(prev);
    const next = applyPatch(prev, patch({ op: 'set_instructions', agent: 'B', instructions: 'again' }), POOL);
    const { kept, rerun } = survivingOutputs(outputs, next);
    expect(Object.keys(kept).sort()).toEqual(['A', 'C']);
    expect(kept.A).toBe(outputs.A);
    expect(rerun).toEqual(['B', 'D']);
  });

  test('a backbone change on the root reruns everything', () => {
    const prev = base();
    const next = applyPatch(prev, patch({ op: 'set_backbone', agent: 'A', backbone: 'big' }), POOL);
    const { kept, rerun } = survivingOutputs(outputsFor(prev), next);
    expect(kept).toEqual({});
    expect(rerun).toEqual(['A', 'B', 'C', 'D']);
  });

  test('a change to the final agent keeps every upstream output', () => {
    const prev = base();
    const next = applyPatch(prev, patch({ op: 'set_backbone', agent: 'D', backbone: 'cheap' }), POOL);
    const { kept, rerun } = survivingOutputs(outputsFor(prev), next);
    expect(Object.keys(kept).sort()).toEqual(['A', 'B', 'C']);
    expect(rerun).toEqual(['D']);
  });

  test('unfinished agents are rerun when needed; removed agents are dropped', () => {
    const prev = base();
    const outputs = outputsFor(prev);
    delete outputs.D;
    const next = applyPatch(prev, patch({ op: 'remove_edge', from: 'C', to: 'D' }, { op: 'remove_agent', agent: 'C' }), POOL);
    const { kept, rerun } = survivingOutputs(outputs, next);
    expect(Object.keys(kept).sort()).toEqual(['A', 'B']);
    expect(rerun).toEqual(['D']);
  });

  test('an added agent runs, and the agent it now feeds reruns', () => {
    const prev = base();
    const next = applyPatch(
      prev,
      patch(
        { op: 'add_agent', agent: { id: 'E', role: 'extra', instructions: 'x', tools: [], maxTurns: 4 }, backbone: 'mid' },
        { op: 'add_edge', from: 'A', to: 'E' },
        { op: 'add_edge', from: 'E', to: 'D' },
      ),
      POOL,
    );
    const { kept, rerun } = survivingOutputs(outputsFor(prev), next);
    expect(Object.keys(kept).sort()).toEqual(['A', 'B', 'C']);
    expect(rerun.sort()).toEqual(['D', 'E']);
  });

  test('agents no longer needed are not rerun', () => {
    const prev = base();
    const outputs = outputsFor(prev);
    delete outputs.C;
    delete outputs.D;
    const next = applyPatch(prev, patch({ op: 'set_final', agent: 'B' }, { op: 'remove_agent', agent: 'C' }, { op: 'remove_agent', agent: 'D' }), POOL);
    const { rerun } = survivingOutputs(outputs, next);
    expect(rerun).toEqual([]);
  });

  test('a loop round invalidates that agent and its descendants', () => {
    const prev = base();
    const next = { ...prev, version: prev.version + 1 };
    const { kept, rerun } = survivingOutputs(outputsFor(prev), next, { C: 1 });
    expect(Object.keys(kept).sort()).toEqual(['A', 'B']);
    expect(rerun).toEqual(['C', 'D']);
  });
});

describe('describeDiff', () => {
  test('one line per change', () => {
    const prev = base();
    const next = applyPatch(
      prev,
      patch(
        { op: 'set_backbone', agent: 'A', backbone: 'big' },
        { op: 'set_instructions', agent: 'B', instructions: 'new words' },
        { op: 'set_tools', agent: 'B', tools: ['python', 'search'] },
        { op: 'add_agent', agent: { id: 'E', role: 'editor', instructions: 'x', tools: [], maxTurns: 4 }, backbone: 'cheap' },
        { op: 'add_edge', from: 'D', to: 'E' },
        { op: 'set_final', agent: 'E' },
        { op: 'remove_edge', from: 'C', to: 'D' },
        { op: 'remove_agent', agent: 'C' },
      ),
      POOL,
    );
    expect(describeDiff(prev, next)).toEqual([
      '~ A.backbone: mid → big',
      '~ B.instructions: "do B" → "new words"',
      '~ B.tools: [python] → [python, search]',
      '+ agent E (editor) on cheap',
      '- agent C',
      '+ edge D → E',
      '- edge A → C',
      '- edge C → D',
      '~ finalAgent: D → E',
    ]);
  });

  test('long instructions are clipped to 60 characters with an ellipsis', () => {
    const prev = base();
    const long = 'x'.repeat(100);
    const next = applyPatch(prev, patch({ op: 'set_instructions', agent: 'A', instructions: long }), POOL);
    const [line] = describeDiff(prev, next);
    expect(line).toBe(`~ A.instructions: "do A" → "${'x'.repeat(59)}…"`);
  });

  test('an appended note is shown as what was added, not as two identical prefixes', () => {
    const prev = base();
    const next = applyPatch(prev, patch({ op: 'set_instructions', agent: 'A', instructions: 'do A\nThe python tool crashed; retry.' }), POOL);
    expect(describeDiff(prev, next)).toEqual(['~ A.instructions: + "The python tool crashed; retry."']);
  });

  test('a role change and no changes', () => {
    const prev = base();
    const t = structuredClone(prev.template);
    t.agents[0].role = 'planner';
    expect(describeDiff(prev, { ...prev, template: t })).toEqual(['~ A.role: role of A → planner']);
    expect(describeDiff(prev, prev)).toEqual([]);
  });
});
