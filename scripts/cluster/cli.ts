/**
 * The loopback cluster by hand: `npm run build && node dist/scripts/cluster/cli.js up [--tls|--mtls]`
 * starts PostgreSQL and Temporal v1.29.1 (scripts/cluster/provision.sh first),
 * prints the environment for mas2 workers and clients, and stops everything on Ctrl-C.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startCluster, type TlsMode } from './cluster';

async function main(): Promise<void> {
  const [cmd, ...flags] = process.argv.slice(2);
  if (cmd !== 'up') {
    process.stderr.write('usage: node dist/scripts/cluster/cli.js up [--tls|--mtls]\n');
    process.exit(2);
  }
  const tls: TlsMode = flags.includes('--mtls') ? 'mtls' : flags.includes('--tls') ? 'tls' : 'none';
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mas2-cluster-'));
  const cluster = await startCluster({ dir, tls, log: (l) => process.stderr.write(`cluster: ${l}\n`) });
  process.stdout.write(`# mas2 on this cluster (state in ${dir}):\n`);
  for (const [k, v] of Object.entries(cluster.env)) process.stdout.write(`export ${k}='${v}'\n`);
  process.stderr.write('cluster: up; Ctrl-C stops it\n');
  await new Promise<void>((r) => {
    process.once('SIGINT', r);
    process.once('SIGTERM', r);
  });
  await cluster.stop();
  fs.rmSync(dir, { recursive: true, force: true });
}

main().catch((e) => {
  process.stderr.write(`cluster: ${(e as Error).message}\n`);
  process.exit(1);
});
