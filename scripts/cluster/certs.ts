/**
 * A throw-away certificate authority for TLS and mTLS tests, made with the
 * openssl CLI: a CA, a server certificate for localhost / 127.0.0.1, and a
 * client certificate (for mTLS and for the Temporal server's own system
 * worker). Never use these outside tests: the keys sit unencrypted in `dir`.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface TestCerts {
  dir: string;
  caCert: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** The name the server certificate is issued to (what TEMPORAL_TLS_SERVER_NAME must say). */
  serverName: string;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

export function makeTestCerts(dir: string): TestCerts {
  fs.mkdirSync(dir, { recursive: true });
  const days = '2';
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', days, '-subj', '/CN=mas2 test CA'], dir);
  const leaf = (name: string, cn: string, ext: string) => {
    fs.writeFileSync(path.join(dir, `${name}.ext`), ext);
    openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`], dir);
    openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', days, '-extfile', `${name}.ext`], dir);
  };
  leaf('server', 'localhost', 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n');
  leaf('client', 'mas2-client', 'extendedKeyUsage=clientAuth\n');
  return {
    dir,
    caCert: path.join(dir, 'ca.pem'),
    serverCert: path.join(dir, 'server.pem'),
    serverKey: path.join(dir, 'server.key'),
    clientCert: path.join(dir, 'client.pem'),
    clientKey: path.join(dir, 'client.key'),
    serverName: 'localhost',
  };
}

/** The environment configuration (as every Temporal SDK and the CLI read it) for these certs. */
export function tlsEnv(certs: TestCerts, opts: { mtls: boolean }): Record<string, string> {
  const env: Record<string, string> = {
    TEMPORAL_TLS: 'true',
    TEMPORAL_TLS_SERVER_CA_CERT_PATH: certs.caCert,
    TEMPORAL_TLS_SERVER_NAME: certs.serverName,
  };
  if (opts.mtls) {
    env.TEMPORAL_TLS_CLIENT_CERT_PATH = certs.clientCert;
    env.TEMPORAL_TLS_CLIENT_KEY_PATH = certs.clientKey;
  }
  return env;
}
