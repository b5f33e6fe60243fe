import fc from 'fast-check';
import { BLUEPRINT_IDS, BLUEPRINTS, expandChoice, normaliseCustom, TEST_LOOP_ROUNDS } from '../../../mas/blueprints';
import { templateProblems } from '../../../mas/graph';
import { ANSWER_KINDS, isChecker, OPERATOR_BOUNDS } from '../../../mas/operators';
import { BlueprintChoiceSchema, GeneratorChoiceSchema, TemplateSchema, type AgentSpec, type Template } from '../../../mas/schemas';
import { KNOWN_TOOLS } from '../../../mas/tools';
import { BLUEPRINT_DESCRIPTIONS } from '../../../mas/operatorText';
import { zodToJsonSchema } from '../../../activities/models/jsonSchema';

const WITH_SANDBOX = [...KNOWN_TOOLS];
const WITHOUT_SANDBOX = KNOWN_TOOLS.filter((t) => t !== 'python');
const K_VALUES = [undefined, ...Array.from({ length: OPERATOR_BOUNDS.k.max - OPERATOR_BOUNDS.k.min + 1 }, (_, i) => OPERATOR_BOUNDS.k.min + i)];
const TOOL_CHOICES = [undefined, [], ['calculator'], ['python', 'search'], ['no-such-tool', 'calculator']];

describe('the catalogue', () => {
  test('every blueprint × answer kind × k × tools × advice × sandbox expands to a valid template', () => {
    let expanded = 0;
    for (const id of BLUEPRINT_IDS) {
      for (const answer of ANSWER_KINDS) {
        for (const k of K_VALUES) {
          for (const tools of TOOL_CHOICES) {
            for (const instructions of [undefined, 'Mind the negative numbers.']) {
              for (const available of [WITH_SANDBOX, WITHOUT_SANDBOX]) {
                const { template, built } = expandChoice(id, { answer, k, tools, instructions }, available);
                const where = `${id}/${answer}/k=${k}/tools=${JSON.stringify(tools)}/${available === WITH_SANDBOX ? 'sandbox' : 'no sandbox'}`;
                expect({ where, problems: templateProblems(template, available) }).toEqual({ where, problems: [] });
                // Every default filled by hand: the schema changes nothing (workflow code carries no zod).
                expect(TemplateSchema.parse(template)).toEqual(template);
                if (available === WITHOUT_SANDBOX) expect(BLUEPRINTS[built].needsSandbox(answer)).toBe(false);
                else expect(built).toBe(id);
                expanded++;
              }
            }
          }
        }
      }
    }
    expect(expanded).toBe(BLUEPRINT_IDS.length * ANSWER_KINDS.length * K_VALUES.length * TOOL_CHOICES.length * 2 * 2);
  });

  test('k reaches the ensemble; advice reaches the producers only; tools reach the step-by-step agents only', () => {
    const vote = expandChoice('program-vote', { answer: 'number', k: 7, tools: ['calculator'], instructions: 'Watch the units.' }, WITH_SANDBOX).template;
    expect(vote.agents).toEqual([
      expect.objectContaining({ id: 'solver', tools: ['calculator'], operator: { kind: 'ensemble', k: 7, member: 'mixed', answer: 'number', temperature: OPERATOR_BOUNDS.temperature.default, maxRounds: 3 } }),
    ]);
    expect(vote.agents[0].instructions).toMatch(/Advice for this task: Watch the units\.$/);
    const pct = expandChoice('plan-code-test', { answer: 'code', instructions: 'Use recursion.' }, WITH_SANDBOX).template;
    const byId = (id: string) => pct.agents.find((a) => a.id === id)!;
    expect(byId('planner').instructions).not.toContain('Advice');
    expect(byId('programmer').instructions).toContain('Advice for this task: Use recursion.');
    expect(byId('programmer').tools).toEqual([]);
    expect(isChecker(byId('test'))).toBe(true);
    expect(pct.loops).toEqual([{ from: 'test', to: 'programmer', maxRounds: TEST_LOOP_ROUNDS }]);
    expect(pct.finalAgent).toBe('test');
  });

  test('the default tools follow the answer: a calculator for numbers, the sandbox for code', () => {
    expect(expandChoice('single', { answer: 'number' }, WITH_SANDBOX).template.agents[0].tools).toEqual(['calculator']);
    expect(expandChoice('single', { answer: 'code' }, WITH_SANDBOX).template.agents[0].tools).toEqual(['python']);
    expect(expandChoice('single', { answer: 'text' }, WITH_SANDBOX).template.agents[0].tools).toEqual([]);
    // Code samples are chosen by running them: they need no tools of their own.
    expect(expandChoice('self-consistency', { answer: 'code', tools: ['python'] }, WITH_SANDBOX).template.agents[0].tools).toEqual([]);
  });

  test('what an expansion changed is said', () => {
    expect(expandChoice('program-vote', { answer: 'number', k: 12, tools: ['web'] }, WITHOUT_SANDBOX).notes).toEqual([
      '"program-vote" needs the python sandbox, which is not available here: built "self-consistency" instead',
      'k = 12 is outside 2–9: k = 9',
      'tools not available here were left out: web',
    ]);
    expect(expandChoice('plan-code-test', { answer: 'code' }, WITHOUT_SANDBOX)).toMatchObject({ built: 'single', template: { agents: [expect.objectContaining({ id: 'solver', tools: [] })] } });
    expect(expandChoice('single', { answer: 'text' }, WITH_SANDBOX).notes).toEqual([]);
  });

  test('the one-agent blueprint is one agent with no operator: an easy task costs one call', () => {
    const t = expandChoice('single', { answer: 'number' }, WITH_SANDBOX).template;
    expect(t.agents).toHaveLength(1);
    expect(t.agents[0].operator).toBeUndefined();
  });

  test('every blueprint has its line for the Generator', () => {
    expect(Object.keys(BLUEPRINT_DESCRIPTIONS).sort()).toEqual([...BLUEPRINT_IDS].sort());
    for (const id of BLUEPRINT_IDS) expect(BLUEPRINTS[id].description).toBe(BLUEPRINT_DESCRIPTIONS[id]);
  });
});

