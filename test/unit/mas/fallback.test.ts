import { FALLBACK_BLUEPRINT, fallbackPatch, generatorFallback } from '../../../mas/fallback';
import { expandChoice } from '../../../mas/blueprints';
import { ensemble, OPERATOR_BOUNDS } from '../../../mas/operators';
import { templateProblems } from '../../../mas/graph';
import { weakVerifiers } from '../../../mas/pool';
import { applyPatch } from '../../../mas/patch';
import { PoolSchema, type Config, type Trigger } from '../../../mas/schemas';
import { cfg, POOL, tmpl } from './fixtures';

// Planner → Coder(python, search) → Verifier(V) → Final; Side is not needed.
function team(backbone: string | Record<string, string> = 'mid'): Config {
  return cfg(
    tmpl(['Plan', { id: 'Code', tools: ['python', 'search'] }, { id: 'V', verifier: true }, 'Final', 'Side'], ['Plan>Code', 'Code>V', 'V>Final', 'Plan>Side'], 'Final'),
    backbone,
  );
}
const none = new Set<string>();

describe('fallbackPatch: budget triggers', () => {
  test.each(['budget', 'projected_budget'] as const)('%s moves unfinished, needed agents to the cheapest backbone', (kind) => {
    const p = fallbackPatch(team(), POOL, { kind, detail: 'over' }, new Set(['Plan']));
    expect(p?.scope).toBe('local');
    expect(p?.ops).toEqual([
      { op: 'set_backbone', agent: 'Code', backbone: 'cheap' },
      { op: 'set_backbone', agent: 'V', backbone: 'cheap' },
      { op: 'set_backbone', agent: 'Final', backbone: 'cheap' },
    ]);
  });

  test('agents already on the cheapest backbone are left out', () => {
    const p = fallbackPatch(team({ Plan: 'big', Code: 'cheap', V: 'mid', Final: 'cheap', Side: 'big' }), POOL, { kind: 'budget', detail: '' }, none);
    expect(p?.ops).toEqual([
      { op: 'set_backbone', agent: 'Plan', backbone: 'cheap' },
      { op: 'set_backbone', agent: 'V', backbone: 'cheap' },
    ]);
  });

  test('null when everything unfinished is already cheapest', () => {
    const p = fallbackPatch(team({ Plan: 'big', Code: 'cheap', V: 'cheap', Final: 'cheap', Side: 'big' }), POOL, { kind: 'budget', detail: '' }, new Set(['Plan']));
    expect(p).toBeNull();
  });
});

describe('fallbackPatch: failure triggers', () => {
  const crash: Trigger = { kind: 'failure', detail: 'python crashed', agent: 'Code', tool: 'python' };

  test('a crashed tool is dropped from the agent, with a note in its instructions', () => {
    const p = fallbackPatch(team(), POOL, crash, none)!;
    expect(p.ops).toEqual([
      { op: 'set_tools', agent: 'Code', tools: ['search'] },
      { op: 'set_instructions', agent: 'Code', instructions: 'do Code\nThe python tool is unavailable; work without it.' },
    ]);
    expect(p.rationale).toContain('python');
  });

  test('without a tool (or one the agent does not have), the agent moves to another backbone', () => {
    const noTool: Trigger = { kind: 'failure', detail: '503', agent: 'Code' };
    expect(fallbackPatch(team(), POOL, noTool, none)?.ops).toEqual([{ op: 'set_backbone', agent: 'Code', backbone: 'big' }]);
    expect(fallbackPatch(team(), POOL, { ...noTool, tool: 'calculator' }, none)?.ops).toEqual([{ op: 'set_backbone', agent: 'Code', backbone: 'big' }]);
  });

  test('the next more expensive backbone, else the next cheaper', () => {
    const noTool: Trigger = { kind: 'failure', detail: '503', agent: 'Code' };
    expect(fallbackPatch(team('cheap'), POOL, noTool, none)?.ops).toEqual([{ op: 'set_backbone', agent: 'Code', backbone: 'mid' }]);
    expect(fallbackPatch(team('big'), POOL, noTool, none)?.ops).toEqual([{ op: 'set_backbone', agent: 'Code', backbone: 'mid' }]);
  });

  test('avoid skips a patch that was already applied', () => {
    const first = fallbackPatch(team(), POOL, crash, none)!;
    const second = fallbackPatch(team(), POOL, crash, none, [first.ops]);
    expect(second?.ops).toEqual([{ op: 'set_backbone', agent: 'Code', backbone: 'big' }]);
    expect(fallbackPatch(team(), POOL, crash, none, [first.ops, second!.ops])).toBeNull();
  });

  test('null without an agent, or with a one-backbone pool and no tool to drop', () => {
    expect(fallbackPatch(team(), POOL, { kind: 'failure', detail: 'x' }, none)).toBeNull();
    expect(fallbackPatch(team(), POOL, { kind: 'failure', detail: 'x', agent: 'Nobody' }, none)).toBeNull();
    const solo = PoolSchema.parse({ default: 'mid', backbones: [POOL.backbones[1]] });
    expect(fallbackPatch(team(), solo, { kind: 'failure', detail: 'x', agent: 'Code' }, none)).toBeNull();
  });
});

