/**
 * Where the Temporal server is: TEMPORAL_ADDRESS (a cluster, or Temporal
 * Cloud) or else the embedded dev server under $MAS2_HOME, started on demand.
 */
import { Client, Connection } from '@temporalio/client';
import { ensureDevServer, SEARCH_ATTRIBUTES } from './devServer';
import { mas2Home } from '../activities/home';
import { UserError } from './errors';

export interface Target {
  address: string;
  namespace: string;
  embedded: boolean;
}

export async function resolveTarget(opts: { log?: (line: string) => void; startServer?: boolean } = {}): Promise<Target> {
  const namespace = process.env.TEMPORAL_NAMESPACE || 'default';
  if (process.env.TEMPORAL_ADDRESS) return { address: process.env.TEMPORAL_ADDRESS, namespace, embedded: false };
  const port = Number(process.env.MAS2_SERVER_PORT || 7233);
  if (opts.startServer === false) return { address: `127.0.0.1:${port}`, namespace, embedded: true };
  const r = await ensureDevServer({ home: mas2Home(), port, log: opts.log });
  return { address: r.address, namespace, embedded: true };
}

export async function connectClient(target: Target): Promise<Client> {
  try {
    const connection = await Connection.connect({ address: target.address, connectTimeout: '5 seconds' });
    return new Client({ connection, namespace: target.namespace });
  } catch (e) {
    throw new UserError(
      `cannot reach Temporal at ${target.address} (${(e as Error).message.split('\n')[0]})` +
        (target.embedded ? '; start it with `mas2 server` or just `mas2 run`' : '; check TEMPORAL_ADDRESS'),
    );
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
