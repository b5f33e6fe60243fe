/**
 * Storage faults are storage faults: a blob that goes missing or is corrupted under a running
 * run is reported as what it is (which blob, which agent and step), is retried with backoff,
 * never fires the Rectifier (no backbone moves), ends the run `failed` with its state saved,
 * and the run goes on from s_t with `resume` once the content is back (or recomputed).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BlobFault, LocalBlobStore, refHex } from '../../activities/blobStore';
import { fetchAudit, renderAudit } from '../../client/audit/index';
import { resumeRun } from '../../client/resume';
import { TaskInputSchema, type Result, type Template } from '../../mas/schemas';
import { simPool, startTestWorker, tempHome, testClient, uniqueQueue, type TestWorker } from './harness';
import type { Client } from '@temporalio/client';

jest.setTimeout(180_000);

/**
 * The workers' real folder store, with one fault armed on demand: the next agent output written
 * (the first plain-text blob) is deleted, or overwritten with other bytes, right after its write.
 */
class LossyStore extends LocalBlobStore {
  armed: 'lose' | 'corrupt' | null = null;
  lost: { ref: string; text: string } | null = null;
  failedReads = 0;

  override async put(text: string): Promise<string> {
    const ref = await super.put(text);
    if (this.armed && !/^[[{]/.test(text)) {
      const file = path.join(this.dir, refHex(ref).slice(0, 2), refHex(ref).slice(2));
      if (this.armed === 'lose') fs.unlinkSync(file);
      else fs.writeFileSync(file, `${text} (tampered)`);
      this.lost = { ref, text };
      this.armed = null;
    }
    return ref;
  }

  override async get(ref: string): Promise<string> {
    try {
      return await super.get(ref);
    } catch (e) {
      if (ref === this.lost?.ref) this.failedReads++;
      throw e;
    }
  }

  /** Puts the lost content back, as an operator restoring a backup would. */
  restore(): void {
    const { ref, text } = this.lost!;
    const file = path.join(this.dir, refHex(ref).slice(0, 2), refHex(ref).slice(2));
    fs.writeFileSync(file, text);
  }
}

const CHAIN: Template = {
  name: 'chain',
  agents: [
    { id: 'a', role: 'Solver', instructions: 'Solve the task.', tools: [], maxTurns: 4 },
    { id: 'b', role: 'Editor', instructions: 'Check and state the answer.', tools: [], maxTurns: 4 },
  ],
  edges: [{ from: 'a', to: 'b' }],
  loops: [],
  finalAgent: 'b',
};

let client: Client;
let worker: TestWorker;
let store: LossyStore;

beforeAll(async () => {
  const home = tempHome('mas2-storage-');
  store = new LossyStore(path.join(home, 'blobs'));
  client = await testClient();
  worker = await startTestWorker({ taskQueue: uniqueQueue('storage'), home, runtime: { blobs: store } });
});
afterAll(async () => {
  await worker?.stop();
  await client?.connection.close();
});

const input = () =>
  TaskInputSchema.parse({
    task: 'Compute 17 * 23 + 4.',
    budgetUsd: 1,
    pool: simPool(),
    options: { template: CHAIN, assignment: { a: 'sim-medium', b: 'sim-medium' } },
  });

async function run(workflowId: string): Promise<Result> {
  const handle = await client.workflow.start('mas2Task', { taskQueue: worker.taskQueue, workflowId, args: [input()] });
  return (await handle.result()) as Result;
}

test('a missing blob fails the run as a storage fault, with no rectification; resume goes on from s_t once it is back', async () => {
  const id = `storage-missing-${Date.now().toString(36)}`;
  store.armed = 'lose';
  const r = await run(id);
  const lost = store.lost!.ref;

  expect(r.status).toBe('failed');
  expect(r.storageFault).toMatchObject({ kind: 'missing', ref: lost, agent: 'b' });
  expect(r.reason).toMatch(new RegExp(`^storage fault, not a model or tool failure: blob ${lost} is missing from .*\\(agent b, step \\d+\\)\\. .*mas2 resume ${id}`));
  expect(r.rectifications).toEqual([]);
  expect(r.decisions.filter((d) => d.role === 'rectifier')).toEqual([]);
  expect(r.config!.assignment).toEqual({ a: 'sim-medium', b: 'sim-medium' });
  const failed = r.steps[r.storageFault!.step];
  expect(failed).toMatchObject({ agent: 'b', kind: 'llm', status: 'failed', attempts: 5 });
  expect(failed.error).toMatch(/storage fault \(run .*, call b:llm:0\): blob sha256:[0-9a-f]{64} is missing/);
  expect(store.failedReads).toBe(5); // retried with backoff inside the activity's bounds first

  // The audit says what happened.
  const audit = await fetchAudit(client, id);
  expect(audit.storageFault).toMatchObject({ kind: 'missing', ref: lost });
  expect(renderAudit(audit, 'md')).toMatch(/\*\*Storage fault:\*\* blob `sha256:[0-9a-f]{64}` missing .*resumable with `mas2 resume/);

  // Still missing: resume refuses in one line, and says how to go on anyway.
  await expect(resumeRun(client, id, { blobs: store })).rejects.toMatchObject({ name: 'UserError', message: expect.stringMatching(/1 blob\(s\) the saved state needs still cannot be read .*missing.*--rederive/) });

  store.restore();
  const resumed = await resumeRun(client, id, { blobs: store });
  expect(resumed.dropped).toEqual([]);
  const done = (await resumed.handle.result()) as Result;
  expect(done.status).toBe('completed');
  expect(done.resumedAfter).toEqual([r.storageFault]);
  // Nothing ran twice: a's output was kept, b ran once more.
  expect(done.steps.filter((s) => s.agent === 'a' && s.kind === 'llm' && s.status === 'completed')).toHaveLength(r.steps.filter((s) => s.agent === 'a' && s.kind === 'llm' && s.status === 'completed').length);
  const after = await fetchAudit(client, id);
  expect(after.resumedAfter).toEqual([r.storageFault]);
  expect(after.notes.join('\n')).toMatch(/resumed from the saved state s_t of an earlier run .*storage fault \(blob sha256:[0-9a-f]{64} missing, agent b/);
  expect(renderAudit(after, 'md')).toMatch(/\*\*Resumed after a storage fault:\*\*/);

  await expect(resumeRun(client, id, { blobs: store })).rejects.toThrow(/not on a storage fault; there is nothing to resume/);
});

test('a corrupted blob is reported as corrupted; --rederive computes what depended on it again', async () => {
  const id = `storage-corrupt-${Date.now().toString(36)}`;
  store.armed = 'corrupt';
  const r = await run(id);
  expect(r.status).toBe('failed');
  expect(r.storageFault).toMatchObject({ kind: 'corrupted', ref: store.lost!.ref, agent: 'b' });
  expect(r.reason).toMatch(/is corrupted \(it does not match its hash\)/);
  expect(r.rectifications).toEqual([]);

  await expect(resumeRun(client, id, { blobs: store })).rejects.toThrow(/corrupted.*--rederive/);
  const resumed = await resumeRun(client, id, { blobs: store, rederive: true });
  expect(resumed.dropped).toEqual(['output of a']);
  const done = (await resumed.handle.result()) as Result;
  expect(done.status).toBe('completed');
  expect(done.steps.filter((s) => s.agent === 'a' && s.kind === 'llm' && s.status === 'completed').length).toBeGreaterThan(r.steps.filter((s) => s.agent === 'a' && s.kind === 'llm' && s.status === 'completed').length);
});

test('content restored while the activity is still retrying: the run just goes on', async () => {
  const id = `storage-restored-${Date.now().toString(36)}`;
  store.armed = 'lose';
  store.failedReads = 0;
  const handle = await client.workflow.start('mas2Task', { taskQueue: worker.taskQueue, workflowId: id, args: [input()] });
  const until = Date.now() + 60_000;
  while (store.failedReads < 1 && Date.now() < until) await new Promise((res) => setTimeout(res, 50));
  expect(store.failedReads).toBeGreaterThanOrEqual(1);
  store.restore();
  const r = (await handle.result()) as Result;
  expect(r.status).toBe('completed');
  expect(r.storageFault).toBeUndefined();
  expect(r.steps.find((s) => s.agent === 'b' && s.kind === 'llm')!.attempts).toBeGreaterThan(1);
});

test('a blob fault reads as a fault of the store, with its kind', () => {
  expect(new BlobFault('missing', `sha256:${'a'.repeat(64)}`, '/x/blobs').message).toBe(`blob sha256:${'a'.repeat(64)} is missing from /x/blobs`);
});
