/** The environment configuration mapping (client/connect.ts resolveTarget): what every Temporal tool reads, as the SDK's envconfig reads it. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { resolveTarget } from '../../client/connect';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mas2-envconfig-'));
const ca = path.join(tmp, 'ca.pem');
const crt = path.join(tmp, 'client.pem');
const key = path.join(tmp, 'client.key');
fs.writeFileSync(ca, 'CA-PEM');
fs.writeFileSync(crt, 'CLIENT-PEM');
fs.writeFileSync(key, 'KEY-PEM');

// No HOME: the default ~/.config/temporalio/temporal.toml of whoever runs the tests is not read.
const resolve = (env: NodeJS.ProcessEnv) => resolveTarget({ env: { MAS2_HOME: tmp, ...env }, startServer: false });

test('no address anywhere: the embedded dev server, no TLS', async () => {
  const t = await resolve({});
  expect(t).toEqual({ address: '127.0.0.1:7233', namespace: 'default', embedded: true });
  expect((await resolve({ MAS2_SERVER_PORT: '7555', TEMPORAL_NAMESPACE: 'ns1' })).address).toBe('127.0.0.1:7555');
});

test('TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE: a plaintext cluster', async () => {
  const t = await resolve({ TEMPORAL_ADDRESS: 'temporal:7233', TEMPORAL_NAMESPACE: 'prod' });
  expect(t).toMatchObject({ address: 'temporal:7233', namespace: 'prod', embedded: false, connection: {} });
  expect(t.connection?.tls).toBeUndefined();
});

test('TEMPORAL_API_KEY turns TLS on (Temporal Cloud) and is sent as the API key', async () => {
  const t = await resolve({ TEMPORAL_ADDRESS: 'ns.acct.tmprl.cloud:7233', TEMPORAL_API_KEY: 'k-123' });
  expect(t.connection).toEqual({ tls: true, apiKey: 'k-123' });
});

test('TEMPORAL_TLS_*: server CA, server name and the client pair (mTLS) are read from the files', async () => {
  const t = await resolve({
    TEMPORAL_ADDRESS: '127.0.0.1:7233',
    TEMPORAL_TLS_SERVER_CA_CERT_PATH: ca,
    TEMPORAL_TLS_SERVER_NAME: 'localhost',
    TEMPORAL_TLS_CLIENT_CERT_PATH: crt,
    TEMPORAL_TLS_CLIENT_KEY_PATH: key,
  });
  const tls = t.connection?.tls as { serverNameOverride: string; serverRootCACertificate: Buffer; clientCertPair: { crt: Buffer; key: Buffer } };
  expect(tls.serverNameOverride).toBe('localhost');
  expect(tls.serverRootCACertificate.toString()).toBe('CA-PEM');
  expect(tls.clientCertPair.crt.toString()).toBe('CLIENT-PEM');
  expect(tls.clientCertPair.key.toString()).toBe('KEY-PEM');
});

test('TEMPORAL_TLS=true alone: TLS with the system roots; TEMPORAL_TLS=false turns a profile TLS off', async () => {
  const on = await resolve({ TEMPORAL_ADDRESS: 'h:7233', TEMPORAL_TLS: 'true' });
  expect(on.connection?.tls).toEqual(expect.objectContaining({ clientCertPair: undefined }));
  const off = await resolve({ TEMPORAL_ADDRESS: 'h:7233', TEMPORAL_API_KEY: 'k', TEMPORAL_TLS: 'false' });
  expect(off.connection?.tls).toBe(false);
});

test('TEMPORAL_GRPC_META_* become gRPC metadata', async () => {
  const t = await resolve({ TEMPORAL_ADDRESS: 'h:7233', TEMPORAL_GRPC_META_X_TENANT: 'acme' });
  expect(t.connection?.metadata).toEqual({ 'x-tenant': 'acme' });
});

describe('temporal.toml profiles', () => {
  const toml = path.join(tmp, 'temporal.toml');
  fs.writeFileSync(
    toml,
    [
      '[profile.default]',
      'address = "localhost:7233"',
      '',
      '[profile.secure]',
      'address = "cluster.internal:7233"',
      'namespace = "mas2"',
      '[profile.secure.tls]',
      `server_ca_cert_path = "${ca}"`,
      `client_cert_path = "${crt}"`,
      `client_key_path = "${key}"`,
      'server_name = "cluster.internal"',
      '',
    ].join('\n'),
  );

  test('the default profile is used when TEMPORAL_PROFILE is unset', async () => {
    const t = await resolve({ TEMPORAL_CONFIG_FILE: toml });
    expect(t).toMatchObject({ address: 'localhost:7233', namespace: 'default', embedded: false });
  });

  test('TEMPORAL_PROFILE picks a profile; environment variables override its fields', async () => {
    const t = await resolve({ TEMPORAL_CONFIG_FILE: toml, TEMPORAL_PROFILE: 'secure' });
    expect(t).toMatchObject({ address: 'cluster.internal:7233', namespace: 'mas2', embedded: false });
    expect((t.connection?.tls as { serverNameOverride: string }).serverNameOverride).toBe('cluster.internal');
    const o = await resolve({ TEMPORAL_CONFIG_FILE: toml, TEMPORAL_PROFILE: 'secure', TEMPORAL_NAMESPACE: 'other', TEMPORAL_ADDRESS: '10.0.0.1:7233' });
    expect(o).toMatchObject({ address: '10.0.0.1:7233', namespace: 'other' });
    expect(o.connection?.tls).toBeDefined();
  });

  test('an unknown profile, a broken file or a missing certificate is one clear user error', async () => {
    await expect(resolve({ TEMPORAL_CONFIG_FILE: toml, TEMPORAL_PROFILE: 'nope' })).rejects.toMatchObject({ name: 'UserError', message: expect.stringMatching(/Profile 'nope' not found/) });
    const bad = path.join(tmp, 'bad.toml');
    fs.writeFileSync(bad, '[profile.default\naddress = ');
    await expect(resolve({ TEMPORAL_CONFIG_FILE: bad })).rejects.toMatchObject({ name: 'UserError', message: expect.stringMatching(/^Temporal environment configuration/) });
    await expect(resolve({ TEMPORAL_ADDRESS: 'h:7233', TEMPORAL_TLS_SERVER_CA_CERT_PATH: path.join(tmp, 'missing.pem') })).rejects.toMatchObject({ name: 'UserError', message: expect.stringMatching(/missing\.pem/) });
  });
});
