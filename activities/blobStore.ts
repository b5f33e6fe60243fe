/**
 * Content-addressed blob store. History carries `sha256:<hex>` references;
 * the content lives here once, so a long agent conversation does not make the
 * workflow history grow quadratically. The local folder works for one machine
 * or workers sharing a volume; S3/Postgres would implement the same interface.
 */
import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

export interface BlobStore {
  put(text: string): Promise<string>;
  get(ref: string): Promise<string>;
}

const REF = /^sha256:([0-9a-f]{64})$/;

export class LocalBlobStore implements BlobStore {
  constructor(readonly dir: string) {}

  private file(hex: string): string {
    return path.join(this.dir, hex.slice(0, 2), hex.slice(2));
  }

  async put(text: string): Promise<string> {
    const hex = createHash('sha256').update(text, 'utf8').digest('hex');
    const file = this.file(hex);
    try {
      await fs.access(file);
    } catch {
      await fs.mkdir(path.dirname(file), { recursive: true });
      // Write-then-rename: a worker killed mid-write never leaves a torn blob behind a valid name.
      const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
      await fs.writeFile(tmp, text, 'utf8');
      await fs.rename(tmp, file);
    }
    return `sha256:${hex}`;
  }

  async get(ref: string): Promise<string> {
    const m = REF.exec(ref);
    if (!m) throw new Error(`not a blob reference: ${ref.slice(0, 80)}`);
    try {
      return await fs.readFile(this.file(m[1]), 'utf8');
    } catch (e) {
      throw new Error(`blob ${ref} is missing from ${this.dir} (workers on other machines need a shared blob store): ${(e as Error).message}`);
    }
  }
}

export async function getJson<T>(store: BlobStore, ref: string): Promise<T> {
  return JSON.parse(await store.get(ref)) as T;
}
