/**
 * Property tests for applyPatch / survivingOutputs over random valid teams and
 * random patches. The expectations are computed here independently of
 * mas/graph.ts (naive recursive walks), so a bug there cannot hide itself.
 */
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { fingerprints, templateProblems, topologicalOrder } from '../../../mas/graph';
import { applyPatch, PatchError, survivingOutputs } from '../../../mas/patch';
import { ConfigSchema, TemplateSchema, type AgentOutput, type AgentSpec, type Config, type Operator, type Patch, type PatchOp, type Template } from '../../../mas/schemas';
import type { AnswerKind } from '../../../mas/operators';
import { POOL } from './fixtures';

const TOOLS = ['python', 'calculator', 'search', 'workspace'];
const BACKBONES = POOL.backbones.map((b) => b.id);
const NEW_IDS = ['X0', 'X1'];

const arbSpecFields = fc.record({
  role: fc.constantFrom('solver', 'reviewer'),
  instructions: fc.constantFrom('solve it', 'check it', 'summarise it'),
  tools: fc.subarray(TOOLS),
  maxTurns: fc.integer({ min: 1, max: 5 }),
  // Some agents vote (a chain-of-thought ensemble is valid with any tools): set_k has something to raise.
  votes: fc.option(fc.integer({ min: 2, max: 9 }), { nil: undefined, freq: 2 }),
});

const spec = (id: string, { votes, ...f }: { role: string; instructions: string; tools: string[]; maxTurns: number; votes?: number }): AgentSpec => ({
  id,
  ...f,
  ...(votes !== undefined ? { operator: { kind: 'ensemble', k: votes, member: 'agent', answer: 'number', temperature: 0.7, maxRounds: 3 } } : {}),
});

/** A random DAG of 2–7 agents: edges only go from a lower to a higher index; the last agent is final. */
function arbTemplate(prefix: string): fc.Arbitrary<{ template: Template; assignment: Record<string, string> }> {
  return fc.integer({ min: 2, max: 7 }).chain((n) => {
    const ids = Array.from({ length: n }, (_, i) => `${prefix}${i}`);
    const pairs: [number, number][] = [];
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) pairs.push([i, j]);
    return fc
      .record({
        fields: fc.array(arbSpecFields, { minLength: n, maxLength: n }),
        edges: fc.subarray(pairs),
        backbones: fc.array(fc.constantFrom(...BACKBONES), { minLength: n, maxLength: n }),
        loop: fc.option(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 3 })), { nil: undefined }),
      })
      .map(({ fields, edges, backbones, loop }) => {
        // Every agent must reach the final agent (a template rule): a dead end gets an edge to it.
        const ends = ids.slice(0, -1).filter((_, i) => !edges.some(([a]) => a === i));
        const edgeList = [...edges.map(([i, j]) => ({ from: ids[i], to: ids[j] })), ...ends.map((id) => ({ from: id, to: ids[n - 1] }))];
        const final = ids[n - 1];
        const loops = [];
        if (loop) {
          const up = [...naiveAncestors(edgeList, final)].sort();
          if (up.length) loops.push({ from: final, to: up[loop[0] % up.length], maxRounds: loop[1] });
        }
        const template = TemplateSchema.parse({
          name: 'random',
          agents: ids.map((id, i) => spec(id, fields[i])),
          edges: edgeList,
          loops,
          finalAgent: final,
        });
        return { template, assignment: Object.fromEntries(ids.map((id, i) => [id, backbones[i]])) };
      });
  });
}

const arbConfig: fc.Arbitrary<Config> = fc
  .tuple(arbTemplate('N'), fc.integer({ min: 1, max: 50 }))
  .map(([{ template, assignment }, version]) => ConfigSchema.parse({ template, assignment, version }));