describe('fallbackPatch: verifier and external triggers', () => {
  test('a verifier verdict goes into the producer’s instructions', () => {
    const p = fallbackPatch(team(), POOL, { kind: 'verifier', detail: 'FAIL: 2+2 is not 5', agent: 'V' }, new Set(['Plan', 'Code', 'V']))!;
    expect(p.ops).toEqual([
      { op: 'set_instructions', agent: 'Code', instructions: 'do Code\nA reviewer rejected the previous attempt: FAIL: 2+2 is not 5. Fix it.' },
      { op: 'set_backbone', agent: 'Code', backbone: 'big' },
    ]);
    expect(p.rationale).toContain('V');
  });

  test('a producer already on the strongest backbone is only told why', () => {
    const p = fallbackPatch(team('big'), POOL, { kind: 'verifier', detail: 'FAIL: no', agent: 'V' }, none)!;
    expect(p.ops).toEqual([{ op: 'set_instructions', agent: 'Code', instructions: 'do Code\nA reviewer rejected the previous attempt: FAIL: no. Fix it.' }]);
  });

  test('a new verdict replaces the one an earlier patch appended', () => {
    const t = team('big');
    const told = { ...t, template: { ...t.template, agents: t.template.agents.map((a) => (a.id === 'Code' ? { ...a, instructions: 'do Code\nA reviewer rejected the previous attempt: FAIL: is 36. Fix it.' } : a)) } };
    const p = fallbackPatch(told, POOL, { kind: 'verifier', detail: 'FAIL: is 48', agent: 'V' }, none)!;
    expect(p.ops).toEqual([{ op: 'set_instructions', agent: 'Code', instructions: 'do Code\nA reviewer rejected the previous attempt: FAIL: is 48. Fix it.' }]);
  });

  test('the same verdict after the same patch yields no rule (the run ends honestly instead of looping)', () => {
    const first = fallbackPatch(team('big'), POOL, { kind: 'verifier', detail: 'FAIL: no', agent: 'V' }, none)!;
    expect(fallbackPatch(team('big'), POOL, { kind: 'verifier', detail: 'FAIL: no', agent: 'V' }, none, [first.ops])).toBeNull();
  });

  test('the verdict is clipped to 300 characters', () => {
    const p = fallbackPatch(team(), POOL, { kind: 'verifier', detail: 'F'.repeat(1000), agent: 'V' }, none)!;
    const ins = (p.ops[0] as { instructions: string }).instructions;
    expect(ins).toContain('F'.repeat(300) + '. Fix it.');
    expect(ins).not.toContain('F'.repeat(301));
  });

  test('a verifier with no producer yields null', () => {
    expect(fallbackPatch(team(), POOL, { kind: 'verifier', detail: 'FAIL', agent: 'Plan' }, none)).toBeNull();
    expect(fallbackPatch(team(), POOL, { kind: 'verifier', detail: 'FAIL' }, none)).toBeNull();
  });

  test('an external request notes itself on unfinished agents and the final agent', () => {
    const p = fallbackPatch(team(), POOL, { kind: 'external', detail: 'be terse' }, new Set(['Plan', 'Code', 'Final']))!;
    expect(p.ops).toEqual([
      { op: 'set_instructions', agent: 'V', instructions: 'do V\nOperator note: be terse' },
      { op: 'set_instructions', agent: 'Final', instructions: 'do Final\nOperator note: be terse' },
      { op: 'set_instructions', agent: 'Side', instructions: 'do Side\nOperator note: be terse' },
    ]);
  });

  test('an external request about cost also moves to the cheapest backbone', () => {
    const p = fallbackPatch(team(), POOL, { kind: 'external', detail: 'Use cheaper models' }, new Set(['Plan', 'Code']))!;
    expect(p.ops.filter((o) => o.op === 'set_backbone')).toEqual([
      { op: 'set_backbone', agent: 'V', backbone: 'cheap' },
      { op: 'set_backbone', agent: 'Final', backbone: 'cheap' },
    ]);
  });
});

