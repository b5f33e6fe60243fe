/**
 * Where the Temporal server is, resolved the way every Temporal tool does it
 * (the SDK's environment configuration, `@temporalio/envconfig`): a profile
 * from `temporal.toml` (`$TEMPORAL_CONFIG_FILE`, default
 * `~/.config/temporalio/temporal.toml`; `TEMPORAL_PROFILE` picks one) with
 * `TEMPORAL_ADDRESS`, `TEMPORAL_NAMESPACE`, `TEMPORAL_API_KEY`, `TEMPORAL_TLS*`
 * and `TEMPORAL_GRPC_META_*` overriding it. With no address anywhere, the
 * embedded dev server under $MAS2_HOME, started on demand.
 *
 * The client (`connectClient`) and the worker (`createWorker` with
 * `target.connection`) connect with the same options, so TLS, mTLS and API
 * keys work for both alike.
 */
import { Client, Connection } from '@temporalio/client';
import { loadClientConfigProfile, toClientOptions, type ClientConfigProfile } from '@temporalio/envconfig';
import { ensureDevServer, SEARCH_ATTRIBUTES } from './devServer';
import { mas2Home } from '../activities/home';
import { openBlobStore } from '../activities/blobStore';
import { UserError } from './errors';

/** TLS as the SDK takes it: `true` (system roots), or a server CA / name override / client pair. */
export interface TargetTls {
  serverNameOverride?: string;
  serverRootCACertificate?: Buffer;
  clientCertPair?: { crt: Buffer; key: Buffer };
}

/** The connection options beyond the address, shared by Connection (client) and NativeConnection (worker). */
export interface TargetConnection {
  tls?: TargetTls | boolean;
  apiKey?: string;
  metadata?: Record<string, string>;
}

export interface Target {
  address: string;
  namespace: string;
  embedded: boolean;
  /** TLS, API key and gRPC metadata from the environment configuration (absent for the embedded server). */
  connection?: TargetConnection;
  /** Where the settings came from, for messages: e.g. "TEMPORAL_ADDRESS", "profile prod in temporal.toml". */
  source?: string;
}

export interface ResolveOptions {
  log?: (line: string) => void;
  startServer?: boolean;
  /** Environment to read (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** A profile name, overriding TEMPORAL_PROFILE. */
  profile?: string;
}

function loadProfile(env: NodeJS.ProcessEnv, profile?: string): ClientConfigProfile {
  // An empty variable counts as unset (TEMPORAL_ADDRESS= means "no cluster", as it always did here);
  // TEMPORAL_GRPC_META_X= keeps its envconfig meaning (remove header X).
  const overrideEnvVars = Object.fromEntries(
    Object.entries(env).filter((e): e is [string, string] => typeof e[1] === 'string' && (e[1] !== '' || e[0].startsWith('TEMPORAL_GRPC_META_'))),
  );
  try {
    return loadClientConfigProfile({ profile, overrideEnvVars });
  } catch (e) {
    const msg = (e as Error).message.split('\n')[0];
    throw new UserError(`Temporal environment configuration: ${msg}${env.TEMPORAL_CONFIG_FILE ? ` (TEMPORAL_CONFIG_FILE=${env.TEMPORAL_CONFIG_FILE})` : ''}`);
  }
}

