/**
 * The blob store suite against a real PostgreSQL: a throwaway server of its
 * own (Debian's postgresql, which `npm run setup` installs as root; the same
 * binaries and setup as `npm run test:cluster`), on loopback in a temp dir,
 * stopped and removed afterwards. Without PostgreSQL it fails with one line
 * saying how to get it.
 */
import { startPostgres, type Postgres } from '../../scripts/cluster/cluster';
import { blobStoreSuite } from '../helpers/blobStoreSuite';
import { postgresSuiteHooks } from '../helpers/pgBlobStoreHooks';
import { PostgresBlobStore } from '../../activities/pgBlobStore';

let pg: Postgres;
let url = '';

beforeAll(async () => {
  pg = await startPostgres((l) => process.stderr.write(`[pg] ${l}\n`));
  url = pg.url('postgres');
}, 120_000);

afterAll(async () => {
  await pg?.stop();
});

describe('PostgresBlobStore on a real PostgreSQL', () => {
  // `url` is only known after beforeAll: the hooks read it lazily.
  blobStoreSuite(postgresSuiteHooks(() => url));

  test('an unreachable database is an error naming the store, without its password', async () => {
    const s = new PostgresBlobStore(`postgres://u:topsecret@127.0.0.1:${pg.port + 1}/mas2`, { connectionTimeoutMillis: 2000 });
    const err = await s.put('x').catch((e: Error) => e);
    expect(String(err)).toMatch(/blob store postgres:\/\/u:\*\*\*@127\.0\.0\.1/);
    expect(String(err)).not.toContain('topsecret');
    await s.close();
  });
});
