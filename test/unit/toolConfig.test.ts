/** The `--config` file: own-tool modules and MCP servers; every mistake is one UserError line. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadToolConfig } from '../../lib/config';
import { isUserError } from '../../client/errors';

const ROOT = path.join(__dirname, '..', '..');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mas2-config-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function write(name: string, content: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, content);
  return file;
}

// The tool modules use mas2's own defineTool, as a user's module would use the package.
const own = JSON.stringify(path.join(ROOT, 'activities', 'tools', 'own.ts'));
const zod = JSON.stringify(require.resolve('zod'));

async function userError(file: string): Promise<string> {
  const e = await loadToolConfig(file).then(
    () => null,
    (x: unknown) => x,
  );
  expect(isUserError(e)).toBe(true);
  return (e as Error).message;
}

test('tools from a CommonJS module (named exports and arrays) and MCP servers of both kinds', async () => {
  write('tools.js', `const { defineTool } = require(${own}); const { z } = require(${zod});
    const a = defineTool({ name: 'a', description: 'A', parameters: z.object({}), execute: () => 'a' });
    const b = defineTool({ name: 'b', description: 'B', parameters: z.object({}), execute: () => 'b' });
    module.exports = { a, more: [b], notATool: 42 };`);
  const file = write('cfg.json', JSON.stringify({ tools: ['./tools.js'], mcpServers: { local: { command: 'node', args: ['server.js'] }, remote: { url: 'http://127.0.0.1:9/mcp', headers: { 'X-Key': 'k' } } } }));
  const cfg = await loadToolConfig(file);
  expect(cfg.tools!.map((t) => t.name)).toEqual(['a', 'b']);
  expect(Object.keys(cfg.mcpServers!)).toEqual(['local', 'remote']);
});

test('mistakes are one line each', async () => {
  expect(await userError(path.join(dir, 'missing.json'))).toMatch(/cannot read config .*ENOENT/);
  expect(await userError(write('notjson.json', '{'))).toMatch(/is not valid JSON/);
  expect(await userError(write('typo.json', '{"mcpServer": {}}'))).toMatch(/Unrecognized key: "mcpServer"/);
  expect(await userError(write('both.json', '{"mcpServers": {"s": {"command": "x", "url": "http://127.0.0.1/"}}}'))).toMatch(/invalid/);
  expect(await userError(write('nomod.json', '{"tools": ["./nope.js"]}'))).toMatch(/tool module \.\/nope\.js does not exist/);
  write('empty.js', 'module.exports = { x: 1 };');
  expect(await userError(write('empty.json', '{"tools": ["./empty.js"]}'))).toMatch(/exports no defineTool tools/);
  write('throws.js', 'throw new Error("boom at load");');
  expect(await userError(write('throws.json', '{"tools": ["./throws.js"]}'))).toMatch(/failed to load: boom at load/);
  write('t.ts', 'export {};');
  expect(await userError(write('ts.json', '{"tools": ["./t.ts"]}'))).toMatch(/TypeScript; compile it/);
  for (const m of ['missing.json', 'notjson.json', 'typo.json']) expect((await userError(path.join(dir, m))).includes('\n')).toBe(false);
});
