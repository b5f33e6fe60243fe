/**
 * Content-addressed blob store. History carries `sha256:<hex>` references;
 * the content lives here once, so a long agent conversation does not make the
 * workflow history grow quadratically.
 *
 * Two back-ends behind one two-method interface (`put`, `get`):
 * - the folder `$MAS2_HOME/blobs` (the default: one machine, or workers sharing a volume);
 * - PostgreSQL (`MAS2_BLOB_STORE=postgres://…`, activities/pgBlobStore.ts): workers
 *   on different machines with nothing shared but the database.
 *
 * `mas2 gc` (client/gc.ts) needs two more operations, `list` and `delete`
 * (CollectableBlobStore); a `put` of content that is already stored refreshes
 * its `touchedAt`, which is what keeps gc from deleting a blob an activity has
 * just (re-)written but whose result is not in the history yet.
 */
import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

export interface BlobStore {
  put(text: string): Promise<string>;
  get(ref: string): Promise<string>;
}

export interface StoredBlob {
  ref: string;
  bytes: number;
  /** Last put of this content (first write or a re-write of the same content). */
  touchedAt: Date;
}

/** What `mas2 gc` needs on top of put/get. */
export interface CollectableBlobStore extends BlobStore {
  /** A description for messages: the folder, or the database without its password. */
  readonly where: string;
  list(): AsyncIterable<StoredBlob>;
  /** Deletes these refs unless they were touched at or after `notTouchedSince`; returns how many were deleted. */
  delete(refs: string[], notTouchedSince: Date): Promise<number>;
  /**
   * This store's identity, made once on first use: the Temporal namespace whose runs write here
   * records it (client/serverIdentity.ts), and `mas2 gc` deletes nothing from a store its server
   * was not claimed for.
   */
  identity(): Promise<string>;
  close(): Promise<void>;
}

export function newStoreIdentity(): string {
  return `mas2-store-${randomBytes(12).toString('hex')}`;
}

const REF = /^sha256:([0-9a-f]{64})$/;

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** The hex digest of a ref, or a clear error for anything else. */
export function refHex(ref: string): string {
  const m = REF.exec(ref);
  if (!m) throw new Error(`not a blob reference: ${ref.slice(0, 80)}`);
  return m[1];
}

/**
 * A storage fault, as opposed to anything a model or a tool did: the content
 * behind a reference is `missing`, `corrupted` (it no longer hashes to its
 * name), or the store is `unavailable` (a read or write failed: permissions,
 * a full disk, a lost database connection). Checked by `name`, never instanceof.
 */
export type BlobFaultKind = 'missing' | 'corrupted' | 'unavailable';

export class BlobFault extends Error {
  override readonly name = 'BlobFault';
  constructor(
    readonly kind: BlobFaultKind,
    /** The reference, or '' for a write whose content has no reference yet. */
    readonly ref: string,
    /** The store: a folder, or the database without its password. */
    readonly where: string,
    cause?: string,
  ) {
    super(
      kind === 'missing'
        ? `blob ${ref} is missing from ${where}${cause ? ` (${cause})` : ''}`
        : kind === 'corrupted'
          ? `blob ${ref} in ${where} does not match its hash (corrupted)`
          : `the blob store ${where} is unavailable${ref ? ` for ${ref}` : ''}${cause ? `: ${cause}` : ''}`,
    );
  }
}

export function isBlobFault(e: unknown): e is BlobFault {
  return typeof e === 'object' && e !== null && (e as { name?: unknown }).name === 'BlobFault' && typeof (e as { kind?: unknown }).kind === 'string';
}

/** A blob must hash to its name: a torn or tampered blob is an error, never silently wrong content. */
export function checkContent(ref: string, text: string, where: string): string {
  if (`sha256:${sha256Hex(text)}` !== ref) throw new BlobFault('corrupted', ref, where);
  return text;
}

export class LocalBlobStore implements CollectableBlobStore {
  constructor(readonly dir: string) {}

  get where(): string {
    return this.dir;
  }

  private file(hex: string): string {
    return path.join(this.dir, hex.slice(0, 2), hex.slice(2));
  }

  /** True when the file holds exactly this content (a put of it then only refreshes its mtime). */
  private async intact(file: string, text: string, hex: string): Promise<boolean> {
    try {
      const st = await fs.stat(file);
      if (st.size !== Buffer.byteLength(text, 'utf8')) return false;
      return sha256Hex(await fs.readFile(file, 'utf8')) === hex;
    } catch {
      return false;
    }
  }

