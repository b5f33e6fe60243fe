/**
 * A real Temporal cluster on loopback, for `npm run test:cluster` and for
 * trying the production topology by hand (`node dist/scripts/cluster/cli.js up`):
 *
 *   PostgreSQL (Debian's `postgresql`, run as the postgres user in a temp dir)
 *     ├─ databases temporal + temporal_visibility (schema.sh: plugin postgres12)
 *     └─ database mas2 (the shared blob store, MAS2_BLOB_STORE=postgres://…/mas2)
 *   Temporal server v1.29.1 (go install from the module proxy, cached under
 *   .tools/temporal-server by provision.sh), all services in one process,
 *   optionally with a TLS or mTLS frontend (a test CA made with openssl)
 *     └─ namespace `default` + mas2's search attributes (namespace.sh)
 *
 * The same schema.sh and namespace.sh run in docker-compose.yml. Every
 * process started here is tracked and stopped by its own pid (stop(), or a
 * SIGKILL on exit of this process as a last resort).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { Connection } from '@temporalio/client';
import { Client as PgClient } from 'pg';
import type { TargetConnection } from '../../client/connect';
import { findTemporalCli } from '../../client/temporalBinary';
import { makeTestCerts, tlsEnv, type TestCerts } from './certs';

export const ROOT = path.resolve(__dirname, '..', '..', ...(path.basename(path.resolve(__dirname, '..', '..')) === 'dist' ? ['..'] : []));
export const TEMPORAL_SERVER_VERSION = 'v1.29.1';
export const TOOLS = path.join(ROOT, '.tools', 'temporal-server');
const SCRIPTS = path.join(ROOT, 'scripts', 'cluster');

export type Log = (line: string) => void;

// ------------------------------------------------------------------ processes

const started = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of started) if (c.exitCode === null && c.signalCode === null && c.pid) process.kill(c.pid, 'SIGKILL');
});

function track(child: ChildProcess): ChildProcess {
  started.add(child);
  child.once('exit', () => started.delete(child));
  return child;
}

function alive(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

async function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM', graceMs = 15_000): Promise<void> {
  if (!alive(child) || !child.pid) return;
  const gone = new Promise((r) => child.once('exit', r));
  process.kill(child.pid, signal);
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([gone, new Promise((r) => (timer = setTimeout(r, graceMs)))]);
  clearTimeout(timer);
  if (alive(child)) {
    process.kill(child.pid, 'SIGKILL');
    await gone;
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function bindable(port: number): Promise<boolean> {
  return new Promise((res) => {
    const s = net.createServer();
    s.once('error', () => res(false));
    s.listen(port, '127.0.0.1', () => s.close(() => res(true)));
  });
}

/**
 * Free loopback ports below 32768: Temporal stores membership ports in a
 * PostgreSQL smallint (cluster_membership), so the kernel's ephemeral ports
 * (32768+) make the server die at start. Random picks in 20000–32000.
 */
export async function freePorts(n: number): Promise<number[]> {
  const out: number[] = [];
  while (out.length < n) {
    const p = 20000 + Math.floor(Math.random() * 12000);
    if (!out.includes(p) && (await bindable(p))) out.push(p);
  }
  return out;
}

function tail(file: string, lines = 8): string {
  try {
    return fs
      .readFileSync(file, 'utf8')
      .split('\n')
      .slice(-lines)
      .map((l) => (l.length > 400 ? `${l.slice(0, 400)}…` : l))
      .join('\n');
  } catch {
    return '(no log)';
  }
}

// ------------------------------------------------------------------ binaries

export interface ServerBinaries {
  server: string;
  /** Folder holding `temporal-sql-tool` (a link to the `sql` binary). */
  sqlToolDir: string;
  schemaDir: string;
}

/** The binaries provision.sh built; a clear error when it has not run. */
export function serverBinaries(): ServerBinaries {
  const bin = path.join(TOOLS, 'bin');
  const out = { server: path.join(bin, 'server'), sqlToolDir: bin, schemaDir: path.join(TOOLS, 'schema', 'postgresql', 'v12') };
  for (const f of [out.server, path.join(bin, 'temporal-sql-tool'), out.schemaDir]) {
    if (!fs.existsSync(f)) throw new Error(`${path.relative(ROOT, f)} is missing: run \`bash scripts/cluster/provision.sh\` (builds Temporal ${TEMPORAL_SERVER_VERSION} with go install)`);
  }
  return out;
}

