/**
 * The real Temporal server's own TLS and mTLS frontend (scripts/cluster with a
 * test CA made by openssl): `mas2 worker` and the `mas2` CLI connect through
 * the standard environment configuration only (TEMPORAL_TLS_SERVER_CA_CERT_PATH,
 * _SERVER_NAME, _CLIENT_CERT_PATH, _CLIENT_KEY_PATH). With mTLS, the server's
 * own system worker needs a client certificate (global.tls.systemWorker);
 * without it the server dies about a minute after start, so the mTLS server
 * is checked to be alive past that.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Result } from '../../mas/schemas';
import { runningChildren, sleep, startCluster, startPostgres, type Cluster, type Postgres, type TlsMode } from '../../scripts/cluster/cluster';
import { tempHome } from '../integration/harness';
import { ensureBuilt, readLedger, repeatedCalls, runCli, spawnWorker, type WorkerProcess } from '../helpers/processes';

jest.setTimeout(420_000);

const log = (line: string) => process.stderr.write(`[cluster-tls] ${line}\n`);
let pg: Postgres;
let dir: string;
const workers: WorkerProcess[] = [];
const clusters: Cluster[] = [];

beforeAll(async () => {
  ensureBuilt();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mas2-cluster-tls-'));
  pg = await startPostgres(log);
}, 300_000);

afterAll(async () => {
  for (const w of workers) await w.stop(5000).catch(() => undefined);
  for (const c of clusters) await c.stop().catch(() => undefined);
  await pg?.stop();
  expect(runningChildren()).toEqual([]);
});

const without = (env: Record<string, string>, drop: RegExp) => Object.fromEntries(Object.entries(env).filter(([k]) => !drop.test(k)));

async function runOn(mode: TlsMode): Promise<{ cluster: Cluster; result: Result; startedAt: number }> {
  const startedAt = Date.now();
  const cluster = await startCluster({ dir: path.join(dir, mode), tls: mode, pg, dbPrefix: `${mode}_`, log });
  clusters.push(cluster);
  expect(cluster.env.TEMPORAL_TLS_SERVER_CA_CERT_PATH).toBeDefined();
  const home = tempHome(`mas2-cluster-${mode}-worker-`);
  const w = await spawnWorker({ address: cluster.address, home, ledger: path.join(home, 'ledger.jsonl'), taskQueue: 'mas2', env: cluster.env, readyTimeoutMs: 180_000 });
  workers.push(w);
  const out = await runCli(['run', 'Write a Python function fib(n) and check it on the first 10 values', '--pool', 'sim', '--json', '--quiet'], { ...cluster.env, MAS2_HOME: tempHome(`mas2-cluster-${mode}-cli-`) }, 240_000);
  if (out.code !== 0) throw new Error(`mas2 run on the ${mode} cluster exited ${out.code}: ${out.stderr}`);
  const result = JSON.parse(out.stdout) as Result;
  expect(repeatedCalls(readLedger(path.join(home, 'ledger.jsonl')))).toEqual([]);
  await w.stop();
  return { cluster, result, startedAt };
}

test('TLS frontend: worker and client connect through TEMPORAL_TLS_*; plaintext is refused with one clear line', async () => {
  const { cluster, result } = await runOn('tls');
  expect(result.status).toBe('completed');
  const plainEnv = without(cluster.env, /^TEMPORAL_TLS/);
  const plain = await runCli(['list'], { ...plainEnv, MAS2_HOME: tempHome('mas2-cluster-tls-cli-') }, 60_000);
  expect(plain.code).toBe(2);
  expect(plain.stderr).toMatch(/cannot reach Temporal/);
  await cluster.stop();
});

test('mTLS frontend: with a client certificate the run completes, without one it is refused; the server outlives its first minute', async () => {
  const { cluster, result, startedAt } = await runOn('mtls');
  expect(result.status).toBe('completed');
  expect(cluster.env.TEMPORAL_TLS_CLIENT_CERT_PATH).toBeDefined();
  const noCert = without(cluster.env, /^TEMPORAL_TLS_CLIENT_/);
  const refused = await runCli(['list'], { ...noCert, MAS2_HOME: tempHome('mas2-cluster-mtls-cli-') }, 60_000);
  expect(refused.code).toBe(2);
  expect(refused.stderr).toMatch(/cannot reach Temporal .*TLS/);
  // The system worker trap: without global.tls.systemWorker the server exits about 60 s after start.
  const wait = startedAt + 75_000 - Date.now();
  if (wait > 0) await sleep(wait);
  expect(cluster.temporal.child.exitCode).toBeNull();
  const list = await runCli(['list', '--json'], { ...cluster.env, MAS2_HOME: tempHome('mas2-cluster-mtls-cli-') }, 60_000);
  expect(list.code).toBe(0);
  expect((JSON.parse(list.stdout) as { workflowId: string }[]).map((r) => r.workflowId)).toContain(result.workflowId);
  await cluster.stop();
});
