/**
 * Replays every saved history under test/histories/ against the current
 * workflow code (docs/replay.md): a change to workflows/ or mas/ that
 * would make the worker fail on runs already in flight fails here.
 *
 * When a workflow change is intended, re-record: docs/replay.md.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DefaultLogger, Runtime, Worker, type WorkerOptions } from '@temporalio/worker';
import type { History } from '@temporalio/common/lib/proto-utils';
import { workflowBundle } from './harness';

/**
 * The SDK's historyFromJSON fails in this install ("type must be a Type": several
 * nested protobufjs copies); the recorder's helper does the same conversion with
 * the copy @temporalio/proto was built with (see scripts/record-histories.js).
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { historyFromJson } = require('../../scripts/record-histories') as { historyFromJson(json: unknown): History };

const DIR = path.resolve(__dirname, '..', 'histories');

interface ManifestEntry {
  file: string;
  scenario: string;
  workflowId: string;
  runId: string;
  run: number;
  runs: number;
  status: string;
}

const manifest = JSON.parse(fs.readFileSync(path.join(DIR, 'manifest.json'), 'utf8')) as { histories: ManifestEntry[]; recordedAt: string; gitCommit: string };
const onDisk = fs
  .readdirSync(DIR)
  .filter((f) => f.endsWith('.json') && f !== 'manifest.json')
  .sort();

let bundle: NonNullable<WorkerOptions['workflowBundle']>;

function load(file: string): History {
  return historyFromJson(JSON.parse(fs.readFileSync(path.join(DIR, file), 'utf8')));
}

async function replay(file: string, history: History = load(file)): Promise<void> {
  const entry = manifest.histories.find((h) => h.file === file);
  await Worker.runReplayHistory({ workflowBundle: bundle, replayName: `replay-${file}` }, history, entry?.workflowId ?? file);
}

beforeAll(async () => {
  try {
    // Replay workers log every state change at INFO, and core logs the (expected) failure of the tampered history.
    Runtime.install({ logger: new DefaultLogger('WARN'), telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } } });
  } catch {
    /* a runtime is already installed in this process */
  }
  bundle = await workflowBundle();
});

test('the manifest and the folder agree, and cover the cases that matter', () => {
  expect(manifest.histories.map((h) => h.file).sort()).toEqual(onDisk);
  const scenarios = new Set(manifest.histories.map((h) => h.scenario));
  for (const s of ['plain', 'rectified-tool-crash', 'budget-stop', 'continued-as-new', 'cancelled', 'external-rectify']) expect(scenarios).toContain(s);
  // every run of the continue-as-new chain is kept
  const chain = manifest.histories.filter((h) => h.scenario === 'continued-as-new');
  expect(chain.length).toBeGreaterThanOrEqual(3);
  expect(chain.map((h) => h.run).sort((a, b) => a - b)).toEqual(chain.map((_, i) => i + 1));
});

describe('saved histories replay without nondeterminism', () => {
  test.each(onDisk)('%s', async (file) => {
    await replay(file);
  });
});

test('the replay check is not vacuous: a history the code would not produce is rejected', async () => {
  const history = load('plain.json');
  const events = history.events!;
  const scheduled = events.find((e) => e.activityTaskScheduledEventAttributes)!;
  scheduled.activityTaskScheduledEventAttributes!.activityType = { name: 'someOtherActivity' };
  let error: unknown;
  try {
    await replay('plain.json', history);
  } catch (e) {
    error = e;
  }
  expect(error).toBeDefined();
  // by name, not instanceof (Jest runs tests in separate realms)
  expect((error as Error).name).toBe('DeterminismViolationError');
});
