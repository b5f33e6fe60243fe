/**
 * The `mas2` command as a user runs it (the built dist/, as after `npm run
 * setup`), against the test server: the main job, idempotent --id, status,
 * list, tool, and one-line errors for bad input.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Result } from '../../mas/schemas';
import { simPool, tempHome } from './harness';
import { BIN, mas2Runner } from './cliRunner';
import { stopDevServer } from '../../client/devServer';
import { closedPort } from '../helpers/fakeOpenAI';

const home = tempHome('mas2-cli-');
const queue = `cli-${process.pid}-${Date.now().toString(36)}`;

const mas2 = mas2Runner(home, queue);

beforeAll(() => {
  if (!fs.existsSync(path.join(__dirname, '..', '..', 'dist', 'client', 'cli.js'))) throw new Error('dist/ is missing: run `npm run setup` (or `npm run build`) before the integration tests');
});

test('mas2 run --pool sim --json does the main job on the simulator and says it is not a model', () => {
  const r = mas2(['run', 'Write a Python function fib(n) and check it on the first 10 values', '--pool', 'sim', '--json', '--local-worker', '--id', `fib-${queue}`]);
  expect(r.stderr.split('\n')[0]).toMatch(/^mas2: using the simulator: .*not a model$/);
  expect(r.code).toBe(0);
  const doc = JSON.parse(r.stdout) as Result;
  expect(doc.status).toBe('completed');
  expect(doc.simulated).toBe(true);
  expect(doc.config!.template.agents.length).toBeGreaterThanOrEqual(2);
  expect(doc.steps.some((s) => s.kind === 'llm')).toBe(true);
  expect(doc.steps.some((s) => s.kind === 'tool')).toBe(true);
  expect(doc.cost.usd).toBeGreaterThan(0);

  // --id is idempotent: the same id re-attaches to the finished run instead of starting another.
  const again = mas2(['run', 'Write a Python function fib(n) and check it on the first 10 values', '--pool', 'sim', '--json', '--local-worker', '--id', `fib-${queue}`]);
  expect(again.code).toBe(0);
  expect(again.stderr).toMatch(/re-attached/);
  expect(JSON.parse(again.stdout).startedAt).toBe(doc.startedAt);

  const status = mas2(['status', `fib-${queue}`, '--json']);
  expect(status.code).toBe(0);
  expect(JSON.parse(status.stdout).steps).toHaveLength(doc.steps.length);

  const list = mas2(['list', '--json', '--status', 'completed']);
  expect(list.code).toBe(0);
  expect((JSON.parse(list.stdout) as { workflowId: string }[]).map((x) => x.workflowId)).toContain(`fib-${queue}`);
});

test('text a user or a model wrote reaches the terminal with its escape sequences visible, --json stays JSON', () => {
  const id = `esc-${queue}`;
  const task = 'Compute 17 * 23 + 4 \u001b]0;pwned\u0007\u001b]52;c;cHduZWQ=\u0007\u001b[2J';
  const run = mas2(['run', task, '--pool', 'sim', '--local-worker', '--id', id]);
  expect(run.code).toBe(0);
  const list = mas2(['list']);
  const status = mas2(['status', id]);
  for (const r of [run, list, status]) {
    expect(r.stdout + r.stderr).not.toMatch(/\u001b|\u0007/);
  }
  expect(list.stdout).toContain('\\x1b]0;pwned\\x07');
  const json = mas2(['status', id, '--json']);
  expect(JSON.parse(json.stdout).task).toBe(task);
});

test('progress on stderr when it is not a terminal: who works on which model (the Rectifier while it works), no answer before one exists, no escape codes', () => {
  // Model calls of 400 ms, so the progress polls see the run between its steps. The task's own
  // assert fails on the code the simulated programmer writes for a function it knows nothing of,
  // so the programmer's code keeps failing and the Rectifier works on it, visibly.
  const file = path.join(home, 'slow-sim.json');
  fs.writeFileSync(file, JSON.stringify(simPool({ latencyMs: 400, quality: 1 })));
  const task = 'Write a Python function add_one(x) that returns x plus one.\nassert add_one(2) == 3';
  const r = mas2(['run', task, '--pool', file, '--json', '--local-worker', '--id', `progress-${queue}`]);
  const doc = JSON.parse(r.stdout) as Result;
  expect(doc.rectifications.length).toBeGreaterThanOrEqual(1);
  expect(r.code).toBe(doc.status === 'failed' ? 1 : 5);
  expect(r.stderr).not.toMatch(/\x1b/);
  expect(r.stderr).toMatch(/^mas2: working: generator on \S+ · \d[\d,]* tokens · \$[\d.]+ · \d+ s$/m);
  const team = doc.config!.template.agents.map((a) => `${a.id} on ${doc.config!.assignment[a.id]}`);
  expect(team.some((t) => r.stderr.includes(`mas2: working: ${t}`))).toBe(true);
  expect(r.stderr).toMatch(/^mas2: working: rectifier on \S+ · /m);
  // The programmer never produced code that passes, so no answer existed while the run went on:
  // the display shows none (an answer shown as soon as it exists is test/unit/progress.test.ts's).
  expect(doc.outputs[doc.config!.template.finalAgent]).toBeUndefined();
  expect(r.stderr).not.toMatch(/^mas2: answer \(from /m);
});

test('with no --pool and no key the local models answer; where they cannot be provisioned, one line says so and names the alternatives', () => {
  // An empty cache and a python without pip: provisioning cannot start (no download is attempted).
  const r = mas2(['run', 'What is 12*13?', '--local-worker'], { MAS2_LOCAL_MODELS_DIR: tempHome('mas2-nocache-'), MAS2_PYTHON: '/nonexistent/python3' });
  expect(r.code).toBe(2);
  const lines = r.stderr.trim().split('\n');
  expect(lines[0]).toMatch(/^mas2: using the local models qwen-0\.5b and qwen-1\.5b, served by llama\.cpp on this machine/);
  const error = lines.filter((l) => l.includes('error'));
  expect(error).toHaveLength(1);
  expect(error[0]).toMatch(/cannot provision the local models in .*: missing \/nonexistent\/python3 with pip/);
  expect(error[0]).toContain('--pool sim');
  expect(error[0]).toContain('OPENAI_API_KEY');
  expect(r.stderr).not.toMatch(/\n\s+at /);
});

test('mas2 tool runs one tool and prints JSON', () => {
  const r = mas2(['tool', 'calculator', '--input', '{"expression": "17 * 23 + 4"}']);
  expect(r.code).toBe(0);
  expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, output: '395' });
});

test.each([
  [['run', '   '], /task is empty/],
  [['run', 'x', '--budget', '0'], /--budget must be a number of USD above 0/],
  [['run', 'x', '--budget', '-3'], /--budget must be a number of USD above 0/],
  [['run', 'x', '--pool', '/nonexistent/pool.json'], /cannot read pool file/],
  [['run', 'x', '--fault', 'tool:python:explode'], /invalid --fault/],
  [['run', 'x', '--id', '../../etc'], /--id .* is not valid/],
  [['status', 'no-such-run-id'], /no run with id/],
  [['tool', 'nope', '--input', '{}'], /unknown tool/],
  // Every option value is checked before anything starts, with the option named.
  [['run', 'x', '--theta', '1e400'], /option '--theta <fraction>' argument '1e400' is invalid/],
  [['run', 'x', '--theta', 'NaN'], /--theta .* is invalid/],
  [['run', 'x', '--theta', '0'], /--theta .* is invalid. must be a number above 0 and at most 1/],
  [['run', 'x', '--max-rectifications', '0x10'], /--max-rectifications .* is invalid/],
  [['run', 'x', '--max-rectifications', '99'], /--max-rectifications .* whole number from 0 to 20/],
  [['run', 'x', '--seed', '1.5'], /--seed .* is invalid/],
  [['run', 'x', '--seed', ''], /--seed .* is invalid/],
  [['run', 'x', '--budget', '1e400'], /--budget must be a number of USD above 0/],
  [['run', 'x', '--budget', '-0'], /--budget must be a number of USD above 0/],
  [['run', 'x', '--budget', ''], /--budget must be a number of USD above 0/],
  [['run', 'x', '--fault', ''], /invalid --fault/],
  [['run', 'x', '--fault', 'tool:python:crash@1e400'], /invalid --fault/],
  [['run', 'x', '--id', ''], /--id "" is not valid/],
  [['run', 'x', '--pool', ''], /--pool is empty/],
  [['cto', 'x.jsonl', '--out', 'o.jsonl', '--concurrency', '0x10'], /--concurrency .* is invalid/],
  [['cto', 'x.jsonl', '--out', 'o.jsonl', '--k', '-0'], /--k .* is invalid/],
  [['budget', 'some-id', 'NaN'], /--budget must be a number of USD above 0/],
  [['server', '--port', '70000'], /--port .* is invalid/],
  [['run', 'x'.repeat(25_000)], /the task is 25000 characters; keep it under 20000/],
  [['resume', 'no-such-run-id'], /no run with id/],
  [['rectify', 'some-id', '--reason', 'r'.repeat(3000)], /--reason is 3000 characters; at most 2000/],
])('bad input %j: one line, non-zero exit, no stack trace', (args, message) => {
  const r = mas2(args as string[]);
  expect(r.code).not.toBe(0);
  expect(r.stderr + r.stdout).toMatch(message as RegExp);
  expect(r.stderr).not.toMatch(/\n\s+at /);
});

test('an invalid pool file is named with the field that is wrong', () => {
  const file = path.join(home, 'pool.json');
  fs.writeFileSync(file, JSON.stringify({ default: 'a', backbones: [{ id: 'a', provider: 'claude', model: 'm', pricing: { inputPerM: 1, outputPerM: 1 } }] }));
  const r = mas2(['run', 'x', '--pool', file]);
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/backbones\.0\.provider/);
  expect(r.stderr.trim().split('\n').filter((l) => l.includes('error'))).toHaveLength(1);
  fs.writeFileSync(file, '{not json');
  expect(mas2(['run', 'x', '--pool', file]).stderr).toMatch(/is not valid JSON/);
});

test('without TEMPORAL_ADDRESS, mas2 run starts the embedded dev server itself and the next run reuses it', async () => {
  const embeddedHome = tempHome('mas2-embedded-');
  const port = await closedPort();
  const env = { TEMPORAL_ADDRESS: '', MAS2_HOME: embeddedHome, MAS2_SERVER_PORT: String(port) };
  const run = (task: string) => {
    const r = spawnSync(process.execPath, [BIN, 'run', task, '--pool', 'sim', '--json'], {
      encoding: 'utf8',
      timeout: 150_000,
      env: { ...process.env, OPENAI_API_KEY: '', MAS2_TASK_QUEUE: `${queue}-embedded`, ...env },
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  try {
    const first = run('Compute 17 * 23 + 4');
    expect(first.stderr).toMatch(/starting Temporal dev server/);
    expect(first.code).toBe(0);
    expect((JSON.parse(first.stdout) as Result).status).toBe('completed');
    expect(fs.existsSync(path.join(embeddedHome, 'temporal.sqlite'))).toBe(true);

    const second = run('Write a Python function fib(n) and check it on the first 10 values');
    expect(second.stderr).toMatch(/already running/);
    expect(second.stderr).not.toMatch(/starting Temporal dev server/);
    expect(second.code).toBe(0);
    expect((JSON.parse(second.stdout) as Result).status).toBe('completed');
  } finally {
    await stopDevServer(embeddedHome);
  }
});