describe('fallback patches apply cleanly', () => {
  test.each<[string, Trigger, string[]]>([
    ['budget', { kind: 'budget', detail: '' }, []],
    ['tool failure', { kind: 'failure', detail: '', agent: 'Code', tool: 'python' }, []],
    ['model failure', { kind: 'failure', detail: '', agent: 'Final' }, []],
    ['verifier', { kind: 'verifier', detail: 'FAIL', agent: 'V' }, ['Plan', 'Code', 'V']],
    ['external', { kind: 'external', detail: 'cut cost' }, ['Plan']],
  ])('%s', (_name, trigger, finished) => {
    // A valid system: every agent reaches the final one (team() keeps an unneeded Side on purpose).
    const t = team();
    const config = { ...t, template: { ...t.template, edges: [...t.template.edges, { from: 'Side', to: 'Final' }] } };
    const p = fallbackPatch(config, POOL, trigger, new Set(finished));
    expect(p).not.toBeNull();
    const next = applyPatch(config, p!, POOL);
    expect(next.version).toBe(2);
  });
});

describe('a verifier weaker than the producer it rejected', () => {
  test('is moved to the producer’s backbone first; once that was applied, the producer is told (and moved up)', () => {
    const weak = team({ Plan: 'mid', Code: 'mid', V: 'cheap', Final: 'mid', Side: 'mid' });
    const trigger: Trigger = { kind: 'verifier', detail: 'FAIL: wrong', agent: 'V' };
    const first = fallbackPatch(weak, POOL, trigger, new Set(['Plan', 'Code', 'V']))!;
    expect(first.ops).toEqual([{ op: 'set_backbone', agent: 'V', backbone: 'mid' }]);
    expect(first.rationale).toMatch(/weaker backbone/);
    const second = fallbackPatch(weak, POOL, trigger, new Set(['Plan', 'Code', 'V']), [first.ops])!;
    expect(second.ops.map((o) => o.op)).toEqual(['set_instructions', 'set_backbone']);
    expect(second.ops[0]).toMatchObject({ agent: 'Code' });
  });
});

describe('weakVerifiers', () => {
  test('names each verifier on a cheaper backbone than an agent feeding it, nothing else', () => {
    const t = team().template;
    expect(weakVerifiers(t, { Plan: 'big', Code: 'mid', V: 'cheap', Final: 'cheap', Side: 'cheap' }, POOL)).toEqual([
      'verifier "V" on cheap checks "Code" on mid: a verifier needs a backbone at least as strong as the agent it checks',
    ]);
    expect(weakVerifiers(t, { Plan: 'big', Code: 'mid', V: 'mid', Final: 'cheap', Side: 'cheap' }, POOL)).toEqual([]);
    expect(weakVerifiers(t, { Plan: 'big', Code: 'mid', V: 'big', Final: 'cheap', Side: 'cheap' }, POOL)).toEqual([]);
    // Unknown or missing backbones are another rule's business.
    expect(weakVerifiers(t, { Code: 'mid' }, POOL)).toEqual([]);
  });
});

describe('generatorFallback: a blueprint by task kind', () => {
  const ALL = ['python', 'javascript', 'calculator', 'workspace'];
  test.each<[string, string, string, string]>([
    ['Write a Python function is_prime(n) and test it', 'code', 'code-tests', 'code'],
    ['A farmer has 12 cows and buys 7 more. How many cows does he have?', 'math', 'program', 'number'],
    ['Who wrote Middlemarch?', 'qa', 'single', 'text'],
  ])('%s → %s: %s', (task, kind, blueprint, answer) => {
    const f = generatorFallback(task, ALL, 'Generator output unusable');
    expect(FALLBACK_BLUEPRINT[kind as keyof typeof FALLBACK_BLUEPRINT]).toBe(blueprint);
    expect(f.choice).toMatchObject({ blueprint, answer });
    // The team is the blueprint's expansion, valid by construction.
    expect(f.value).toEqual(expandChoice(f.choice.blueprint, f.choice, ALL).template);
    expect(templateProblems(f.value, ALL)).toEqual([]);
    expect(f.rationale).toMatch(new RegExp(`^Generator output unusable; blueprint "${blueprint}" for a ${kind} task by rule\\.$`));
  });

  test('without the sandbox, a blueprint that needs it is built without it, and the rationale says so', () => {
    const f = generatorFallback('Write a Python function is_prime(n) and test it', ['calculator'], 'Generator failed');
    expect(f.choice.blueprint).toBe('code-tests');
    expect(f.value.name).toBe('single');
    expect(f.rationale).toContain('(built as "single")');
    expect(templateProblems(f.value, ['calculator'])).toEqual([]);
  });
});

