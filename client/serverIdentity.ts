/**
 * Which blob store a Temporal namespace's runs write to, recorded in the
 * namespace itself (its `data`, key `mas2.blobStore`): a mas2 home writes its
 * store's identity there when it creates its server (the embedded dev server),
 * or an operator once with `mas2 gc --claim` (a cluster). Two things rely on it:
 * - `mas2 gc` deletes nothing unless the server it reads is claimed by the
 *   store it would delete from: the histories of another home's server refer to
 *   none of this home's blobs, so every one of them would look dead;
 * - the embedded dev server is reused only when it is this home's, so a second
 *   $MAS2_HOME never puts its runs into another home's database.
 */
import type { Connection } from '@temporalio/client';
import { UserError } from './errors';

export const CLAIM_KEY = 'mas2.blobStore';

type Service = Pick<Connection, 'workflowService'>;

/** The store identity the namespace is claimed by, or undefined when nobody claimed it. */
export async function serverClaim(conn: Service, namespace: string): Promise<string | undefined> {
  const r = await conn.workflowService.describeNamespace({ namespace });
  const claim = r.namespaceInfo?.data?.[CLAIM_KEY];
  return claim ? claim : undefined;
}

/** Claims the namespace for this store; refuses when another store claimed it first. */
export async function claimServer(conn: Service, namespace: string, identity: string, where: string): Promise<void> {
  const claim = await serverClaim(conn, namespace);
  if (claim === identity) return;
  if (claim) throw new UserError(`namespace ${namespace} is already claimed by another blob store (${claim}); this home's store ${where} is ${identity}`);
  await conn.workflowService.updateNamespace({ namespace, updateInfo: { data: { [CLAIM_KEY]: identity } } });
}

export type Ownership = { owner: 'this' } | { owner: 'nobody' } | { owner: 'other'; claim: string };

/** Whose the namespace is, for this store identity. */
export async function ownership(conn: Service, namespace: string, identity: string): Promise<Ownership> {
  const claim = await serverClaim(conn, namespace);
  if (claim === identity) return { owner: 'this' };
  return claim ? { owner: 'other', claim } : { owner: 'nobody' };
}

/** One sentence on why a server that is not this store's is not. */
export function notOursLine(o: Exclude<Ownership, { owner: 'this' }>, at: { address: string; namespace: string; identity: string; where: string }): string {
  const server = `the Temporal server at ${at.address} (namespace ${at.namespace})`;
  if (o.owner === 'other') return `${server} belongs to another mas2 home: its runs use the blob store ${o.claim}, not this home's ${at.where} (${at.identity})`;
  return `${server} was not created by this mas2 home: no blob store has claimed it, and this home's is ${at.where} (${at.identity})`;
}