/** The SDK connection options for a profile; certificate files that cannot be read are a user error, not a stack. */
export function targetConnection(profile: ClientConfigProfile): TargetConnection {
  let opts;
  try {
    opts = toClientOptions(profile).connectionOptions;
  } catch (e) {
    throw new UserError(`Temporal TLS settings: ${(e as Error).message.split('\n')[0]}`);
  }
  const out: TargetConnection = {};
  if (typeof opts.tls === 'boolean') out.tls = opts.tls;
  else if (opts.tls) {
    // envconfig hands out Uint8Arrays; both connections (grpc-js and the native one) want Buffers.
    const t = opts.tls as { serverNameOverride?: string; serverRootCACertificate?: Uint8Array; clientCertPair?: { crt: Uint8Array; key: Uint8Array } };
    const buf = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength);
    out.tls = {
      serverNameOverride: t.serverNameOverride,
      serverRootCACertificate: t.serverRootCACertificate && buf(t.serverRootCACertificate),
      clientCertPair: t.clientCertPair && { crt: buf(t.clientCertPair.crt), key: buf(t.clientCertPair.key) },
    };
  }
  if (opts.apiKey !== undefined) out.apiKey = opts.apiKey as string;
  if (opts.metadata && Object.keys(opts.metadata).length) out.metadata = opts.metadata as Record<string, string>;
  return out;
}

function describeSource(env: NodeJS.ProcessEnv, profile?: string): string {
  const name = profile ?? env.TEMPORAL_PROFILE;
  if (env.TEMPORAL_ADDRESS) return 'TEMPORAL_ADDRESS';
  return `profile ${name ?? 'default'} in ${env.TEMPORAL_CONFIG_FILE ?? 'temporal.toml'}`;
}

export async function resolveTarget(opts: ResolveOptions = {}): Promise<Target> {
  const env = opts.env ?? process.env;
  const profile = loadProfile(env, opts.profile);
  const namespace = profile.namespace || 'default';
  if (profile.address) {
    return { address: profile.address, namespace, embedded: false, connection: targetConnection(profile), source: describeSource(env, opts.profile) };
  }
  const port = Number(env.MAS2_SERVER_PORT || 7233);
  if (opts.startServer === false) return { address: `127.0.0.1:${port}`, namespace, embedded: true };
  const store = openBlobStore(mas2Home(env), env);
  try {
    const r = await ensureDevServer({ home: mas2Home(env), port, namespace, log: opts.log, store });
    return { address: r.address, namespace, embedded: true };
  } finally {
    await store.close();
  }
}

function tlsHint(target: Target): string {
  if (target.embedded) return '; start it with `mas2 server` or just `mas2 run`';
  const tls = target.connection?.tls;
  const how = tls ? (typeof tls === 'object' && tls.clientCertPair ? 'mTLS' : 'TLS') : 'plaintext';
  return `; connected with ${how} from ${target.source ?? 'the environment'} — check TEMPORAL_ADDRESS, TEMPORAL_TLS_* / TEMPORAL_API_KEY or the profile`;
}

/**
 * Largest gRPC message a reading client accepts. gRPC's default is 4 MiB, and a history page
 * holding a few large events is bigger: the SDK then retries the refused page with backoff for
 * minutes before it fails. Readers of whole histories (gc) raise it; pages are still halved
 * when even this is exceeded.
 */
export const HISTORY_READER_MAX_BYTES = 64 * 1024 * 1024;

export async function connectClient(target: Target, o: { maxReceiveBytes?: number } = {}): Promise<Client> {
  try {
    const channelArgs = o.maxReceiveBytes ? { 'grpc.max_receive_message_length': o.maxReceiveBytes } : undefined;
    const connection = await Connection.connect({ address: target.address, connectTimeout: '5 seconds', ...target.connection, ...(channelArgs ? { channelArgs } : {}) });
    return new Client({ connection, namespace: target.namespace });
  } catch (e) {
    throw new UserError(`cannot reach Temporal at ${target.address} (${(e as Error).message.split('\n')[0]})${tlsHint(target)}`);
  }
}

/** Whether mas2's search attributes are registered, so the workflow may upsert them. */
export async function hasSearchAttributes(client: Client, namespace: string): Promise<boolean> {
  try {
    const r = await client.connection.operatorService.listSearchAttributes({ namespace });
    const custom = r.customAttributes ?? {};
    return Object.keys(SEARCH_ATTRIBUTES).every((k) => k in custom);
  } catch {
    return false;
  }
}
