/**
 * The embedded dev server is reused only when it is this home's: a home records its blob
 * store's identity in the server it creates, and a second $MAS2_HOME finding that server on
 * its port (or any server nobody claimed) is refused in one line instead of writing its runs
 * into another home's database.
 */
import { ensureDevServer, stopDevServer } from '../../client/devServer';
import { LocalBlobStore } from '../../activities/blobStore';
import { serverClaim } from '../../client/serverIdentity';
import { Connection } from '@temporalio/client';
import * as path from 'node:path';
import { tempHome } from './harness';
import { testServerAddress } from './server';
import { closedPort } from '../helpers/fakeOpenAI';

jest.setTimeout(180_000);

test("a home's own server is claimed and reused; another home's, or one nobody claimed, is refused", async () => {
  const homeA = tempHome('mas2-owner-a-');
  const homeB = tempHome('mas2-owner-b-');
  const port = await closedPort();
  try {
    const first = await ensureDevServer({ home: homeA, port });
    expect(first.started).toBe(true);
    const conn = await Connection.connect({ address: first.address });
    try {
      expect(await serverClaim(conn, 'default')).toBe(await new LocalBlobStore(path.join(homeA, 'blobs')).identity());
    } finally {
      await conn.close();
    }
    expect((await ensureDevServer({ home: homeA, port })).started).toBe(false);

    await expect(ensureDevServer({ home: homeB, port })).rejects.toMatchObject({
      name: 'UserError',
      message: expect.stringMatching(/^the Temporal server at 127\.0\.0\.1:\d+ \(namespace default\) belongs to another mas2 home: .*; set MAS2_SERVER_PORT to give this home its own server, or TEMPORAL_ADDRESS=127\.0\.0\.1:\d+ to use that one deliberately$/),
    });
  } finally {
    await stopDevServer(homeA);
  }
  // The integration tests' own server: started outside any home, claimed by none.
  const testPort = Number(testServerAddress().split(':').pop());
  await expect(ensureDevServer({ home: homeB, port: testPort })).rejects.toThrow(/was not created by this mas2 home: no blob store has claimed it/);
});
