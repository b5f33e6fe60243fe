/**
 * `mas2 gc` against the real server: it proves the server belongs to this home's blob store
 * before it deletes anything (pointed at another home's server it refuses in one line and
 * deletes nothing), and it reads a history over gRPC's 4 MiB message limit instead of stopping.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Client } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { LocalBlobStore } from '../../activities/blobStore';
import { claimServer, serverClaim } from '../../client/serverIdentity';
import { tempHome, testClient } from './harness';
import { testServerAddress } from './server';

jest.setTimeout(180_000);

const BIN = path.join(__dirname, '..', '..', 'bin', 'mas2.js');
const suffix = `${process.pid}-${Date.now().toString(36)}`;
let client: Client;

function mas2(args: string[], home: string, namespace: string) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, TEMPORAL_ADDRESS: testServerAddress(), TEMPORAL_NAMESPACE: namespace, MAS2_HOME: home, MAS2_BLOB_STORE: '', OPENAI_API_KEY: '' },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

async function namespace(name: string): Promise<string> {
  await client.workflowService.registerNamespace({ namespace: name, workflowExecutionRetentionPeriod: msToTs('1 day') });
  // Right after registration the namespace is briefly "not found".
  for (let i = 0; i < 100; i++) {
    try {
      await client.workflowService.describeNamespace({ namespace: name });
      return name;
    } catch {
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  throw new Error(`namespace ${name} did not appear`);
}

/** A home whose store holds `n` blobs no run refers to, all older than any grace period. */
async function homeWithOldBlobs(n: number): Promise<{ home: string; store: LocalBlobStore; count: () => number }> {
  const home = tempHome('mas2-gc-');
  const store = new LocalBlobStore(path.join(home, 'blobs'));
  const old = new Date(Date.now() - 3 * 3_600_000);
  for (let i = 0; i < n; i++) {
    const ref = await store.put(`blob ${i} of ${home}`);
    const hex = ref.slice('sha256:'.length);
    fs.utimesSync(path.join(store.dir, hex.slice(0, 2), hex.slice(2)), old, old);
  }
  const count = () => fs.readdirSync(store.dir).filter((d) => /^[0-9a-f]{2}$/.test(d)).reduce((k, d) => k + fs.readdirSync(path.join(store.dir, d)).length, 0);
  return { home, store, count };
}

beforeAll(async () => {
  client = await testClient();
});
afterAll(async () => {
  await client?.connection.close();
});

test("pointed at another home's server, gc refuses in one line and deletes nothing; the owner's gc works", async () => {
  const ns = await namespace(`gc-owned-${suffix}`);
  const a = await homeWithOldBlobs(3);
  const b = await homeWithOldBlobs(19);
  await claimServer(client.connection, ns, await a.store.identity(), a.store.where);

  const refused = mas2(['gc', '--retention', '0s', '--grace', '15m'], b.home, ns);
  expect(refused.code).toBe(2);
  const lines = refused.stderr.trim().split('\n');
  expect(lines.filter((l) => /error/.test(l))).toHaveLength(1);
  expect(refused.stderr).toMatch(/error: refusing to collect garbage: the Temporal server at .* \(namespace gc-owned-.*\) belongs to another mas2 home: its runs use the blob store mas2-store-[0-9a-f]+, not this home's .*; nothing was deleted/);
  expect(b.count()).toBe(19);
  // Nor can B take the namespace over.
  const takeover = mas2(['gc', '--claim'], b.home, ns);
  expect(takeover.code).toBe(2);
  expect(takeover.stderr).toMatch(/already claimed by another blob store/);
  expect(await serverClaim(client.connection, ns)).toBe(await a.store.identity());

  // The owner collects: no run refers to its old blobs.
  const own = mas2(['gc', '--retention', '0s', '--grace', '15m', '--json'], a.home, ns);
  expect(own.code).toBe(0);
  expect(JSON.parse(own.stdout)).toMatchObject({ stored: 3, deleted: 3, skippedRuns: 0 });
  expect(a.count()).toBe(0);
});

test('a server nobody claimed: gc refuses and says how to claim it; after --claim it collects', async () => {
  const ns = await namespace(`gc-free-${suffix}`);
  const h = await homeWithOldBlobs(2);
  const refused = mas2(['gc', '--retention', '0s', '--grace', '15m'], h.home, ns);
  expect(refused.code).toBe(2);
  expect(refused.stderr).toMatch(/was not created by this mas2 home: no blob store has claimed it.*nothing was deleted; if its runs really write to .*, claim it once with `mas2 gc --claim`/);
  expect(h.count()).toBe(2);
  expect(mas2(['gc', '--claim'], h.home, ns).code).toBe(0);
  const ok = mas2(['gc', '--retention', '0s', '--grace', '15m', '--json'], h.home, ns);
  expect(ok.code).toBe(0);
  expect(JSON.parse(ok.stdout)).toMatchObject({ deleted: 2 });
});

test('a history over the 4 MiB gRPC message limit is read a page at a time, without minutes of retries: its references stay live', async () => {
  const ns = await namespace(`gc-big-${suffix}`);
  const h = await homeWithOldBlobs(0);
  await claimServer(client.connection, ns, await h.store.identity(), h.store.where);
  const kept = await h.store.put('referenced only by the big history');
  const hex = kept.slice('sha256:'.length);
  const old = new Date(Date.now() - 3 * 3_600_000);
  fs.utimesSync(path.join(h.store.dir, hex.slice(0, 2), hex.slice(2)), old, old);
  const garbage = await h.store.put('referenced by nothing');
  const ghex = garbage.slice('sha256:'.length);
  fs.utimesSync(path.join(h.store.dir, ghex.slice(0, 2), ghex.slice(2)), old, old);

  // An open run (no worker polls its queue) whose history carries three 1.5 MB signals and the reference.
  const nsClient = new (client.constructor as typeof Client)({ connection: client.connection, namespace: ns });
  const handle = await nsClient.workflow.start('mas2Task', { taskQueue: `nobody-${suffix}`, workflowId: `big-${suffix}`, args: [{ note: kept }] });
  for (let i = 0; i < 3; i++) await handle.signal('junk', 'x'.repeat(1_500_000));
  await expect(handle.fetchHistory()).rejects.toThrow(/larger than max|RESOURCE_EXHAUSTED/);

  const r = mas2(['gc', '--retention', '0s', '--grace', '15m', '--json'], h.home, ns);
  expect(r.code).toBe(0);
  expect(JSON.parse(r.stdout)).toMatchObject({ runsScanned: 1, openRuns: 1, skippedRuns: 0, keptLive: 1, deleted: 1 });
  await expect(h.store.get(kept)).resolves.toBe('referenced only by the big history');
  await expect(h.store.get(garbage)).rejects.toMatchObject({ kind: 'missing' });
  await handle.terminate();
});
