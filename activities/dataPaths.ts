/**
 * Every place the configuration names where mas2 keeps data or secrets, in one
 * list: the sandbox hides all of them from model-written code (sandbox.ts), so
 * a new setting that points at data is added here and nowhere else.
 *
 * - $MAS2_HOME (or a library caller's home): the default blob store, every
 *   run's workspace, the dev server's database and logs, the local model
 *   servers' state, the background worker's log;
 * - the blob store's folder when MAS2_BLOB_STORE=file:/dir puts it elsewhere
 *   (stored prompts, conversations and outputs of every run);
 * - the folder of the call ledger (MAS2_CALL_LEDGER);
 * - the local-model cache (MAS2_LOCAL_MODELS_DIR: weights, the built server);
 * - the search tool's documents (MAS2_DOCS_DIR);
 * - the Temporal client configuration and its TLS files (TEMPORAL_CONFIG_FILE,
 *   TEMPORAL_TLS_*_PATH): a client key is a credential.
 */
import * as path from 'node:path';
import { blobStoreFolder } from './blobStore';
import { localModelsDir } from '../client/localModel/paths';

const FILE_SETTINGS = ['TEMPORAL_CONFIG_FILE', 'TEMPORAL_TLS_CLIENT_KEY_PATH', 'TEMPORAL_TLS_CLIENT_CERT_PATH', 'TEMPORAL_TLS_SERVER_CA_CERT_PATH'] as const;

function blobFolder(home: string, env: NodeJS.ProcessEnv): string | undefined {
  try {
    return blobStoreFolder(home, env);
  } catch {
    return undefined; // a malformed setting names no folder; opening the store reports it
  }
}

/** Absolute folders and files, for the data of `home` under the configuration `env`. */
export function dataPaths(home: string, env: NodeJS.ProcessEnv = process.env): string[] {
  const set = (v: string | undefined) => (v && v.trim() ? path.resolve(v) : undefined);
  const ledger = set(env.MAS2_CALL_LEDGER);
  const all = [
    path.resolve(home),
    blobFolder(home, env),
    ledger && path.dirname(ledger),
    localModelsDir(env),
    set(env.MAS2_DOCS_DIR),
    ...FILE_SETTINGS.map((k) => set(env[k])),
  ];
  return [...new Set(all.filter((p): p is string => Boolean(p)))];
}