describe('fallbackPatch: executed work that keeps failing', () => {
  const TOOLS = ['python', 'calculator'];
  const configOf = (blueprint: 'program' | 'program-vote' | 'plan-code-test', answer: 'number' | 'code', backbone: string): Config => {
    const template = expandChoice(blueprint, { answer }, TOOLS).template;
    return { template, assignment: Object.fromEntries(template.agents.map((a) => [a.id, backbone])), version: 1 };
  };
  const noAnswer: Trigger = { kind: 'failure', detail: 'the program of programmer still fails after 3 rounds: NameError', agent: 'programmer', tool: 'python' };

  test('a programmer with no answer moves to a stronger backbone first, then becomes a mixed vote', () => {
    const config = configOf('program', 'number', 'mid');
    const first = fallbackPatch(config, POOL, noAnswer, none)!;
    expect(first.ops).toEqual([{ op: 'set_backbone', agent: 'programmer', backbone: 'big' }]);
    const second = fallbackPatch(config, POOL, noAnswer, none, [first.ops])!;
    expect(second.ops).toEqual([{ op: 'set_operator', agent: 'programmer', operator: ensemble('number', 'mixed') }]);
    const next = applyPatch(config, second, POOL, TOOLS);
    expect(next.template.agents[0].operator).toMatchObject({ kind: 'ensemble', member: 'mixed', k: OPERATOR_BOUNDS.k.default });
    expect(fallbackPatch(config, POOL, noAnswer, none, [first.ops, second.ops])).toBeNull();
  });

  test('on the strongest backbone a programmer becomes a vote at once; a mixed vote draws more samples', () => {
    expect(fallbackPatch(configOf('program', 'number', 'big'), POOL, noAnswer, none)!.ops[0]).toMatchObject({ op: 'set_operator', agent: 'programmer' });
    const vote = configOf('program-vote', 'number', 'big');
    const p = fallbackPatch(vote, POOL, { kind: 'failure', detail: 'no extractable answer from the 5 samples', agent: 'solver' }, none)!;
    expect(p.ops).toEqual([{ op: 'set_k', agent: 'solver', k: OPERATOR_BOUNDS.k.default + 2 }]);
    expect(() => applyPatch(vote, p, POOL, TOOLS)).not.toThrow();
  });

  test('code still failing a test step: the producer is told the failing tests and moves to a stronger backbone; the test step is never moved', () => {
    const config = configOf('plan-code-test', 'code', 'cheap');
    const trigger: Trigger = { kind: 'verifier', detail: 'FAIL: 2 of 3 tests fail: assert is_prime(2)', agent: 'test' };
    const p = fallbackPatch(config, POOL, trigger, new Set(['planner', 'programmer', 'test']))!;
    expect(p.ops.map((o) => o.op)).toEqual(['set_instructions', 'set_backbone']);
    expect(p.ops[1]).toEqual({ op: 'set_backbone', agent: 'programmer', backbone: 'mid' });
    expect((p.ops[0] as { instructions: string }).instructions).toContain('assert is_prime(2)');
    // On the strongest: told, then a vote of code candidates.
    const top = configOf('plan-code-test', 'code', 'big');
    const told = fallbackPatch(top, POOL, trigger, none)!;
    expect(told.ops.map((o) => o.op)).toEqual(['set_instructions']);
    const vote = fallbackPatch(top, POOL, trigger, none, [told.ops])!;
    expect(vote.ops).toEqual([{ op: 'set_operator', agent: 'programmer', operator: ensemble('code', 'mixed') }]);
    expect(() => applyPatch(top, vote, POOL, TOOLS)).not.toThrow();
  });
});
