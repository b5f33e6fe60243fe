/** The pure side of storage faults: the reason line, the refs a saved state needs, re-deriving, resuming. */
import { refsOfState, rederive, storageFaultReason, type StorageFault } from '../../../mas/storageFault';
import { initialState, resumeState, toResult } from '../../../mas/runState';
import { TaskInputSchema } from '../../../mas/schemas';
import { SIMULATOR_POOL } from '../../../mas/simulatorPool';

const ref = (c: string) => `sha256:${c.repeat(64)}`;
const input = TaskInputSchema.parse({ task: 'Compute 2 + 2', budgetUsd: 1, pool: SIMULATOR_POOL });
const fault: StorageFault = { kind: 'missing', ref: ref('a'), where: '/h/blobs', agent: 'b', step: 3, detail: 'storage fault: …' };

function saved() {
  const s = initialState(input, '2026-01-01T00:00:00.000Z');
  s.status = 'failed';
  s.reason = storageFaultReason(fault, 'run-1');
  s.outputs = { a: { text: 'x', chars: 1, ref: ref('a'), configVersion: 1, backbone: 'sim-medium', inputsKey: 'k' }, c: { text: 'y', chars: 1, ref: ref('c'), configVersion: 1, backbone: 'sim-medium', inputsKey: 'k' } };
  s.partial = { b: { inputsKey: 'k', conversation: [ref('d'), ref('e')], turns: 1 } };
  s.feedback = { a: ref('f') };
  s.storageFault = fault;
  return s;
}

test('the reason names the blob, the kind, the agent and step, and how to resume', () => {
  expect(storageFaultReason(fault, 'run-1')).toBe(
    `storage fault, not a model or tool failure: blob ${ref('a')} is missing from /h/blobs (agent b, step 3). The state is saved: restore the content and run \`mas2 resume run-1\`, or \`mas2 resume run-1 --rederive\` to recompute what depended on it`,
  );
  expect(storageFaultReason({ ...fault, kind: 'corrupted' }, 'r')).toMatch(/is corrupted \(it does not match its hash\)/);
});

test('the saved state lists every blob it needs, once', () => {
  expect(refsOfState(saved()).sort()).toEqual([ref('a'), ref('c'), ref('d'), ref('e'), ref('f')]);
});

test('rederive drops only what depended on unreadable content', () => {
  const { state, dropped } = rederive(saved(), new Set([ref('a'), ref('e')]));
  expect(Object.keys(state.outputs)).toEqual(['c']);
  expect(state.partial).toEqual({});
  expect(state.feedback).toEqual({ a: ref('f') });
  expect(dropped).toEqual(['output of a', 'conversation of b']);
  expect(rederive(saved(), new Set()).dropped).toEqual([]);
});

test('the result of a run stopped on a fault carries its state; resuming moves the fault to resumedAfter and restarts the wall clock', () => {
  const s = saved();
  const doc = toResult(s, input, 'run-1');
  expect(doc.storageFault).toEqual(fault);
  expect((doc.resumeFrom as { partial: unknown }).partial).toEqual(s.partial);
  const again = resumeState(JSON.parse(JSON.stringify(doc.resumeFrom)), '2026-01-02T00:00:00.000Z');
  expect(again).toMatchObject({ status: 'running', reason: undefined, resumedAfter: [fault], resumedAt: '2026-01-02T00:00:00.000Z', startedAt: '2026-01-01T00:00:00.000Z' });
  expect(again.storageFault).toBeUndefined();
  expect(toResult(again, input, 'run-1')).toMatchObject({ resumedAfter: [fault] });
  expect(toResult(again, input, 'run-1').resumeFrom).toBeUndefined();
});
