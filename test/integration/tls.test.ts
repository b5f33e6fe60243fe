/**
 * TLS and mTLS through the environment configuration, cheaply: the Jest dev
 * server has no TLS, so a TLS-terminating proxy on loopback (node's tls module,
 * ALPN h2, certificates from a throw-away CA made with openssl) forwards to
 * its gRPC port. The `mas2 worker` process and the `mas2` CLI connect to the
 * proxy only through TEMPORAL_TLS_* / temporal.toml, as every Temporal tool does.
 * (`npm run test:cluster` runs the same against the real server's own TLS and mTLS.)
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { makeTestCerts, tlsEnv, type TestCerts } from '../../scripts/cluster/certs';
import type { Result } from '../../mas/schemas';
import { tempHome, uniqueQueue } from './harness';
import { testServerAddress } from './server';
import { ensureBuilt, runCli, spawnWorker, type WorkerProcess } from '../helpers/processes';

jest.setTimeout(420_000);

interface Proxy {
  address: string;
  /** TLS sessions that completed the handshake, and the client certificates' CNs seen. */
  secured: number;
  clientCNs: Set<string>;
  close(): Promise<void>;
}

async function tlsProxy(certs: TestCerts, mtls: boolean): Promise<Proxy> {
  const [host, port] = testServerAddress().split(':');
  const sockets = new Set<net.Socket>();
  const p = { secured: 0, clientCNs: new Set<string>() } as Proxy;
  const server = tls.createServer(
    {
      key: fs.readFileSync(certs.serverKey),
      cert: fs.readFileSync(certs.serverCert),
      ca: fs.readFileSync(certs.caCert),
      requestCert: mtls,
      rejectUnauthorized: mtls,
      ALPNProtocols: ['h2'],
    },
    (down) => {
      p.secured++;
      const cn = down.getPeerCertificate()?.subject?.CN;
      if (cn) p.clientCNs.add(String(cn));
      const up = net.connect(Number(port), host);
      sockets.add(down).add(up);
      down.pipe(up).pipe(down);
      const end = () => {
        down.destroy();
        up.destroy();
      };
      down.on('error', end).on('close', end);
      up.on('error', end).on('close', end);
    },
  );
  server.on('tlsClientError', () => undefined); // a client without a certificate (the negative test)
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  p.address = `127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  p.close = async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => server.close(r));
  };
  return p;
}

let certs: TestCerts;
const proxies: Proxy[] = [];
const workers: WorkerProcess[] = [];

beforeAll(() => {
  ensureBuilt();
  certs = makeTestCerts(tempHome('mas2-tls-certs-'));
}, 300_000);

afterAll(async () => {
  for (const w of workers) await w.stop(5000).catch(() => undefined);
  for (const p of proxies) await p.close();
});

async function runThrough(proxy: Proxy, env: Record<string, string>): Promise<Result> {
  const queue = uniqueQueue('tls');
  const home = tempHome('mas2-tls-worker-');
  // Generous start timeout: on a loaded shared machine a worker can take a minute to start.
  const w = await spawnWorker({ address: proxy.address, home, ledger: path.join(home, 'ledger.jsonl'), taskQueue: queue, env, readyTimeoutMs: 180_000 });
  workers.push(w);
  const out = await runCli(['run', 'Compute 17 * 23 + 4', '--pool', 'sim', '--json', '--quiet'], { TEMPORAL_ADDRESS: proxy.address, MAS2_HOME: tempHome('mas2-tls-cli-'), MAS2_TASK_QUEUE: queue, ...env }, 120_000);
  await w.stop();
  if (out.code !== 0) throw new Error(`mas2 run exited ${out.code}: ${out.stderr}`);
  return JSON.parse(out.stdout) as Result;
}

test('TLS: worker and client connect through TEMPORAL_TLS_SERVER_CA_CERT_PATH / _SERVER_NAME and a run completes', async () => {
  const proxy = await tlsProxy(certs, false);
  proxies.push(proxy);
  const r = await runThrough(proxy, tlsEnv(certs, { mtls: false }));
  expect(r.status).toBe('completed');
  expect(r.answer).toContain('395');
  expect(proxy.secured).toBeGreaterThanOrEqual(2); // the worker's and the client's connections
  // Plaintext to a TLS port does not silently work.
  const plain = await runCli(['list'], { TEMPORAL_ADDRESS: proxy.address, MAS2_HOME: tempHome('mas2-tls-cli-') }, 60_000);
  expect(plain.code).toBe(2);
  expect(plain.stderr).toMatch(/cannot reach Temporal at 127\.0\.0\.1:\d+ .*plaintext/);
});

test('mTLS: with TEMPORAL_TLS_CLIENT_CERT_PATH / _KEY_PATH the run completes; without a client certificate it is one clear error', async () => {
  const proxy = await tlsProxy(certs, true);
  proxies.push(proxy);
  const r = await runThrough(proxy, tlsEnv(certs, { mtls: true }));
  expect(r.status).toBe('completed');
  expect(proxy.clientCNs).toEqual(new Set(['mas2-client']));
  const noCert = await runCli(['list'], { TEMPORAL_ADDRESS: proxy.address, MAS2_HOME: tempHome('mas2-tls-cli-'), ...tlsEnv(certs, { mtls: false }) }, 60_000);
  expect(noCert.code).toBe(2);
  expect(noCert.stderr.trim().split('\n')).toHaveLength(1);
  expect(noCert.stderr).toMatch(/cannot reach Temporal .*connected with TLS/);
});

test('a temporal.toml profile (TEMPORAL_CONFIG_FILE + TEMPORAL_PROFILE) carries address and mTLS for the CLI', async () => {
  const proxy = await tlsProxy(certs, true);
  proxies.push(proxy);
  const dir = tempHome('mas2-tls-profile-');
  const toml = path.join(dir, 'temporal.toml');
  fs.writeFileSync(
    toml,
    `[profile.cluster]\naddress = "${proxy.address}"\n[profile.cluster.tls]\nserver_ca_cert_path = "${certs.caCert}"\nserver_name = "${certs.serverName}"\nclient_cert_path = "${certs.clientCert}"\nclient_key_path = "${certs.clientKey}"\n`,
  );
  // No TEMPORAL_ADDRESS: the address comes from the profile.
  const env = { TEMPORAL_CONFIG_FILE: toml, TEMPORAL_PROFILE: 'cluster', MAS2_HOME: dir };
  const out = await runCli(['list', '--json'], env, 60_000);
  expect(out.stderr).not.toMatch(/internal error/);
  expect(out.code).toBe(0);
  expect(Array.isArray(JSON.parse(out.stdout))).toBe(true);
  expect(proxy.clientCNs.has('mas2-client')).toBe(true);
});
