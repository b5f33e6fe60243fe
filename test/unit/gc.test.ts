/** The pure parts of `mas2 gc` (client/gc.ts); the mark and sweep against a real server run in test/cluster/cluster.test.ts. */
import { refsIn, parseDuration } from '../../client/gc';

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
