/**
 * MCP servers as tool providers, against a real server nobody here wrote
 * (@modelcontextprotocol/server-everything, a devDependency, started by the
 * test over stdio) and a Streamable HTTP server built with the official SDK:
 * listing, calls, errors the agent sees, a server that dies mid-call (a crash)
 * and comes back, the CLI (`mas2 tools`, `mas2 tool`, `mas2 run --config`).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { ToolSet } from '../../activities/tools/toolset';
import { isToolCrashError } from '../../activities/tools/errors';
import type { Result, ToolSpec } from '../../mas/schemas';
import { tempHome } from './harness';
import { testServerAddress } from './server';

const ROOT = path.join(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'mas2.js');
const EVERYTHING = require.resolve('@modelcontextprotocol/server-everything/dist/index.js', { paths: [ROOT] });
const ctx = { workspaceDir: tempHome('mas2-mcp-ws-') };

describe('stdio: server-everything', () => {
  const set = new ToolSet({ mcpServers: { everything: { command: process.execPath, args: [EVERYTHING] } } });
  afterAll(() => set.close());

  test('its tools are listed as everything__<tool> with their JSON schemas, beside the built-ins', async () => {
    const cat = await set.catalogue();
    const sum = cat.find((t) => t.name === 'everything__get-sum')!;
    expect(sum.source).toBe('mcp:everything');
    expect(sum.description).toMatch(/sum of two numbers/i);
    expect(sum.parameters).toMatchObject({ type: 'object', properties: { a: { type: 'number' }, b: { type: 'number' } }, required: ['a', 'b'] });
    expect(cat.filter((t) => t.source === 'builtin').map((t) => t.name)).toContain('python');
    for (const t of cat) expect(t.name).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
  });

  test('a call returns the server\'s answer; arguments it rejects go back to the agent', async () => {
    expect(await set.execute('everything__get-sum', '{"a": 2, "b": 3}', ctx)).toEqual({ ok: true, output: 'The sum of 2 and 3 is 5.' });
    const bad = await set.execute('everything__get-sum', '{"a": "two"}', ctx);
    expect(bad.ok).toBe(false);
    expect(bad.output.length).toBeGreaterThan(0);
    expect(await set.execute('everything__get-sum', '[1, 2]', ctx)).toMatchObject({ ok: false, error: 'invalid arguments' });
  });

  test('a server that dies mid-call is a crash (ToolCrashError); the next call starts it again', async () => {
    const pid = await set.mcp!.pidOf('everything');
    expect(pid).toEqual(expect.any(Number));
    const starts = set.mcp!.startsOf('everything');
    const call = set.execute('everything__trigger-long-running-operation', '{"duration": 60, "steps": 60}', ctx).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 1500));
    process.kill(pid!, 'SIGKILL');
    const e = await call;
    expect(isToolCrashError(e)).toBe(true);
    expect((e as Error).message).toMatch(/tool "everything__trigger-long-running-operation" crashed: MCP server "everything" failed/);
    expect(await set.execute('everything__get-sum', '{"a": 40, "b": 2}', ctx)).toEqual({ ok: true, output: 'The sum of 40 and 2 is 42.' });
    expect(set.mcp!.startsOf('everything')).toBe(starts + 1);
    expect(await set.mcp!.pidOf('everything')).not.toBe(pid);
  });
});

describe('Streamable HTTP', () => {
  let server: http.Server;
  let url: string;
  beforeAll(async () => {
    // Stateless: one MCP server per request; the header check shows `headers` reach the server.
    server = http.createServer(async (req, res) => {
      if (req.headers['x-key'] !== 'secret') {
        res.writeHead(401).end();
        return;
      }
      const mcp = new McpServer({ name: 'test-http', version: '1.0.0' });
      mcp.registerTool('shout', { description: 'Upper-cases a text', inputSchema: { text: z.string() } }, async ({ text }) => ({ content: [{ type: 'text', text: text.toUpperCase() }] }));
      mcp.registerTool('refuse', { description: 'Always reports an error', inputSchema: {} }, async () => ({ isError: true, content: [{ type: 'text', text: 'nothing to see' }] }));
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
      res.on('close', () => {
        void transport.close();
        void mcp.close();
      });
      await mcp.connect(transport);
      await transport.handleRequest(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  test('tools over HTTP with headers; isError results go back to the agent', async () => {
    const set = new ToolSet({ mcpServers: { web: { url, headers: { 'X-Key': 'secret' } } } });
    try {
      const names = (await set.catalogue()).filter((t) => t.source === 'mcp:web').map((t) => t.name);
      expect(names).toEqual(['web__refuse', 'web__shout']);
      expect(await set.execute('web__shout', '{"text": "hi"}', ctx)).toEqual({ ok: true, output: 'HI' });
      expect(await set.execute('web__refuse', '{}', ctx)).toMatchObject({ ok: false, output: 'nothing to see' });
    } finally {
      await set.close();
    }
  });

  test('without the header the server refuses, and listing says which server', async () => {
    const set = new ToolSet({ mcpServers: { web: { url } } });
    await expect(set.catalogue()).rejects.toThrow(/MCP server "web" did not start/);
    await set.close();
  });
});

describe('the CLI', () => {
  const home = tempHome('mas2-mcp-cli-');
  const dir = tempHome('mas2-mcp-cfg-');
  // Exactly the config: npx finds the devDependency in the repo (cwd), so no download at test time.
  const cfg = path.join(dir, 'cfg.json');
  fs.writeFileSync(cfg, JSON.stringify({ mcpServers: { everything: { command: 'npx', args: ['-y', '@modelcontextprotocol/server-everything'] } } }));
  const mas2 = (args: string[]) => {
    const r = spawnSync(process.execPath, [BIN, ...args], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 150_000,
      env: { ...process.env, TEMPORAL_ADDRESS: testServerAddress(), MAS2_HOME: home, MAS2_TASK_QUEUE: `mcp-cli-${process.pid}`, OPENAI_API_KEY: '' },
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  test('mas2 tool everything__get-sum --config cfg.json returns 5; mas2 tools lists it with its schema', () => {
    const r = mas2(['tool', 'everything__get-sum', '--config', cfg, '--input', '{"a": 2, "b": 3}']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ ok: true, output: 'The sum of 2 and 3 is 5.' });

    const list = mas2(['tools', '--config', cfg, '--json']);
    expect(list.code).toBe(0);
    const tools = JSON.parse(list.stdout) as ToolSpec[];
    expect(tools.find((t) => t.name === 'everything__get-sum')).toMatchObject({ source: 'mcp:everything', parameters: { properties: { a: { type: 'number' }, b: { type: 'number' } } } });
    const text = mas2(['tools', '--config', cfg]);
    expect(text.stdout).toMatch(/^everything__get-sum {2}\[mcp:everything\] {2}Returns the sum of two numbers\n {2}parameters: \{.*"a":\{"type":"number"/m);
  });

  test('bad configs and unknown tools are one line, exit 2', () => {
    const bad = path.join(dir, 'bad.json');
    fs.writeFileSync(bad, JSON.stringify({ mcpServers: { x: { command: 'mas2-no-such-command' } } }));
    for (const args of [['tools', '--config', bad], ['tool', 'x__y', '--config', bad, '--input', '{}'], ['tools', '--config', path.join(dir, 'missing.json')]]) {
      const r = mas2(args);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/^mas2: error: (config|cannot read config)/);
    }
    const unknown = mas2(['tool', 'everything__nope', '--config', cfg, '--input', '{}']);
    expect(unknown.code).toBe(2);
    expect(JSON.parse(unknown.stdout).error).toMatch(/unknown tool "everything__nope"/);
  });

  test('mas2 run --config: the simulated team calls the MCP tool inside the run', () => {
    const r = mas2(['run', 'What is the sum of 2 and 3?', '--pool', 'sim', '--config', cfg, '--local-worker', '--json', '--id', `mcp-run-${process.pid}`]);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as Result;
    expect(doc.status).toBe('completed');
    expect(doc.steps).toContainEqual(expect.objectContaining({ kind: 'tool', name: 'everything__get-sum', status: 'completed' }));
    expect(doc.answer).toContain('The sum of 2 and 3 is 5.');
  });
});
