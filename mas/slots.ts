/**
 * The Implementer's slots: what each agent of a team needs from its backbone, read off the
 * team itself (operators and checkers), so an assignment — the model's, a fallback's or a
 * patch's — can be checked slot by slot and shown as a diff. Three needs: an agent whose work
 * decides the answer wants the strongest backbone (a wrong answer wastes the whole run); a
 * checker needs one at least as strong as every agent it checks; a test step makes no model
 * call, so any backbone will do. Pure.
 */
import type { Assignment, Pool, Template } from './schemas';
import { backbonePrice, strongerThanChecker, strongestBackbone } from './pool';
import { callsModel, describeOperator, isChecker } from './operators';
import { predecessors } from './graph';

export type SlotNeed = { kind: 'decides' } | { kind: 'checks'; of: string[] } | { kind: 'executes' };

export interface BackboneSlot {
  agent: string;
  role: string;
  need: SlotNeed;
  /** One line for the Implementer's prompt and the audit. */
  why: string;
}

export function backboneSlots(t: Template): BackboneSlot[] {
  return t.agents.map((a): BackboneSlot => {
    if (!callsModel(a)) return { agent: a.id, role: a.role, need: { kind: 'executes' }, why: 'runs tests, no model call: any backbone' };
    if (isChecker(a)) {
      const of = predecessors(t, a.id);
      return { agent: a.id, role: a.role, need: { kind: 'checks', of }, why: `checks ${of.join(', ') || 'nothing upstream'}: at least as strong as what it checks` };
    }
    const what = a.operator ? describeOperator(a.operator) : 'its work decides the answer';
    return { agent: a.id, role: a.role, need: { kind: 'decides' }, why: `${what}: the strongest backbone` };
  });
}

export interface SlotCheck {
  agent: string;
  need: SlotNeed;
  backbone: string | undefined;
  ok: boolean;
  /** What the slot asks and what it got: a line of the diff. */
  line: string;
}

/**
 * Each slot against an assignment. Not ok: no backbone, a backbone not in the pool, a deciding
 * agent below the strongest price, a checker cheaper than an agent it checks.
 */
export function checkSlots(t: Template, assignment: Assignment, pool: Pool): SlotCheck[] {
  const top = backbonePrice(pool, strongestBackbone(pool).id)!;
  return backboneSlots(t).map((slot): SlotCheck => {
    const backbone = assignment[slot.agent];
    const price = backbonePrice(pool, backbone);
    const row = (ok: boolean, wants: string): SlotCheck => ({ agent: slot.agent, need: slot.need, backbone, ok, line: `${ok ? ' ' : '!'} ${slot.agent}: needs ${wants}, has ${backbone ?? 'none'}` });
    if (price === undefined) return row(false, 'a backbone from the pool');
    switch (slot.need.kind) {
      case 'executes':
        return row(true, 'any backbone');
      case 'decides':
        return row(price >= top, `the strongest (${strongestBackbone(pool).id})`);
      case 'checks': {
        return row(strongerThanChecker(t, assignment, pool, slot.agent).length === 0, `at least ${slot.need.of.map((p) => assignment[p] ?? '?').join(', ') || 'anything'}`);
      }
    }
  });
}

/** The slots an assignment leaves unfilled or fills below their need: empty when it fits. */
export function slotProblems(t: Template, assignment: Assignment, pool: Pool): string[] {
  return checkSlots(t, assignment, pool)
    .filter((c) => !c.ok)
    .map((c) => c.line.slice(2));
}