describe("the Generator's choice schema", () => {
  test('a choice outside the catalogue is refused with the catalogue in the message', () => {
    const r = GeneratorChoiceSchema.safeParse({ answer: 'number', blueprint: 'debate', rationale: '' });
    expect(r.success).toBe(false);
    expect(r.error!.issues[0].message).toBe(`Invalid discriminator value. Expected ${[...BLUEPRINT_IDS, 'custom'].map((x) => `'${x}'`).join(' | ')}`);
  });

  test('k outside its bounds and an unknown answer kind are refused; optional parameters may be left out', () => {
    expect(BlueprintChoiceSchema.safeParse({ answer: 'number', blueprint: 'self-consistency', k: 10 }).success).toBe(false);
    expect(BlueprintChoiceSchema.safeParse({ answer: 'essay', blueprint: 'single' }).success).toBe(false);
    expect(BlueprintChoiceSchema.parse({ answer: 'number', blueprint: 'single' })).toEqual({ answer: 'number', blueprint: 'single', rationale: '' });
  });

  test('a custom design carries a full template', () => {
    const template = expandChoice('code-tests', { answer: 'code' }, WITH_SANDBOX).template;
    expect(GeneratorChoiceSchema.parse({ blueprint: 'custom', template, rationale: 'mine' })).toEqual({ blueprint: 'custom', template, rationale: 'mine' });
  });

  test('the JSON schema a model is constrained by lists the catalogue as an enum', () => {
    const js = zodToJsonSchema(BlueprintChoiceSchema) as { properties: Record<string, { enum?: string[] }>; required: string[] };
    expect(js.properties.blueprint.enum).toEqual([...BLUEPRINT_IDS]);
    expect(js.properties.answer.enum).toEqual([...ANSWER_KINDS]);
    expect(js.required).toEqual(['answer', 'blueprint']);
    expect(Object.keys(js.properties)).toEqual(['answer', 'blueprint', 'k', 'tools', 'instructions', 'rationale']);
  });
});