function postgresBinDir(): string {
  const base = '/usr/lib/postgresql';
  const versions = fs.existsSync(base) ? fs.readdirSync(base).filter((v) => fs.existsSync(path.join(base, v, 'bin', 'postgres'))) : [];
  if (!versions.length) throw new Error('PostgreSQL is not installed (/usr/lib/postgresql/*/bin/postgres): run `npm run setup` as root (it installs Debian\'s postgresql), or `apt-get install -y postgresql`');
  versions.sort((a, b) => Number(b) - Number(a));
  return path.join(base, versions[0], 'bin');
}

// ------------------------------------------------------------------ PostgreSQL

export interface Postgres {
  port: number;
  dir: string;
  url(db: string): string;
  child: ChildProcess;
  stop(): Promise<void>;
}

const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

/**
 * initdb and postgres refuse to run as root: as root, run them as the
 * postgres user (spawn's uid/gid, not a runuser wrapper, so that signals
 * reach postgres itself and stop() really stops it).
 */
function postgresUser(): { uid: number; gid: number } | undefined {
  if (!isRoot()) return undefined;
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

/**
 * A fresh PostgreSQL cluster in its own temp dir (directly under the system
 * temp folder, so the postgres user can reach it; removed again by stop()).
 */
export async function startPostgres(log: Log = () => undefined): Promise<Postgres> {
  const bin = postgresBinDir();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mas2-pg-'));
  const user = postgresUser();
  if (user) fs.chownSync(dir, user.uid, user.gid);
  const data = path.join(dir, 'pgdata');
  const [port] = await freePorts(1);
  const t0 = Date.now();
  execFileSync(path.join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-sync'], { stdio: ['ignore', 'ignore', 'pipe'], cwd: dir, ...user });
  const logFile = path.join(dir, 'postgres.log');
  const logFd = fs.openSync(logFile, 'a');
  const args = ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=300'];
  const child = track(spawn(path.join(bin, 'postgres'), args, { stdio: ['ignore', logFd, logFd], cwd: dir, ...user }));
  fs.closeSync(logFd);
  const url = (db: string) => `postgres://postgres@127.0.0.1:${port}/${db}`;
  for (let i = 0; ; i++) {
    if (!alive(child)) throw new Error(`postgres exited before accepting connections:\n${tail(logFile)}`);
    const c = new PgClient({ connectionString: url('postgres') });
    try {
      await c.connect();
      await c.end();
      break;
    } catch {
      await c.end().catch(() => undefined);
      if (i > 300) throw new Error(`postgres did not accept connections within 60 s:\n${tail(logFile)}`);
      await sleep(200);
    }
  }
  log(`postgres ${path.basename(path.dirname(bin))} on 127.0.0.1:${port} (data ${data}) ready in ${Date.now() - t0} ms`);
  // SIGINT = PostgreSQL's "fast shutdown".
  return {
    port,
    dir,
    url,
    child,
    async stop() {
      await stopChild(child, 'SIGINT');
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

// ------------------------------------------------------------------ schema, namespace (the shell steps compose runs too)

function runScript(script: string, env: Record<string, string>, log: Log): void {
  const out = execFileSync('sh', [path.join(SCRIPTS, script)], { env: { ...process.env, ...env }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  for (const line of out.split('\n').filter((l) => /: /.test(l) && !/^\s/.test(l))) log(line);
}

export function setupSchemas(pg: Postgres, dbs: { temporal: string; visibility: string; blobs: string }, log: Log = () => undefined): void {
  const b = serverBinaries();
  const t0 = Date.now();
  runScript(
    'schema.sh',
    {
      PATH: `${b.sqlToolDir}:${process.env.PATH}`,
      POSTGRES_SEEDS: '127.0.0.1',
      DB_PORT: String(pg.port),
      POSTGRES_USER: 'postgres',
      SCHEMA_DIR: b.schemaDir,
      TEMPORAL_DB: dbs.temporal,
      VISIBILITY_DB: dbs.visibility,
      BLOB_DB: dbs.blobs,
    },
    () => undefined,
  );
  log(`schemas ${dbs.temporal} + ${dbs.visibility} (postgres12) and database ${dbs.blobs} set up in ${Date.now() - t0} ms`);
}

export function setupNamespace(address: string, extraEnv: Record<string, string>, log: Log = () => undefined): void {
  const cli = findTemporalCli();
  const t0 = Date.now();
  runScript('namespace.sh', { PATH: `${path.dirname(cli)}:${process.env.PATH}`, TEMPORAL_ADDRESS: address, NAMESPACE: 'default', ...extraEnv }, () => undefined);
  log(`namespace default + search attributes Mas2Status, Mas2CostUsd, Mas2Task registered in ${Date.now() - t0} ms`);
}

// ------------------------------------------------------------------ Temporal server

export type TlsMode = 'none' | 'tls' | 'mtls';

export interface TemporalConfig {
  configDir: string;
  envName: string;
  address: string;
  tls: TlsMode;
  certs?: TestCerts;
}

/** One process, all four services, on free loopback ports; persistence postgres12 on `pg`. */
export async function writeTemporalConfig(o: { dir: string; pg: Postgres; dbs: { temporal: string; visibility: string }; tls: TlsMode; certs?: TestCerts }): Promise<TemporalConfig> {
  const [fe, feHttp, feM, hi, hiM, ma, maM, wo, woM] = await freePorts(9);
  const configDir = path.join(o.dir, 'config');
  fs.mkdirSync(path.join(configDir, 'dynamicconfig'), { recursive: true });
  const dynamic = path.join(configDir, 'dynamicconfig', 'mas2.yaml');
  // Same dynamic config as docker-compose.yml.
  fs.writeFileSync(dynamic, 'limit.maxIDLength:\n  - value: 255\n    constraints: {}\nsystem.forceSearchAttributesCacheRefreshOnRead:\n  - value: true\n    constraints: {}\n');
  const store = (db: string, maxConns: number) => `      sql:
        pluginName: "postgres12"
        databaseName: "${db}"
        connectAddr: "127.0.0.1:${o.pg.port}"
        connectProtocol: "tcp"
        user: "postgres"
        password: ""
        maxConns: ${maxConns}
        maxIdleConns: ${maxConns}
        maxConnLifetime: "1h"`;
  const c = o.certs;
  let tls = '';
  if (o.tls !== 'none') {
    if (!c) throw new Error('TLS needs certificates');
    const client = (indent: string) => `${indent}client:\n${indent}  serverName: "${c.serverName}"\n${indent}  rootCaFiles: ["${c.caCert}"]\n`;
    const mtls = o.tls === 'mtls';
    tls =
      '  tls:\n' +
      '    frontend:\n' +
      '      server:\n' +
      `        certFile: "${c.serverCert}"\n` +
      `        keyFile: "${c.serverKey}"\n` +
      `        requireClientAuth: ${mtls}\n` +
      `        clientCaFiles: ["${c.caCert}"]\n` +
      client('      ') +
      // The server's own system worker calls the frontend like any client: with mTLS it
      // needs a client certificate, or the server dies about a minute after start.
      '    systemWorker:\n' +
      (mtls ? `      certFile: "${c.clientCert}"\n      keyFile: "${c.clientKey}"\n` : '') +
      client('      ');
  }
  const service = (grpc: number, membership: number, extra = '') => `    rpc:
      grpcPort: ${grpc}
      membershipPort: ${membership}
      bindOnLocalHost: true${extra}`;
  const yaml = `log:
  stdout: true
  level: warn

persistence:
  defaultStore: postgres-default
  visibilityStore: postgres-visibility
  numHistoryShards: 4
  datastores:
    postgres-default:
${store(o.dbs.temporal, 20)}
    postgres-visibility:
${store(o.dbs.visibility, 4)}

global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: "127.0.0.1"
${tls}
services:
  frontend:
${service(fe, feM, `\n      httpPort: ${feHttp}`)}
  history:
${service(hi, hiM)}
  matching:
${service(ma, maM)}
  worker:
${service(wo, woM)}

clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: "active"
  currentClusterName: "active"
  clusterInformation:
    active:
      enabled: true
      initialFailoverVersion: 1
      rpcName: "frontend"
      rpcAddress: "127.0.0.1:${fe}"

dcRedirectionPolicy:
  policy: "noop"

publicClient:
  hostPort: "127.0.0.1:${fe}"

dynamicConfigClient:
  filepath: "${dynamic}"
  pollInterval: "10s"
`;
  const envName = `mas2-${o.tls}`;
  fs.writeFileSync(path.join(configDir, `${envName}.yaml`), yaml);
  return { configDir, envName, address: `127.0.0.1:${fe}`, tls: o.tls, certs: c };
}

/** What a client needs to connect to this server: the SDK options and the same thing as environment configuration. */
export function clientSettings(cfg: TemporalConfig): { connection: TargetConnection; env: Record<string, string> } {
  const c = cfg.certs;
  if (cfg.tls === 'none' || !c) return { connection: {}, env: {} };
  const mtls = cfg.tls === 'mtls';
  return {
    connection: {
      tls: {
        serverNameOverride: c.serverName,
        serverRootCACertificate: fs.readFileSync(c.caCert),
        clientCertPair: mtls ? { crt: fs.readFileSync(c.clientCert), key: fs.readFileSync(c.clientKey) } : undefined,
      },
    },
    env: tlsEnv(c, { mtls }),
  };
}

export interface TemporalServer {
  cfg: TemporalConfig;
  child: ChildProcess;
  logFile: string;
  stop(): Promise<void>;
  kill9(): Promise<void>;
}

export async function startTemporal(cfg: TemporalConfig, log: Log = () => undefined, logFile = path.join(cfg.configDir, '..', 'temporal.log')): Promise<TemporalServer> {
  const b = serverBinaries();
  const logFd = fs.openSync(logFile, 'a');
  const t0 = Date.now();
  const child = track(spawn(b.server, ['--root', path.dirname(cfg.configDir), '--config', path.basename(cfg.configDir), '--env', cfg.envName, '--allow-no-auth', 'start'], { stdio: ['ignore', logFd, logFd] }));
  fs.closeSync(logFd);
  const { connection } = clientSettings(cfg);
  for (let i = 0; ; i++) {
    if (!alive(child)) throw new Error(`temporal server exited (${child.exitCode ?? child.signalCode}) before answering:\n${tail(logFile)}`);
    try {
      const conn = await Connection.connect({ address: cfg.address, connectTimeout: '2 seconds', ...connection });
      try {
        await conn.workflowService.getSystemInfo({});
      } finally {
        await conn.close();
      }
      break;
    } catch (e) {
      if (Date.now() - t0 > 120_000) throw new Error(`temporal server did not answer on ${cfg.address} within 120 s (${(e as Error).message.split('\n')[0]}):\n${tail(logFile)}`);
      await sleep(200);
    }
  }
  log(`temporal server ${TEMPORAL_SERVER_VERSION} (${cfg.tls === 'none' ? 'plaintext' : cfg.tls}) on ${cfg.address} answered ${Date.now() - t0} ms after start (pid ${child.pid})`);
  return {
    cfg,
    child,
    logFile,
    stop: () => stopChild(child, 'SIGTERM', 20_000),
    kill9: () => stopChild(child, 'SIGKILL'),
  };
}

// ------------------------------------------------------------------ all of it

export interface Cluster {
  dir: string;
  pg: Postgres;
  temporal: TemporalServer;
  address: string;
  /** MAS2_BLOB_STORE for workers and clients. */
  blobStoreUrl: string;
  /** Environment for mas2 processes on this cluster (address, TLS, blob store). */
  env: Record<string, string>;
  connection: TargetConnection;
  /** Start the Temporal server again on the same database and configuration. */
  restartTemporal(): Promise<TemporalServer>;
  stop(): Promise<void>;
}

export interface ClusterOptions {
  dir: string;
  tls?: TlsMode;
  log?: Log;
  /** Reuse a running PostgreSQL (its own databases are created with these names' prefix). */
  pg?: Postgres;
  dbPrefix?: string;
}

export async function startCluster(o: ClusterOptions): Promise<Cluster> {
  const log = o.log ?? (() => undefined);
  const tls = o.tls ?? 'none';
  fs.mkdirSync(o.dir, { recursive: true });
  const ownPg = !o.pg;
  const pg = o.pg ?? (await startPostgres(log));
  try {
    const prefix = o.dbPrefix ?? '';
    const blobDb = `${prefix}mas2`;
    const dbs = { temporal: `${prefix}temporal`, visibility: `${prefix}temporal_visibility`, blobs: blobDb };
    setupSchemas(pg, dbs, log);
    const certs = tls === 'none' ? undefined : makeTestCerts(path.join(o.dir, 'certs'));
    const cfg = await writeTemporalConfig({ dir: path.join(o.dir, `temporal-${tls}`), pg, dbs, tls, certs });
    let temporal = await startTemporal(cfg, log);
    const settings = clientSettings(cfg);
    setupNamespace(cfg.address, settings.env, log);
    const blobStoreUrl = pg.url(blobDb);
    const cluster: Cluster = {
      dir: o.dir,
      pg,
      get temporal() {
        return temporal;
      },
      address: cfg.address,
      blobStoreUrl,
      env: { TEMPORAL_ADDRESS: cfg.address, TEMPORAL_NAMESPACE: 'default', MAS2_BLOB_STORE: blobStoreUrl, ...settings.env },
      connection: settings.connection,
      async restartTemporal() {
        temporal = await startTemporal(cfg, log);
        return temporal;
      },
      async stop() {
        await temporal.stop();
        if (ownPg) await pg.stop();
      },
    };
    return cluster;
  } catch (e) {
    if (ownPg) await pg.stop();
    throw e;
  }
}

/** Every process this module started that is still running (for a final check that nothing is left behind). */
export function runningChildren(): number[] {
  return [...started].filter(alive).map((c) => c.pid!);
}
