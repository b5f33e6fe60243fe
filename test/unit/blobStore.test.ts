/**
 * Blob stores: the folder store, and the choice of store from MAS2_BLOB_STORE.
 * The same suite runs against a real PostgreSQL in
 * test/integration/pgBlobStore.test.ts (it starts a server of its own).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BlobStoreConfigError, LocalBlobStore, openBlobStore, refHex } from '../../activities/blobStore';
import { blobStoreSuite } from '../helpers/blobStoreSuite';

describe('LocalBlobStore', () => {
  blobStoreSuite({
    async open() {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mas2-blobs-'));
      return { store: new LocalBlobStore(dir), other: new LocalBlobStore(dir) };
    },
    async age(store, ref, agoMs) {
      const hex = refHex(ref);
      const t = new Date(Date.now() - agoMs);
      fs.utimesSync(path.join((store as LocalBlobStore).dir, hex.slice(0, 2), hex.slice(2)), t, t);
    },
    async corrupt(store, ref, text) {
      const hex = refHex(ref);
      fs.writeFileSync(path.join((store as LocalBlobStore).dir, hex.slice(0, 2), hex.slice(2)), text);
    },
  });
});

describe('openBlobStore (MAS2_BLOB_STORE)', () => {
  test('default and `file` are the folder under $MAS2_HOME; file:/dir another folder', () => {
    expect((openBlobStore('/h', {}) as LocalBlobStore).dir).toBe(path.join('/h', 'blobs'));
    expect((openBlobStore('/h', { MAS2_BLOB_STORE: 'file' }) as LocalBlobStore).dir).toBe(path.join('/h', 'blobs'));
    expect((openBlobStore('/h', { MAS2_BLOB_STORE: 'file:/srv/blobs' }) as LocalBlobStore).dir).toBe('/srv/blobs');
    expect((openBlobStore('/h', { MAS2_BLOB_STORE: 'file:///srv/blobs' }) as LocalBlobStore).dir).toBe('/srv/blobs');
  });

  test('postgres:// and postgresql:// select the PostgreSQL store, password redacted in messages', async () => {
    for (const scheme of ['postgres', 'postgresql']) {
      const s = openBlobStore('/h', { MAS2_BLOB_STORE: `${scheme}://u:secret@127.0.0.1:1/mas2` });
      expect(s.constructor.name).toBe('PostgresBlobStore');
      expect(s.where).not.toContain('secret');
      await s.close();
    }
  });

  test('anything else is a user error naming the accepted forms (and not the password)', () => {
    expect(() => openBlobStore('/h', { MAS2_BLOB_STORE: 's3://bucket' })).toThrow(BlobStoreConfigError);
    expect(() => openBlobStore('/h', { MAS2_BLOB_STORE: 'mysql://u:pw@h/db' })).toThrow(/postgres:\/\/…, file or file:\/abs\/dir/);
    expect(() => openBlobStore('/h', { MAS2_BLOB_STORE: 'mysql://u:pw@h/db' })).not.toThrow(/pw/);
    expect(() => openBlobStore('/h', { MAS2_BLOB_STORE: 'file:relative/dir' })).toThrow(/absolute/);
  });
});
