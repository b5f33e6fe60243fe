import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MAX_WRITE_BYTES, workspaceTool } from '../../../activities/tools/workspace';
import { executeTool } from '../../../activities/tools/registry';

let base: string;
let ws: string;
let outside: string;
const run = (action: 'read' | 'write' | 'list', p: string, content?: string) => workspaceTool.execute({ action, path: p, content }, { workspaceDir: ws });

beforeEach(() => {
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'mas2-ws-test-'));
  ws = path.join(base, 'ws');
  outside = path.join(base, 'outside');
  fs.mkdirSync(ws);
  fs.mkdirSync(outside);
  fs.writeFileSync(path.join(outside, 'secret.txt'), 'top secret');
});
afterEach(() => fs.rmSync(base, { recursive: true, force: true }));

describe('workspace: normal use', () => {
  test('write creates parent folders, read returns the content, list shows names', async () => {
    expect(await run('write', 'notes/plan.md', '# Plan\nstep 1')).toMatchObject({ ok: true, output: 'wrote 13 bytes to notes/plan.md' });
    expect(await run('read', 'notes/plan.md')).toEqual({ ok: true, output: '# Plan\nstep 1' });
    expect(await run('write', 'a.txt', 'x')).toMatchObject({ ok: true });
    expect(await run('list', '.')).toEqual({ ok: true, output: 'a.txt\nnotes/' });
    expect(await run('list', 'notes')).toEqual({ ok: true, output: 'plan.md' });
    expect(await run('list', '')).toEqual({ ok: true, output: 'a.txt\nnotes/' });
    expect(await run('write', 'a.txt', 'overwritten')).toMatchObject({ ok: true });
    expect((await run('read', './notes/../a.txt')).output).toBe('overwritten');
  });

  test('creates the workspace folder if needed and lists an empty one', async () => {
    fs.rmSync(ws, { recursive: true });
    expect(await run('list', '.')).toEqual({ ok: true, output: '(empty)' });
  });

  test('clear errors for missing files, folders and wrong kinds', async () => {
    expect(await run('read', 'nope.txt')).toMatchObject({ ok: false, error: '"nope.txt" does not exist' });
    await run('write', 'd/f.txt', 'x');
    expect((await run('read', 'd')).error).toMatch(/is a folder/);
    expect((await run('list', 'd/f.txt')).error).toMatch(/is a file/);
    expect((await run('write', 'd', 'x')).error).toMatch(/is a folder/);
    expect((await run('write', 'd/f.txt/g', 'x')).error).toMatch(/not a folder|ENOTDIR|cannot resolve/);
    expect((await run('write', 'x.txt')).error).toMatch(/needs "content"/);
  });

  test('size cap per write', async () => {
    const r = await run('write', 'big.txt', 'x'.repeat(MAX_WRITE_BYTES + 1));
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/at most 1048576 bytes/);
    expect(fs.existsSync(path.join(ws, 'big.txt'))).toBe(false);
    expect((await run('write', 'ok.txt', 'x'.repeat(MAX_WRITE_BYTES))).ok).toBe(true);
  });

  test('binary files are not dumped into the conversation', async () => {
    fs.writeFileSync(path.join(ws, 'b.bin'), Buffer.from([1, 0, 2, 3]));
    expect((await run('read', 'b.bin')).error).toMatch(/binary/);
  });

  test('symlinks that stay inside are fine', async () => {
    await run('write', 'real/file.txt', 'inside');
    fs.symlinkSync(path.join(ws, 'real'), path.join(ws, 'alias'));
    expect((await run('read', 'alias/file.txt')).output).toBe('inside');
    fs.symlinkSync('real/file.txt', path.join(ws, 'link.txt'));
    expect((await run('write', 'link.txt', 'changed')).ok).toBe(true);
    expect(fs.readFileSync(path.join(ws, 'real/file.txt'), 'utf8')).toBe('changed');
  });
});

describe('workspace: confinement', () => {
  test.each(['/etc/passwd', path.join(os.tmpdir(), 'x'), '~/x', 'C:\\Windows\\x'])('refuses absolute path %s', async (p) => {
    for (const action of ['read', 'write', 'list'] as const) {
      const r = await run(action, p, 'x');
      expect(r.ok).toBe(false);
      expect(r.error).toMatch(/absolute paths are not allowed/);
    }
  });

  test.each(['..', '../outside/secret.txt', 'a/../../outside/secret.txt', '../ws2/x', 'a/b/../../../x'])('refuses escape %s', async (p) => {
    for (const action of ['read', 'write', 'list'] as const) {
      const r = await run(action, p, 'x');
      expect(r.ok).toBe(false);
      expect(r.error).toMatch(/outside the workspace/);
    }
    expect(fs.readdirSync(outside)).toEqual(['secret.txt']);
    expect(fs.existsSync(path.join(base, 'x'))).toBe(false);
  });

  test('refuses a NUL byte', async () => {
    expect((await run('read', 'a\0b')).error).toMatch(/NUL/);
  });

  test('refuses symlinks pointing out (file, folder, parent, dangling)', async () => {
    fs.symlinkSync(path.join(outside, 'secret.txt'), path.join(ws, 'leak.txt'));
    fs.symlinkSync(outside, path.join(ws, 'out'));
    fs.symlinkSync(path.join(outside, 'not-yet.txt'), path.join(ws, 'dangling.txt'));
    fs.mkdirSync(path.join(ws, 'sub'));
    fs.symlinkSync('../../outside', path.join(ws, 'sub', 'up'));

    const read = await run('read', 'leak.txt');
    expect(read.ok).toBe(false);
    expect(read.error).toMatch(/outside the workspace/);
    expect(read.output).not.toMatch(/top secret/);
    expect((await run('read', 'out/secret.txt')).error).toMatch(/outside the workspace/);
    expect((await run('list', 'out')).error).toMatch(/outside the workspace/);
    expect((await run('write', 'leak.txt', 'pwned')).error).toMatch(/outside the workspace/);
    expect((await run('write', 'out/new.txt', 'pwned')).error).toMatch(/outside the workspace/);
    expect((await run('write', 'out/deeper/new.txt', 'pwned')).error).toMatch(/outside the workspace/);
    expect((await run('write', 'sub/up/new.txt', 'pwned')).error).toMatch(/outside the workspace/);
    expect((await run('write', 'dangling.txt', 'pwned')).error).toMatch(/dangling/);

    expect(fs.readFileSync(path.join(outside, 'secret.txt'), 'utf8')).toBe('top secret');
    expect(fs.readdirSync(outside)).toEqual(['secret.txt']);
  });

  test('a workspace that is itself reached through a symlink still works', async () => {
    const alias = path.join(base, 'alias-ws');
    fs.symlinkSync(ws, alias);
    const r = await workspaceTool.execute({ action: 'write', path: 'f.txt', content: 'x' }, { workspaceDir: alias });
    expect(r.ok).toBe(true);
    expect(fs.readFileSync(path.join(ws, 'f.txt'), 'utf8')).toBe('x');
  });

  test('through executeTool', async () => {
    const r = await executeTool('workspace', JSON.stringify({ action: 'read', path: '../outside/secret.txt' }), { workspaceDir: ws });
    expect(r.ok).toBe(false);
    expect(r.output).toMatch(/^Refused: /);
  });
});
