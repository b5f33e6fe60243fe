/** The pure parts of `mas2 gc` (client/gc.ts); the mark and sweep against a real server run in test/cluster/cluster.test.ts. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LocalBlobStore } from '../../activities/blobStore';
import { collectGarbage, refsIn, parseDuration } from '../../client/gc';

const a = `sha256:${'a'.repeat(64)}`;
const b = `sha256:${'b'.repeat(64)}`;
const c = `sha256:${'c'.repeat(64)}`;

test('refsIn finds references in payload bytes, strings and nested arrays, each once', () => {
  const history = {
    events: [
      { activityTaskCompletedEventAttributes: { result: { payloads: [{ metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from(JSON.stringify({ messageRef: a, contentRef: b })) }] } } },
      { workflowExecutionStartedEventAttributes: { input: { payloads: [{ data: new Uint8Array(Buffer.from(`{"conversation":["${a}","${c}"]}`)) }] } } },
      { note: `text mentioning ${c}` },
    ],
  };
  expect([...refsIn(history)].sort()).toEqual([a, b, c]);
});

test('refsIn ignores near misses (short digests, upper case)', () => {
  expect(refsIn({ s: `sha256:${'a'.repeat(63)} sha256:${'A'.repeat(64)}` }).size).toBe(0);
});

test('parseDuration reads s, m, h, d and nothing else', () => {
  expect(parseDuration('45s')).toBe(45_000);
  expect(parseDuration('90m')).toBe(5_400_000);
  expect(parseDuration('12h')).toBe(43_200_000);
  expect(parseDuration('7d')).toBe(604_800_000);
  expect(parseDuration('0s')).toBe(0);
  expect(parseDuration('1w')).toBeUndefined();
  expect(parseDuration('abc')).toBeUndefined();
});

describe('collectGarbage: a history it cannot read is skipped with a warning, and nothing written since that run started goes', () => {
  const HOUR = 3_600_000;
  const now = new Date('2026-06-01T12:00:00Z');

  test('skipped, warned, and the blobs it might need are kept', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mas2-gc-unit-'));
    const store = new LocalBlobStore(dir);
    const age = async (text: string, hoursAgo: number) => {
      const ref = await store.put(text);
      const hex = ref.slice(7);
      const t = new Date(now.getTime() - hoursAgo * HOUR);
      fs.utimesSync(path.join(dir, hex.slice(0, 2), hex.slice(2)), t, t);
      return ref;
    };
    const before = await age('written before the unreadable run started', 3);
    const during = await age('written while the unreadable run ran', 1.5);
    const live = await age('referenced by a readable run', 3);
    const runs = [
      { workflowId: 'readable', runId: 'r1', status: { name: 'RUNNING' }, startTime: new Date(now.getTime() - 4 * HOUR) },
      { workflowId: 'too-big', runId: 'r2', status: { name: 'RUNNING' }, startTime: new Date(now.getTime() - 2 * HOUR) },
    ];
    const client = {
      options: { namespace: 'default' },
      connection: { workflowService: { describeNamespace: async () => ({ namespaceInfo: { data: { 'mas2.blobStore': await store.identity() } } }) } },
      workflowService: {
        getWorkflowExecutionHistory: async ({ execution }: { execution: { workflowId: string } }) => {
          if (execution.workflowId === 'too-big') throw Object.assign(new Error('14 UNAVAILABLE: history service unavailable'), { code: 14 });
          return { history: { events: [{ payload: `{"ref":"${live}"}` }] }, nextPageToken: new Uint8Array() };
        },
      },
      workflow: {
        async *list() {
          yield* runs;
        },
      },
    };
    const log: string[] = [];
    const r = await collectGarbage({ client: client as never, store, retentionMs: 0, graceMs: HOUR, now, log: (l) => log.push(l) });
    expect(r).toMatchObject({ runsScanned: 1, skippedRuns: 1, keptLive: 1, keptUnread: 1, deleted: 1 });
    expect(log.some((l) => /^warning: skipped the history of too-big \(run r2\), which could not be read: .*UNAVAILABLE.*; blobs written since 2026-06-01T10:00:00.000Z are kept$/.test(l))).toBe(true);
    await expect(store.get(before)).rejects.toMatchObject({ kind: 'missing' });
    await expect(store.get(during)).resolves.toBe('written while the unreadable run ran');
    await expect(store.get(live)).resolves.toBe('referenced by a readable run');
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
