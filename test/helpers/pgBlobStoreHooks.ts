/** blobStoreSuite hooks for PostgreSQL: each test gets a database of its own on the server at `url` (a string, or a getter when the server starts later). */
import { Client } from 'pg';
import { refHex } from '../../activities/blobStore';
import { PostgresBlobStore } from '../../activities/pgBlobStore';
import type { SuiteHooks } from './blobStoreSuite';

let n = 0;

async function sql(url: string, text: string, params: unknown[] = []): Promise<void> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(text, params);
  } finally {
    await c.end();
  }
}

export function postgresSuiteHooks(urlOf: string | (() => string)): SuiteHooks {
  const dbUrl = new Map<PostgresBlobStore, string>();
  return {
    async open() {
      const url = typeof urlOf === 'string' ? urlOf : urlOf();
      const db = `mas2_blobtest_${process.pid}_${Date.now().toString(36)}_${n++}`;
      await sql(url, `CREATE DATABASE ${db}`);
      const u = new URL(url);
      u.pathname = `/${db}`;
      const store = new PostgresBlobStore(u.toString());
      dbUrl.set(store, u.toString());
      // A second handle = another worker process: its own pool, its own read cache.
      return { store, other: new PostgresBlobStore(u.toString()) };
    },
    async age(store, ref, agoMs) {
      await sql(dbUrl.get(store as PostgresBlobStore)!, `UPDATE mas2_blobs SET touched_at = now() - make_interval(secs => $2) WHERE sha256 = $1`, [refHex(ref), agoMs / 1000]);
    },
    async corrupt(store, ref, text) {
      await sql(dbUrl.get(store as PostgresBlobStore)!, `UPDATE mas2_blobs SET content = $2 WHERE sha256 = $1`, [refHex(ref), Buffer.from(text)]);
    },
  };
}
