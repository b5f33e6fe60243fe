/**
 * mas2 as a user installs it: a fresh folder outside the repo, `npm install
 * <path-to-mas2>`, and the README's "Library API" example (taken from the
 * README itself, so the two cannot drift) — one zod tool, one MCP server, a
 * run on the embedded dev server. The example names no pool (a user gets the
 * default, the local models); here MAS2_POOL=sim picks the simulator, so the
 * run takes seconds. Also: the package's types resolve through its `exports`
 * map for a TypeScript user.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { stopDevServer } from '../../client/devServer';
import { closedPort } from '../helpers/fakeOpenAI';

const ROOT = path.join(__dirname, '..', '..');
const app = fs.mkdtempSync(path.join(os.tmpdir(), 'mas2-user-app-'));
const home = fs.mkdtempSync(path.join(os.tmpdir(), 'mas2-user-home-'));

/** The first ```js block of the README's "Library API" section. */
function readmeExample(): string {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Library API'));
  const m = /```js\n([\s\S]*?)```/.exec(section);
  if (!m) throw new Error('README has no ```js block under "## Library API"');
  return m[1];
}

beforeAll(() => {
  if (!fs.existsSync(path.join(ROOT, 'dist', 'lib', 'index.js'))) throw new Error('dist/ is missing: run `npm run build` before the integration tests');
  fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'user-app', private: true }));
  // `npm install <folder>` links the package as a user of a local checkout gets it. The MCP server is
  // installed beside it from the repo's devDependency so the example's `npx -y` finds it without a
  // download (--ignore-scripts: its `prepare` would rebuild it from sources it does not ship).
  const r = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--prefer-offline', ROOT, path.join(ROOT, 'node_modules', '@modelcontextprotocol', 'server-everything')], {
    cwd: app,
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (r.status !== 0) throw new Error(`npm install failed: ${r.stderr}`);
});

afterAll(async () => {
  await stopDevServer(home);
  fs.rmSync(app, { recursive: true, force: true });
});

test("the README's example runs in a fresh folder: own tool and MCP tool called, answer printed", async () => {
  fs.writeFileSync(path.join(app, 'example.mjs'), readmeExample());
  const port = await closedPort();
  const r = spawnSync(process.execPath, ['example.mjs'], {
    cwd: app,
    encoding: 'utf8',
    timeout: 150_000,
    env: { ...process.env, TEMPORAL_ADDRESS: '', OPENAI_API_KEY: '', MAS2_POOL: 'sim', MAS2_HOME: home, MAS2_SERVER_PORT: String(port), MAS2_TASK_QUEUE: `user-app-${process.pid}` },
  });
  expect(r.stderr).toMatch(/tools: python \(builtin\).*word_count \(own\).*everything__get-sum \(mcp:everything\)/);
  // The library says which models answer, through the example's `log`, as the CLI does on its first line.
  expect(r.stderr).toMatch(/using the simulator \(MAS2_POOL\): .*not a model/);
  expect(r.stderr).toMatch(/\[solver\] tool word_count completed/);
  expect(r.stderr).toMatch(/\[solver\] tool everything__get-sum completed/);
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(/^completed: /);
  expect(r.stdout).toContain('word_count: 4');
  expect(r.stdout).toContain('everything__get-sum: The sum of 2 and 3 is 5.');
  // It ran on the embedded server under MAS2_HOME, not on the test server.
  expect(fs.existsSync(path.join(home, 'temporal.sqlite'))).toBe(true);
});

test('a TypeScript user gets the types through the exports map', () => {
  const file = path.join(app, 'typed.ts');
  fs.writeFileSync(
    file,
    [
      "import { connect, defineTool, z, type RunEvent, type Result } from 'mas2';",
      "import type * as wf from 'mas2/workflows';",
      "const t = defineTool({ name: 'n', description: 'd', parameters: z.object({ x: z.number() }), execute: ({ x }) => x + 1 });",
      'async function main(): Promise<Result> {',
      '  const m = await connect({ tools: [t], worker: false });',
      "  const run = await m.start('task', { budgetUsd: 1 });",
      "  for await (const e of run.follow()) { const k: RunEvent['type'] = e.type; void k; }",
      '  return run.result();',
      '}',
      'type Task = typeof wf.mas2Task;',
      'export { main, type Task };',
      // Must not compile: the arguments are typed from the zod schema.
      "// @ts-expect-error x is a number\ndefineTool({ name: 'm', description: 'd', parameters: z.object({ x: z.number() }), execute: ({ x }) => x.toUpperCase() });",
      '',
    ].join('\n'),
  );
  const r = spawnSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '--noEmit', '--strict', '--module', 'node16', '--moduleResolution', 'node16', '--target', 'es2022', '--skipLibCheck', '--typeRoots', path.join(ROOT, 'node_modules', '@types'), '--types', 'node', file], {
    cwd: app,
    encoding: 'utf8',
    timeout: 120_000,
  });
  expect(r.stdout + r.stderr).toBe('');
  expect(r.status).toBe(0);
});
