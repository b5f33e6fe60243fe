/**
 * The blob store in PostgreSQL (`MAS2_BLOB_STORE=postgres://user@host:port/db`),
 * for workers on machines that share nothing but the cluster. Why Postgres
 * and not S3: the Temporal cluster already runs PostgreSQL (no new service to
 * operate), an `INSERT … ON CONFLICT` makes the content-addressed write
 * idempotent and atomic (two workers writing the same blob, or a retried
 * activity, cannot tear it), and mas2's blobs are messages and outputs of
 * kilobytes, well inside what a bytea column serves fast. Use a database of
 * its own (`mas2`), not Temporal's.
 *
 * Table (created on first use): mas2_blobs(sha256 char(64) primary key,
 * content bytea — bytea, not text, because model output may hold NUL —,
 * bytes, created_at, touched_at). Blobs are immutable, so each process keeps
 * a small read cache (a conversation is re-read on every turn).
 */
import { Pool, type PoolConfig } from 'pg';
import { BlobFault, checkContent, newStoreIdentity, refHex, sha256Hex, type CollectableBlobStore, type StoredBlob } from './blobStore';

const TABLE = 'mas2_blobs';

const DDL = `CREATE TABLE IF NOT EXISTS ${TABLE} (
  sha256 char(64) PRIMARY KEY,
  content bytea NOT NULL,
  bytes integer NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  touched_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS mas2_store_identity (one boolean PRIMARY KEY DEFAULT true CHECK (one), id text NOT NULL)`;

/**
 * A re-put refreshes touched_at (what `mas2 gc` compares against its grace
 * period), but at most once a minute per blob so hot blobs do not turn every
 * put into a row write. Content is rewritten only when the stored copy differs
 * (corrupted): a re-put of the same content repairs it.
 */
const PUT = `INSERT INTO ${TABLE} (sha256, content, bytes) VALUES ($1, $2, $3)
  ON CONFLICT (sha256) DO UPDATE SET content = EXCLUDED.content, bytes = EXCLUDED.bytes, touched_at = now()
  WHERE ${TABLE}.touched_at < now() - interval '1 minute' OR ${TABLE}.content <> EXCLUDED.content`;

/** An LRU of immutable contents, bounded by characters. */
class ReadCache {
  private readonly map = new Map<string, string>();
  private size = 0;
  constructor(private readonly maxChars: number) {}

  get(hex: string): string | undefined {
    const v = this.map.get(hex);
    if (v !== undefined) {
      this.map.delete(hex);
      this.map.set(hex, v);
    }
    return v;
  }

  set(hex: string, text: string): void {
    if (text.length > this.maxChars / 4 || this.map.has(hex)) return;
    this.map.set(hex, text);
    this.size += text.length;
    for (const [k, v] of this.map) {
      if (this.size <= this.maxChars) break;
      this.map.delete(k);
      this.size -= v.length;
    }
  }
}

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  return url.replace(/(\/\/[^:/@]+):[^@/]*@/, '$1:***@');
}

export class PostgresBlobStore implements CollectableBlobStore {
  private readonly pool: Pool;
  private ready: Promise<void> | null = null;
  private readonly cache = new ReadCache(Number(process.env.MAS2_BLOB_CACHE_CHARS || 32 * 1024 * 1024));
  readonly where: string;

  constructor(url: string, extra: Partial<PoolConfig> = {}) {
    this.where = redactUrl(url);
    // allowExitOnIdle: a CLI process that read a few blobs must still exit on its own.
    this.pool = new Pool({ connectionString: url, max: Number(process.env.MAS2_BLOB_POOL_SIZE || 10), idleTimeoutMillis: 10_000, allowExitOnIdle: true, ...extra });
    // An idle client that loses its server (Postgres restarted) must not crash the worker.
    this.pool.on('error', () => undefined);
  }

  /** Creates the table once per process; concurrent creators race harmlessly (retried once). */
  private ensureTable(): Promise<void> {
    if (!this.ready) {
      this.ready = (async () => {
        try {
          await this.pool.query(DDL);
        } catch (e) {
          // Two processes creating the table at once: one gets a unique violation on pg_type.
          if ((e as { code?: string }).code !== '23505' && (e as { code?: string }).code !== '42P07') throw e;
          await this.pool.query(DDL);
        }
      })().catch((e) => {
        this.ready = null;
        throw new Error(`blob store ${this.where}: ${(e as Error).message}`);
      });
    }
    return this.ready;
  }

  /** A failed query is the store being unavailable, not the content being wrong. */
  private async query<R extends object>(ref: string, sql: string, args: unknown[]) {
    try {
      await this.ensureTable();
      return await this.pool.query<R>(sql, args);
    } catch (e) {
      throw new BlobFault('unavailable', ref, this.where, (e as Error).message.split('\n')[0]);
    }
  }

  async put(text: string): Promise<string> {
    const hex = sha256Hex(text);
    const buf = Buffer.from(text, 'utf8');
    await this.query(`sha256:${hex}`, PUT, [hex, buf, buf.length]);
    this.cache.set(hex, text);
    return `sha256:${hex}`;
  }

  async get(ref: string): Promise<string> {
    const hex = refHex(ref);
    const hit = this.cache.get(hex);
    if (hit !== undefined) return hit;
    const r = await this.query<{ content: Buffer }>(ref, `SELECT content FROM ${TABLE} WHERE sha256 = $1`, [hex]);
    if (!r.rows.length) throw new BlobFault('missing', ref, this.where);
    const text = checkContent(ref, r.rows[0].content.toString('utf8'), this.where);
    this.cache.set(hex, text);
    return text;
  }

  async *list(): AsyncIterable<StoredBlob> {
    await this.ensureTable();
    // Keyset pagination: a bounded page at a time, whatever the table's size.
    let after = '';
    for (;;) {
      const r = await this.pool.query<{ sha256: string; bytes: number; touched_at: Date }>(
        `SELECT sha256, bytes, touched_at FROM ${TABLE} WHERE sha256 > $1 ORDER BY sha256 LIMIT 1000`,
        [after],
      );
      for (const row of r.rows) yield { ref: `sha256:${row.sha256}`, bytes: row.bytes, touchedAt: row.touched_at };
      if (r.rows.length < 1000) return;
      after = r.rows[r.rows.length - 1].sha256;
    }
  }

  async delete(refs: string[], notTouchedSince: Date): Promise<number> {
    if (!refs.length) return 0;
    await this.ensureTable();
    let n = 0;
    for (let i = 0; i < refs.length; i += 1000) {
      const hexes = refs.slice(i, i + 1000).map(refHex);
      // The touched_at condition is evaluated in the same statement as the delete: a put
      // committed before it makes the row live again; one committed after re-inserts it.
      const r = await this.pool.query(`DELETE FROM ${TABLE} WHERE sha256 = ANY($1::char(64)[]) AND touched_at < $2`, [hexes, notTouchedSince]);
      n += r.rowCount ?? 0;
    }
    return n;
  }

  async identity(): Promise<string> {
    // The first insert wins; every later one (also a concurrent one) reads the same row.
    await this.query('', 'INSERT INTO mas2_store_identity (id) VALUES ($1) ON CONFLICT (one) DO NOTHING', [newStoreIdentity()]);
    const r = await this.query<{ id: string }>('', 'SELECT id FROM mas2_store_identity', []);
    return r.rows[0].id;
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