function arbOp(config: Config): fc.Arbitrary<PatchOp> {
  const ids = config.template.agents.map((a) => a.id);
  const anyId = fc.constantFrom(...ids);
  // Edge ends may name an agent added earlier in the same patch (or not: then it must be refused).
  const edgeEnd = fc.constantFrom(...ids, ...NEW_IDS);
  const existingEdge = config.template.edges.length ? fc.constantFrom(...config.template.edges) : fc.record({ from: anyId, to: anyId });
  return fc.oneof(
    fc.record({ agent: anyId, backbone: fc.constantFrom(...BACKBONES) }).map((o): PatchOp => ({ op: 'set_backbone', ...o })),
    fc
      .record({ agent: anyId, instructions: fc.constantFrom('solve it', 'check it', 'try again, carefully') })
      .map((o): PatchOp => ({ op: 'set_instructions', ...o })),
    fc.record({ agent: anyId, tools: fc.subarray(TOOLS) }).map((o): PatchOp => ({ op: 'set_tools', ...o })),
    fc
      .tuple(fc.constantFrom(...NEW_IDS), arbSpecFields, fc.constantFrom(...BACKBONES))
      .map(([id, f, backbone]): PatchOp => ({ op: 'add_agent', agent: spec(id, f), backbone })),
    anyId.map((agent): PatchOp => ({ op: 'remove_agent', agent })),
    fc.record({ from: edgeEnd, to: edgeEnd }).map((o): PatchOp => ({ op: 'add_edge', ...o })),
    existingEdge.map((e): PatchOp => ({ op: 'remove_edge', from: e.from, to: e.to })),
    edgeEnd.map((agent): PatchOp => ({ op: 'set_final', agent })),
    arbTemplate('R').map(({ template, assignment }): PatchOp => ({ op: 'replace_topology', template, assignment })),
    fc.record({ agent: anyId, operator: fc.option(arbOperator, { nil: null }) }).map((o): PatchOp => ({ op: 'set_operator', ...o })),
    fc.record({ agent: anyId, k: fc.integer({ min: 2, max: 9 }) }).map((o): PatchOp => ({ op: 'set_k', ...o })),
    anyId.map((agent): PatchOp => ({ op: 'bypass_agent', agent })),
  );
}

const arbOperator: fc.Arbitrary<Operator> = fc.oneof(
  fc.record({ answer: fc.constantFrom<AnswerKind>('number', 'text', 'code'), maxRounds: fc.integer({ min: 1, max: 5 }) }).map((o): Operator => ({ kind: 'programmer', ...o })),
  fc
    .record({ k: fc.integer({ min: 2, max: 9 }), member: fc.constantFrom<'agent' | 'programmer' | 'mixed'>('agent', 'programmer', 'mixed'), answer: fc.constantFrom<AnswerKind>('number', 'text', 'code') })
    .map((o): Operator => ({ kind: 'ensemble', ...o, temperature: 0.7, maxRounds: 3 })),
  fc.constant<Operator>({ kind: 'test' }),
);

const arbCase = arbConfig.chain((config) =>
  fc.record({
    config: fc.constant(config),
    ops: fc.array(arbOp(config), { minLength: 1, maxLength: 4 }),
    scope: fc.constantFrom<'local' | 'global'>('local', 'global'),
  }),
);

// ------------------------------------------------------------- independent oracles

function naivePreds(edges: { from: string; to: string }[], id: string): string[] {
  return [...new Set(edges.filter((e) => e.to === id).map((e) => e.from))].sort();
}

function naiveAncestors(edges: { from: string; to: string }[], id: string, seen = new Set<string>()): Set<string> {
  for (const p of naivePreds(edges, id)) {
    if (!seen.has(p)) {
      seen.add(p);
      naiveAncestors(edges, p, seen);
    }
  }
  return seen;
}

/**
 * An agent's old output is still valid when it existed before, its own spec and
 * backbone are unchanged, it reads from the same agents, and each of those is
 * itself unchanged (recursively, i.e. no ancestor changed).
 */
function unchangedAgents(prev: Config, next: Config): Set<string> {
  const memo = new Map<string, boolean>();
  const oldSpec = new Map(prev.template.agents.map((a) => [a.id, a]));
  const newSpec = new Map(next.template.agents.map((a) => [a.id, a]));
  const check = (id: string): boolean => {
    if (memo.has(id)) return memo.get(id)!;
    const before = oldSpec.get(id);
    const ok =
      before !== undefined &&
      isDeepStrictEqual(before, newSpec.get(id)) &&
      prev.assignment[id] === next.assignment[id] &&
      isDeepStrictEqual(naivePreds(prev.template.edges, id), naivePreds(next.template.edges, id)) &&
      naivePreds(next.template.edges, id).every(check);
    memo.set(id, ok);
    return ok;
  };
  return new Set(next.template.agents.map((a) => a.id).filter(check));
}

function fullOutputs(config: Config): Record<string, AgentOutput> {
  const fp = fingerprints(config.template, config.assignment);
  return Object.fromEntries(
    config.template.agents.map((a) => [a.id, { text: `${a.id} says hi`, ref: `ref-${a.id}`, configVersion: config.version, backbone: config.assignment[a.id], inputsKey: fp[a.id] }]),
  );
}

// ------------------------------------------------------------- properties

