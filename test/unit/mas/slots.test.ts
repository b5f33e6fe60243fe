import { BLUEPRINT_IDS, expandChoice } from '../../../mas/blueprints';
import { ANSWER_KINDS } from '../../../mas/operators';
import { strongestBackbone } from '../../../mas/pool';
import { backboneSlots, checkSlots, slotProblems } from '../../../mas/slots';
import { KNOWN_TOOLS } from '../../../mas/tools';
import { POOL, tmpl } from './fixtures';

describe("the Implementer's slots", () => {
  const pct = expandChoice('plan-code-test', { answer: 'code' }, [...KNOWN_TOOLS]).template;

  test('read off the team: producers decide, checkers check what feeds them, test steps only execute', () => {
    expect(backboneSlots(pct).map((s) => [s.agent, s.need])).toEqual([
      ['planner', { kind: 'decides' }],
      ['programmer', { kind: 'decides' }],
      ['test', { kind: 'executes' }],
    ]);
    const reviewed = tmpl(['solver', { id: 'checker', verifier: true }], ['solver>checker']);
    expect(backboneSlots(reviewed)[1]).toEqual({ agent: 'checker', role: 'role of checker', need: { kind: 'checks', of: ['solver'] }, why: 'checks solver: at least as strong as what it checks' });
  });

  test('an assignment is checked slot by slot, as a diff', () => {
    const checks = checkSlots(pct, { planner: 'cheap', programmer: 'big', test: 'cheap' }, POOL);
    expect(checks.map((c) => c.line)).toEqual(['! planner: needs the strongest (big), has cheap', '  programmer: needs the strongest (big), has big', '  test: needs any backbone, has cheap']);
    expect(slotProblems(pct, { planner: 'big', programmer: 'nope', test: 'cheap' }, POOL)).toEqual(['programmer: needs a backbone from the pool, has nope']);
    const reviewed = tmpl(['solver', { id: 'checker', verifier: true }], ['solver>checker']);
    expect(slotProblems(reviewed, { solver: 'big', checker: 'mid' }, POOL)).toEqual(['checker: needs at least big, has mid']);
  });

  test('the existing fallback (every agent on the strongest backbone) fills every slot of every blueprint', () => {
    const strongest = strongestBackbone(POOL).id;
    for (const id of BLUEPRINT_IDS) {
      for (const answer of ANSWER_KINDS) {
        const t = expandChoice(id, { answer, k: 3 }, [...KNOWN_TOOLS]).template;
        const all = Object.fromEntries(t.agents.map((a) => [a.id, strongest]));
        expect({ id, answer, problems: slotProblems(t, all, POOL) }).toEqual({ id, answer, problems: [] });
      }
    }
  });
});