describe('normaliseCustom: free-form designs repaired by rule', () => {
  const spec = (id: string, extra: Partial<AgentSpec> = {}): AgentSpec => ({ id, role: id, instructions: `do ${id}`, tools: [], maxTurns: 4, ...extra });
  const t = (agents: AgentSpec[], edges: [string, string][], finalAgent: string, loops: Template['loops'] = []): Template => ({ name: 'custom', agents, edges: edges.map(([from, to]) => ({ from, to })), loops, finalAgent });

  test('a duplicate id is renamed and gets the same edges; the sink becomes the final agent', () => {
    const r = normaliseCustom(t([spec('solver'), spec('solver'), spec('checker', { verifier: true })], [['solver', 'checker']], 'solver'), WITH_SANDBOX);
    expect(r.template.agents.map((a) => a.id)).toEqual(['solver', 'solver_2', 'checker']);
    expect(r.template.edges).toEqual([
      { from: 'solver', to: 'checker' },
      { from: 'solver_2', to: 'checker' },
    ]);
    expect(r.template.finalAgent).toBe('checker');
    expect(templateProblems(r.template, WITH_SANDBOX)).toEqual([]);
    expect(r.notes).toEqual(['agent id "solver" was used twice: the second is "solver_2", with the same edges', 'final agent "solver" → "checker", the team\'s only last agent']);
  });

  test('self-loops, unknown agents, duplicate edges and unavailable tools go; programmers and test steps lose their tools', () => {
    const r = normaliseCustom(
      t(
        [spec('coder', { tools: ['python', 'web'], operator: { kind: 'programmer', answer: 'code', maxRounds: 3 } }), spec('check', { tools: ['python'], operator: { kind: 'test' } })],
        [
          ['coder', 'check'],
          ['coder', 'check'],
          ['check', 'check'],
          ['ghost', 'check'],
        ],
        'check',
      ),
      WITH_SANDBOX,
    );
    expect(r.template.edges).toEqual([{ from: 'coder', to: 'check' }]);
    expect(r.template.agents.map((a) => [a.id, a.tools, a.verifier ?? false])).toEqual([
      ['coder', [], false],
      ['check', [], true],
    ]);
    expect(r.template.loops).toEqual([{ from: 'check', to: 'coder', maxRounds: TEST_LOOP_ROUNDS }]);
    expect(templateProblems(r.template, WITH_SANDBOX)).toEqual([]);
  });

  test('without the sandbox, operators that need it become plain agents', () => {
    const r = normaliseCustom(t([spec('p', { operator: { kind: 'programmer', answer: 'number', maxRounds: 2 } }), spec('v', { operator: { kind: 'ensemble', k: 3, member: 'agent', answer: 'number', temperature: 0.7, maxRounds: 3 } })], [['p', 'v']], 'v'), WITHOUT_SANDBOX);
    expect(r.template.agents.map((a) => a.operator?.kind ?? 'agent')).toEqual(['agent', 'ensemble']);
    expect(templateProblems(r.template, WITHOUT_SANDBOX)).toEqual([]);
  });

  test('what rules cannot repair is left for the graph rules to report', () => {
    const twoSinks = normaliseCustom(t([spec('a'), spec('b'), spec('c')], [['a', 'b']], 'b'), WITH_SANDBOX).template;
    expect(templateProblems(twoSinks, WITH_SANDBOX)).toEqual(['agent "c" cannot reach the final agent "b": its output would be wasted (add an edge from "c" toward "b", or remove "c")']);
  });

  // Random designs a weak Generator writes: a DAG with one sink, ids repeated, the final agent anywhere, random tools and operators.
  const arbDesign = fc.integer({ min: 1, max: 6 }).chain((n) =>
    fc
      .record({
        names: fc.array(fc.constantFrom('solver', 'coder', 'checker', 'planner', 'writer'), { minLength: n, maxLength: n }),
        extraEdges: fc.subarray(Array.from({ length: n * n }, (_, i) => [Math.floor(i / n), i % n] as [number, number]).filter(([a, b]) => a < b)),
        tools: fc.array(fc.subarray(['python', 'calculator', 'web', 'search']), { minLength: n, maxLength: n }),
        ops: fc.array(fc.constantFrom<AgentSpec['operator'] | 'none'>('none', { kind: 'programmer', answer: 'number', maxRounds: 2 }, { kind: 'ensemble', k: 3, member: 'programmer', answer: 'text', temperature: 0.5, maxRounds: 2 }, { kind: 'test' }), { minLength: n, maxLength: n }),
        final: fc.nat(),
        sandbox: fc.boolean(),
      })
      .map(({ names, extraEdges, tools, ops, final, sandbox }) => {
        // Agent i feeds i+1: one sink (the last). Edges are by position, so a repeated name means repeated edges.
        const agents = names.map((id, i) => spec(id, { tools: tools[i], ...(ops[i] !== 'none' && ops[i] ? { operator: ops[i] } : {}) }));
        const chain: [number, number][] = names.slice(1).map((_, i) => [i, i + 1]);
        const edges = [...chain, ...extraEdges].map(([a, b]) => [names[a], names[b]] as [string, string]);
        return { template: t(agents, edges, names[final % n]), available: sandbox ? WITH_SANDBOX : WITHOUT_SANDBOX, uniqueNames: new Set(names).size === names.length };
      }),
  );

  test('property: a design with unique ids and one sink always comes out valid', () => {
    fc.assert(
      fc.property(arbDesign, ({ template, available, uniqueNames }) => {
        fc.pre(uniqueNames);
        const r = normaliseCustom(template, available);
        expect(templateProblems(r.template, available)).toEqual([]);
        expect(TemplateSchema.safeParse(r.template).success).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  test('property: ids come out unique and every tool works here, whatever the design', () => {
    fc.assert(
      fc.property(arbDesign, ({ template, available }) => {
        const r = normaliseCustom(template, available);
        const ids = r.template.agents.map((a) => a.id);
        expect(new Set(ids).size).toBe(ids.length);
        for (const a of r.template.agents) for (const tool of a.tools) expect(available).toContain(tool);
        // The input is not changed.
        expect(template.agents.length).toBe(r.template.agents.length);
      }),
      { numRuns: 300 },
    );
  });
});