  async put(text: string): Promise<string> {
    const hex = sha256Hex(text);
    const file = this.file(hex);
    const now = new Date();
    if (await this.intact(file, text, hex)) {
      // Already there: refresh its mtime (gc's touchedAt), content untouched.
      await fs.utimes(file, now, now).catch(() => undefined);
    } else {
      // New, or a corrupted copy that this write repairs.
      try {
        await fs.mkdir(path.dirname(file), { recursive: true });
        // Write-then-rename: a worker killed mid-write never leaves a torn blob behind a valid name.
        const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
        await fs.writeFile(tmp, text, 'utf8');
        await fs.rename(tmp, file);
      } catch (e) {
        throw new BlobFault('unavailable', `sha256:${hex}`, this.dir, (e as NodeJS.ErrnoException).code ?? (e as Error).message);
      }
    }
    return `sha256:${hex}`;
  }

  async get(ref: string): Promise<string> {
    const hex = refHex(ref);
    let text: string;
    try {
      text = await fs.readFile(this.file(hex), 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw code === 'ENOENT' ? new BlobFault('missing', ref, this.dir, 'workers on other machines need a shared blob store: MAS2_BLOB_STORE=postgres://…') : new BlobFault('unavailable', ref, this.dir, code ?? (e as Error).message);
    }
    return checkContent(ref, text, this.dir);
  }

  async *list(): AsyncIterable<StoredBlob> {
    let prefixes: string[];
    try {
      prefixes = await fs.readdir(this.dir);
    } catch {
      return;
    }
    for (const p of prefixes) {
      if (!/^[0-9a-f]{2}$/.test(p)) continue;
      for (const rest of await fs.readdir(path.join(this.dir, p))) {
        if (!/^[0-9a-f]{62}$/.test(rest)) continue; // *.tmp of a write in progress
        try {
          const st = await fs.stat(path.join(this.dir, p, rest));
          yield { ref: `sha256:${p}${rest}`, bytes: st.size, touchedAt: st.mtime };
        } catch {
          /* deleted meanwhile */
        }
      }
    }
  }

  async delete(refs: string[], notTouchedSince: Date): Promise<number> {
    let n = 0;
    for (const ref of refs) {
      const file = this.file(refHex(ref));
      try {
        // Re-checked right before the unlink: a put since the listing makes it live again.
        // (A put landing between this stat and the unlink is the one window a folder cannot
        // close; gc's grace period is what makes it harmless — see client/gc.ts.)
        if ((await fs.stat(file)).mtime >= notTouchedSince) continue;
        await fs.unlink(file);
        n++;
      } catch {
        /* gone already */
      }
    }
    return n;
  }

  async identity(): Promise<string> {
    const file = path.join(this.dir, 'identity');
    const read = async () => (await fs.readFile(file, 'utf8')).trim();
    try {
      return await read();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new BlobFault('unavailable', '', this.dir, (e as NodeJS.ErrnoException).code);
    }
    // Written whole, then linked into place: two first users agree on one identity, and nobody reads half of it.
    await fs.mkdir(this.dir, { recursive: true });
    const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
    await fs.writeFile(tmp, `${newStoreIdentity()}\n`);
    try {
      await fs.link(tmp, file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    } finally {
      await fs.unlink(tmp).catch(() => undefined);
    }
    return read();
  }

  async close(): Promise<void> {}
}

export async function getJson<T>(store: BlobStore, ref: string): Promise<T> {
  return JSON.parse(await store.get(ref)) as T;
}

/**
 * The blob store configured for this process: `MAS2_BLOB_STORE` =
 * `postgres://…` / `postgresql://…` (shared), unset / `file` (the folder under
 * $MAS2_HOME) or `file:/abs/dir` (another folder).
 */
export function openBlobStore(home: string, env: NodeJS.ProcessEnv = process.env): CollectableBlobStore {
  const dir = blobStoreFolder(home, env);
  if (dir) return new LocalBlobStore(dir);
  const spec = (env.MAS2_BLOB_STORE ?? '').trim();
  if (/^postgres(ql)?:\/\//.test(spec)) {
    // Loaded only when asked for, so the embedded default does not load the pg driver.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { PostgresBlobStore } = require('./pgBlobStore') as typeof import('./pgBlobStore');
    return new PostgresBlobStore(spec);
  }
  throw new BlobStoreConfigError(`MAS2_BLOB_STORE must be postgres://…, file or file:/abs/dir (got "${spec.replace(/:[^:@/]*@/, ':***@')}")`);
}

/** The folder of a folder blob store (unset / `file` / `file:/abs/dir`); undefined for a database. */
export function blobStoreFolder(home: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const spec = (env.MAS2_BLOB_STORE ?? '').trim();
  if (!spec || spec === 'file') return path.join(home, 'blobs');
  if (!spec.startsWith('file:')) return undefined;
  const dir = spec.slice('file:'.length).replace(/^\/\/(?=\/)/, '');
  if (!path.isAbsolute(dir)) throw new BlobStoreConfigError(`MAS2_BLOB_STORE=file:DIR needs an absolute folder (got "${spec}")`);
  return dir;
}

/** A misconfigured MAS2_BLOB_STORE. Named 'UserError' so the CLI prints it as one line (client/errors.ts isUserError) without activities importing the client. */
export class BlobStoreConfigError extends Error {
  override readonly name = 'UserError';
}
