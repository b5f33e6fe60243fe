/**
 * The behaviour every blob store must have, run against the folder store
 * (test/unit/blobStore.test.ts) and against a PostgreSQL the test starts
 * itself (test/integration/pgBlobStore.test.ts).
 */
import type { CollectableBlobStore } from '../../activities/blobStore';
import { sha256Hex } from '../../activities/blobStore';

export interface SuiteHooks {
  /** A fresh, empty store (its own folder or database) and a second handle on the same storage (another machine). */
  open(): Promise<{ store: CollectableBlobStore; other: CollectableBlobStore }>;
  /** Makes a stored blob look last written `agoMs` ago (to exercise gc's grace period). */
  age(store: CollectableBlobStore, ref: string, agoMs: number): Promise<void>;
  /** Replaces a stored blob's content behind the store's back. */
  corrupt(store: CollectableBlobStore, ref: string, text: string): Promise<void>;
}

async function all<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

export function blobStoreSuite(hooks: SuiteHooks): void {
  let store: CollectableBlobStore;
  let other: CollectableBlobStore;
  beforeEach(async () => {
    ({ store, other } = await hooks.open());
  });
  afterEach(async () => {
    await store.close();
    await other.close();
  });

  test('put returns the sha256 reference; get returns the exact text, also from another handle (another machine)', async () => {
    const text = 'héllo\u0000 wörld 🌍\n'.repeat(50);
    const ref = await store.put(text);
    expect(ref).toBe(`sha256:${sha256Hex(text)}`);
    expect(await store.get(ref)).toBe(text);
    expect(await other.get(ref)).toBe(text);
  });

  test('writes are idempotent, also concurrently from two handles', async () => {
    const text = JSON.stringify({ role: 'assistant', content: 'same content' });
    const refs = await Promise.all([...Array(10)].map((_, i) => (i % 2 ? store : other).put(text)));
    expect(new Set(refs).size).toBe(1);
    const listed = (await all(store.list())).filter((b) => b.ref === refs[0]);
    expect(listed).toHaveLength(1);
    expect(listed[0].bytes).toBe(Buffer.byteLength(text));
  });

  test('a missing blob and a malformed reference are errors that say which', async () => {
    await expect(store.get(`sha256:${'0'.repeat(64)}`)).rejects.toThrow(/missing/);
    await expect(store.get(`sha256:${'0'.repeat(64)}`)).rejects.toMatchObject({ name: 'BlobFault', kind: 'missing', ref: `sha256:${'0'.repeat(64)}` });
    await expect(store.get('sha256:xyz')).rejects.toThrow(/not a blob reference/);
  });

  test('content that does not match its hash is reported as corrupted, never returned', async () => {
    const ref = await store.put('original');
    await hooks.corrupt(store, ref, 'tampered');
    await expect(other.get(ref)).rejects.toThrow(/does not match its hash/);
    await expect(other.get(ref)).rejects.toMatchObject({ name: 'BlobFault', kind: 'corrupted', ref });
    // Writing the same content again (a re-derived output, a restored copy) repairs it.
    expect(await store.put('original')).toBe(ref);
    expect(await other.get(ref)).toBe('original');
  });

  test('the store has one identity, made once, the same from every handle (also made concurrently), never listed as a blob', async () => {
    const ids = await Promise.all([store.identity(), other.identity(), store.identity(), other.identity()]);
    expect(new Set(ids).size).toBe(1);
    expect(ids[0]).toMatch(/^mas2-store-[0-9a-f]{24}$/);
    expect(await other.identity()).toBe(ids[0]);
    for await (const b of store.list()) expect(b.ref).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  test('delete removes only blobs not touched since the cut-off; a re-put refreshes a blob', async () => {
    const oldRef = await store.put('old');
    const keptRef = await store.put('re-put');
    const newRef = await store.put('new');
    await hooks.age(store, oldRef, 2 * 3_600_000);
    await hooks.age(store, keptRef, 2 * 3_600_000);
    await other.put('re-put'); // another worker writes the same content again: it is live again
    const cutoff = new Date(Date.now() - 3_600_000);
    expect(await store.delete([oldRef, keptRef, newRef], cutoff)).toBe(1);
    await expect(other.get(oldRef)).rejects.toThrow(/missing/);
    expect(await other.get(keptRef)).toBe('re-put');
    expect(await other.get(newRef)).toBe('new');
    const refs = (await all(store.list())).map((b) => b.ref).sort();
    expect(refs).toEqual([keptRef, newRef].sort());
  });
}