describe('applyPatch on random valid teams', () => {
  test('generated teams are valid to begin with', () => {
    fc.assert(
      fc.property(arbConfig, (config) => {
        expect(templateProblems(config.template)).toEqual([]);
        expect(topologicalOrder(config.template)).not.toBeNull();
      }),
      { numRuns: 100 },
    );
  });

  test('every successful patch yields a valid config, and resume keeps exactly the untouched outputs', () => {
    let applied = 0;
    let refused = 0;
    fc.assert(
      fc.property(arbCase, ({ config, ops, scope }) => {
        const before = structuredClone(config);
        const patch: Patch = { scope, ops, rationale: 'random' };
        const patchBefore = structuredClone(patch);
        let next: Config;
        try {
          next = applyPatch(config, patch, POOL);
        } catch (e) {
          if (!(e instanceof PatchError)) throw e;
          refused++;
          expect(config).toEqual(before);
          expect(patch).toEqual(patchBefore);
          return;
        }
        applied++;
        // The input is untouched on success too.
        expect(config).toEqual(before);
        expect(patch).toEqual(patchBefore);

        // Structurally valid, still a DAG, versioned.
        expect(() => TemplateSchema.parse(next.template)).not.toThrow();
        expect(templateProblems(next.template)).toEqual([]);
        const order = topologicalOrder(next.template);
        expect(order).not.toBeNull();
        expect(new Set(order)).toEqual(new Set(next.template.agents.map((a) => a.id)));
        expect(next.version).toBe(config.version + 1);
        expect(next.template.agents.some((a) => a.id === next.template.finalAgent)).toBe(true);

        // Every agent, and only the agents, are assigned a backbone from the pool.
        expect(Object.keys(next.assignment).sort()).toEqual(next.template.agents.map((a) => a.id).sort());
        for (const a of next.template.agents) expect(BACKBONES).toContain(next.assignment[a.id]);

        // Resume from s_t: kept = untouched agents; rerun = every needed agent that is not kept.
        const outputs = fullOutputs(config);
        const { kept, rerun } = survivingOutputs(outputs, next);
        const unchanged = unchangedAgents(config, next);
        const needed = naiveAncestors(next.template.edges, next.template.finalAgent);
        needed.add(next.template.finalAgent);
        // Only agents the new topology still needs keep their output.
        expect(new Set(Object.keys(kept))).toEqual(new Set([...unchanged].filter((id) => needed.has(id))));
        for (const id of Object.keys(kept)) expect(kept[id]).toBe(outputs[id]);
        const expectedRerun = next.template.agents.map((a) => a.id).filter((id) => needed.has(id) && !unchanged.has(id));
        expect(rerun).toEqual(expectedRerun);
        // Nothing downstream of a rerun agent is kept.
        for (const id of rerun) for (const k of Object.keys(kept)) expect(naiveAncestors(next.template.edges, k).has(id)).toBe(false);
      }),
      { numRuns: 600 },
    );
    // Guard against a generator that (silently) only ever produces refused patches, or never does.
    expect(applied).toBeGreaterThan(150);
    expect(refused).toBeGreaterThan(20);
  });

  test('a patch that throws never mutates the input config', () => {
    // Ops that are always wrong somewhere: unknown agents, unknown backbones, cycles, the final agent removed.
    const arbBad = arbConfig.chain((config) => {
      const ids = config.template.agents.map((a) => a.id);
      const final = config.template.finalAgent;
      const first = config.template.agents[0].id;
      const bad = fc.oneof(
        fc.constant<PatchOp>({ op: 'set_backbone', agent: 'Ghost', backbone: 'mid' }),
        fc.constantFrom(...ids).map((agent): PatchOp => ({ op: 'set_backbone', agent, backbone: 'no-such-model' })),
        fc.constantFrom(...ids).map((agent): PatchOp => ({ op: 'set_tools', agent, tools: ['rm-rf'] })),
        fc.constant<PatchOp>({ op: 'remove_agent', agent: final }),
        // final → first closes a cycle whenever first is upstream of final; add both edges to be sure.
        fc.constant<PatchOp>({ op: 'add_edge', from: first, to: final }),
      );
      return fc.record({
        config: fc.constant(config),
        good: fc.array(arbOp(config), { maxLength: 2 }),
        badOp: bad,
        tail: fc.array(arbOp(config), { maxLength: 2 }),
      });
    });
    fc.assert(
      fc.property(arbBad, ({ config, good, badOp, tail }) => {
        const first = config.template.agents[0].id;
        const final = config.template.finalAgent;
        const extra: PatchOp[] = badOp.op === 'add_edge' ? [{ op: 'add_edge', from: final, to: first }] : [];
        const before = structuredClone(config);
        const patch: Patch = { scope: 'local', ops: [...good, badOp, ...extra, ...tail], rationale: '' };
        let threw = false;
        try {
          applyPatch(config, patch, POOL);
        } catch (e) {
          threw = true;
          expect(e).toBeInstanceOf(PatchError);
        }
        expect(config).toEqual(before);
        // Most of these must fail; a later op may rescue a few (e.g. set_tools again), which is fine.
        return threw || tail.length > 0 || good.length > 0;
      }),
      { numRuns: 300 },
    );
  });
});
