import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
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
    expect((await run('write', 'dangling.txt', 'pwned')).error).toBe('"dangling.txt" resolves (through a symbolic link) to a location outside the workspace');

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

describe('workspace: only regular files and folders, one link, race-free, workspace-relative messages', () => {
  const noHostPath = (r: { output: string; error?: string }) => {
    expect(r.output).not.toContain(base);
    expect(r.error ?? '').not.toContain(base);
  };

  test('a FIFO is refused at once for read and write (the tool never blocks on it)', async () => {
    execFileSync('mkfifo', [path.join(ws, 'pipe')]);
    const started = Date.now();
    const read = await run('read', 'pipe');
    const write = await run('write', 'pipe', 'x');
    expect(Date.now() - started).toBeLessThan(2000);
    for (const r of [read, write]) {
      expect(r).toMatchObject({ ok: false, error: '"pipe" is a FIFO; only regular files and folders can be used' });
      noHostPath(r);
    }
    expect(fs.lstatSync(path.join(ws, 'pipe')).isFIFO()).toBe(true);
  });

  test('a character device is neither read nor written', async () => {
    if (process.getuid?.() !== 0) return; // mknod needs root
    execFileSync('mknod', [path.join(ws, 'zero'), 'c', '1', '5']); // /dev/zero: a read would never end
    for (const r of [await run('read', 'zero'), await run('write', 'zero', 'x')]) {
      expect(r).toMatchObject({ ok: false, error: '"zero" is a character device; only regular files and folders can be used' });
      noHostPath(r);
    }
    expect(fs.lstatSync(path.join(ws, 'zero')).isCharacterDevice()).toBe(true);
  });

  test('a unix socket is refused with a message, not a crash showing the host path', async () => {
    const server = net.createServer().listen(path.join(ws, 'sock'));
    await new Promise((res) => server.once('listening', res));
    try {
      for (const r of [await run('read', 'sock'), await run('write', 'sock', 'x'), await run('read', './sock')]) {
        expect(r).toMatchObject({ ok: false, error: '"sock" is a socket; only regular files and folders can be used' });
        noHostPath(r);
      }
    } finally {
      server.close();
    }
  });

  test('a file with a second hard link (here: outside the workspace) is neither read nor overwritten', async () => {
    fs.linkSync(path.join(outside, 'secret.txt'), path.join(ws, 'linked.txt'));
    const read = await run('read', 'linked.txt');
    expect(read).toMatchObject({ ok: false, error: expect.stringMatching(/^"linked.txt" has 2 hard links/) });
    expect(read.output).not.toContain('top secret');
    expect((await run('write', 'linked.txt', 'pwned')).error).toMatch(/has 2 hard links/);
    expect(fs.readFileSync(path.join(outside, 'secret.txt'), 'utf8')).toBe('top secret');
  });

  test('four agents writing 30 files each into the same new folders at once: every write succeeds', async () => {
    const writes = Array.from({ length: 4 }, (_, agent) =>
      Promise.all(Array.from({ length: 30 }, (_, i) => run('write', `new/deep/er/${i % 3}/agent${agent}-${i}.txt`, `agent ${agent} file ${i}`))),
    );
    const results = (await Promise.all(writes)).flat();
    expect(results.filter((r) => !r.ok)).toEqual([]);
    expect(results).toHaveLength(120);
    const listed = await run('list', 'new/deep/er/0');
    expect(listed.output.split('\n')).toHaveLength(40);
  });

  test('concurrent writes of one file leave one whole content, never a mix', async () => {
    const contents = Array.from({ length: 8 }, (_, i) => String(i).repeat(100_000));
    await Promise.all(contents.map((c) => run('write', 'same.txt', c)));
    expect(contents).toContain(fs.readFileSync(path.join(ws, 'same.txt'), 'utf8'));
    expect((await run('list', '.')).output).toBe('same.txt');
  });

  test('refusals and failures speak in workspace terms, never the host path', async () => {
    fs.mkdirSync(path.join(ws, 'd'));
    fs.writeFileSync(path.join(ws, 'f.txt'), 'x');
    fs.symlinkSync(outside, path.join(ws, 'out'));
    fs.symlinkSync('loop2', path.join(ws, 'loop1'));
    fs.symlinkSync('loop1', path.join(ws, 'loop2'));
    const cases: [Parameters<typeof run>[0], string, RegExp][] = [
      ['read', 'missing/x.txt', /^"missing" does not exist$/],
      ['write', 'f.txt/x', /^"f.txt" is a file, not a folder$/],
      ['list', 'out', /^"out" resolves \(through a symbolic link\) to a location outside the workspace$/],
      ['read', 'loop1', /more than 40 symbolic links/],
      ['read', 'd', /is a folder/],
      ['write', '.', /workspace root itself/],
    ];
    for (const [action, p, want] of cases) {
      const r = await run(action, p, 'x');
      expect(r.ok).toBe(false);
      expect(r.error).toMatch(want);
      noHostPath(r);
    }
  });

  test('a concurrent writer swapping a folder for a link to outside never gets a write or a read outside', async () => {
    fs.mkdirSync(path.join(ws, 'box'));
    fs.writeFileSync(path.join(outside, 'victim.txt'), 'untouched');
    let stop = false;
    const swapper = (async () => {
      // Another process sharing the workspace flips box/ between a real folder and a link to outside.
      for (let i = 0; !stop; i++) {
        try {
          fs.renameSync(path.join(ws, 'box'), path.join(ws, 'box-real'));
          fs.symlinkSync(outside, path.join(ws, 'box'));
          await new Promise((r) => setImmediate(r));
          fs.unlinkSync(path.join(ws, 'box'));
          fs.renameSync(path.join(ws, 'box-real'), path.join(ws, 'box'));
        } catch {
          /* raced with itself: try again */
        }
        await new Promise((r) => setImmediate(r));
      }
    })();
    const results = [];
    try {
      for (let i = 0; i < 150; i++) {
        results.push(await run('write', `box/victim.txt`, `pwned ${i}`));
        results.push(await run('read', 'box/victim.txt'));
      }
    } finally {
      stop = true;
      await swapper;
    }
    expect(fs.readFileSync(path.join(outside, 'victim.txt'), 'utf8')).toBe('untouched');
    expect(fs.readdirSync(outside).sort()).toEqual(['secret.txt', 'victim.txt']);
    for (const r of results) {
      expect(r.output).not.toContain('untouched');
      noHostPath(r);
    }
    expect(results.some((r) => r.ok)).toBe(true);
  });
});
