/**
 * `workspace`: read, write and list files inside the run's own folder
 * (ctx.workspaceDir) and nowhere else.
 *
 * Refused (an `ok:false` result the agent can act on, in workspace-relative
 * terms, never a host path): absolute paths, `..` escapes, NUL bytes,
 * symbolic links that lead outside, anything that is not a regular file or a
 * folder (FIFOs, sockets, devices), and files with more than one hard link
 * (the other link may be anywhere on the host).
 *
 * How confinement holds against a concurrent writer (an own tool or an MCP
 * server sharing the folder): the path is walked one component at a time
 * from a descriptor of the workspace root, each folder opened with
 * O_DIRECTORY | O_NOFOLLOW relative to its parent's descriptor (through
 * /proc/self/fd/<parent>/<name>: Node has no openat/openat2 binding, so this
 * is RESOLVE_BENEATH done in user space). The kernel never follows a link:
 * the tool reads it and continues lexically, refusing a target outside the
 * root, and `..` only pops a folder the walk holds. A folder swapped for a
 * link between two steps is therefore seen as a link. Reads open the file
 * with O_NOFOLLOW | O_NONBLOCK (a FIFO cannot block the tool) and re-check
 * type and link count on the open descriptor. Writes go to a new file
 * (O_CREAT | O_EXCL) renamed over the target, so they never write into an
 * existing inode and a reader never sees half a file. Missing folders are
 * created with mkdir relative to the parent descriptor; one that another
 * writer created first (EEXIST) is simply used. The remaining limit is in
 * docs/tools.md.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { z } from 'zod';
import type { ToolResult } from '../../mas/messages';
import { ToolCrashError } from './errors';
import type { Tool, ToolContext } from './types';
import { defineTool, toolResult } from './own';
import { BUILTIN_TOOLS } from '../../mas/prompts';

export const MAX_WRITE_BYTES = 1024 * 1024;
export const MAX_READ_BYTES = 1024 * 1024;
const MAX_LIST_ENTRIES = 1000;
/** Symbolic links followed in one path before giving up (the kernel's own limit). */
const MAX_LINKS = 40;
/** Names of writes in progress (new file, then rename): never listed. */
const TEMP_NAME = /^\.mas2-write-[0-9a-f]{12}\.tmp$/;

export const WorkspaceInput = z
  .object({
    action: z.enum(['read', 'write', 'list']).describe('read a file, write (create/overwrite) a file, or list a folder'),
    path: z.string().max(4096).describe('Path relative to the workspace root, e.g. "notes/plan.md"; "." is the root.'),
    content: z.string().optional().describe('For write: the full new content of the file (UTF-8, at most 1 MiB).'),
  })
  .strict();
export type WorkspaceInput = z.infer<typeof WorkspaceInput>;

class Refusal extends Error {}

function refuse(reason: string): ToolResult {
  return { ok: false, output: `Refused: ${reason}`, error: reason };
}

function errno(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException)?.code;
}

/** The path of `name` relative to an open folder: the kernel resolves the descriptor, then only `name`. */
function at(dir: fsp.FileHandle, name?: string): string {
  return name === undefined ? `/proc/self/fd/${dir.fd}` : `/proc/self/fd/${dir.fd}/${name}`;
}

const DIR_FLAGS = fs.constants.O_RDONLY | fs.constants.O_DIRECTORY | fs.constants.O_NOFOLLOW;

function describeType(st: fs.Stats): string {
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSymbolicLink()) return 'a symbolic link';
  return 'not a regular file';
}

/** Regular file with one link, or a refusal naming what it is instead. */
function checkFile(st: fs.Stats, shown: string): void {
  if (st.isDirectory()) throw new Refusal(`"${shown}" is a folder`);
  if (!st.isFile()) throw new Refusal(`"${shown}" is ${describeType(st)}; only regular files and folders can be used`);
  if (st.nlink > 1) throw new Refusal(`"${shown}" has ${st.nlink} hard links; a file with more than one link is not read or written (another link may lie outside the workspace)`);
}

/** Where a path led: the folder holding the target (open), the target's name in it (none: that folder itself), its lstat. */
interface Located {
  parent: fsp.FileHandle;
  name: string | null;
  stat: fs.Stats | null;
  /** Workspace-relative path of the target after links, for messages. */
  shown: string;
}

/**
 * Walks `rel` from the workspace root without ever letting the kernel follow a link.
 * The caller must call `close()`; `createFolders` makes missing folders on the way.
 */
class Walk {
  private readonly stack: { fh: fsp.FileHandle; name: string }[] = [];

  private constructor(
    private readonly realRoot: string,
    root: fsp.FileHandle,
  ) {
    this.stack.push({ fh: root, name: '' });
  }

  static async open(workspaceDir: string): Promise<Walk> {
    if (!fs.existsSync('/proc/self/fd')) throw new ToolCrashError('workspace', 'needs /proc/self/fd (Linux) to open paths relative to the workspace folder');
    const root = path.resolve(workspaceDir);
    await fsp.mkdir(root, { recursive: true });
    const realRoot = await fsp.realpath(root);
    return new Walk(realRoot, await fsp.open(realRoot, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY));
  }

  async close(): Promise<void> {
    await Promise.all(this.stack.map((d) => d.fh.close().catch(() => undefined)));
    this.stack.length = 0;
  }

  private top(): fsp.FileHandle {
    return this.stack[this.stack.length - 1].fh;
  }

  private shown(name?: string | null): string {
    const parts = [...this.stack.slice(1).map((d) => d.name), ...(name ? [name] : [])];
    return parts.length ? parts.join('/') : '.';
  }

  /** The components a link stands for, from where the walk is now (absolute targets must lie inside the root). */
  private async follow(name: string, rest: string[], given: string): Promise<string[]> {
    const target = await fsp.readlink(at(this.top(), name)).catch((e) => {
      // No longer a link (another writer replaced it since the lstat): take the step again.
      if (errno(e) === 'EINVAL') return null;
      throw e;
    });
    if (target === null) return [name, ...rest];
    if (!path.isAbsolute(target)) return [...target.split('/'), ...rest];
    const rel = path.relative(this.realRoot, path.resolve(target));
    if (rel === '..' || rel.startsWith('../') || path.isAbsolute(rel)) throw new Refusal(`"${given}" resolves (through a symbolic link) to a location outside the workspace`);
    while (this.stack.length > 1) await this.stack.pop()!.fh.close();
    return [...rel.split('/'), ...rest];
  }

  async locate(given: string, createFolders: boolean): Promise<Located> {
    let queue = given.split('/');
    let links = 0;
    const link = () => {
      if (++links > MAX_LINKS) throw new Refusal(`"${given}" goes through more than ${MAX_LINKS} symbolic links`);
    };
    for (;;) {
      const part = queue.shift();
      if (part === undefined) return { parent: this.top(), name: null, stat: null, shown: this.shown() };
      if (part === '' || part === '.') continue;
      if (part === '..') {
        if (this.stack.length === 1) throw new Refusal(`"${given}" points outside the workspace`);
        await this.stack.pop()!.fh.close();
        continue;
      }
      const last = queue.every((p) => p === '' || p === '.');
      if (last) {
        const st = await fsp.lstat(at(this.top(), part)).catch((e) => {
          if (errno(e) === 'ENOENT') return null;
          throw e;
        });
        if (st?.isSymbolicLink()) {
          link();
          queue = await this.follow(part, queue, given);
          continue;
        }
        if (st?.isDirectory() || queue.length) {
          // "a/b/" or a folder: the target is the folder itself.
          if (!st && !createFolders) throw new Refusal(`"${this.shown(part)}" does not exist`);
          if (st && !st.isDirectory()) throw new Refusal(`"${this.shown(part)}" is a file, not a folder`);
        } else {
          return { parent: this.top(), name: part, stat: st, shown: this.shown(part) };
        }
      }
      // A folder on the way: open it without following a link, creating it when asked.
      for (;;) {
        try {
          this.stack.push({ fh: await fsp.open(at(this.top(), part), DIR_FLAGS), name: part });
          break;
        } catch (e) {
          const code = errno(e);
          if (code === 'ENOENT' && createFolders) {
            await fsp.mkdir(at(this.top(), part), 0o755).catch((err) => {
              if (errno(err) !== 'EEXIST') throw err; // another writer made it first: use it
            });
            continue;
          }
          if (code === 'ENOENT') throw new Refusal(`"${this.shown(part)}" does not exist`);
          if (code !== 'ELOOP' && code !== 'ENOTDIR') throw e;
          const st = await fsp.lstat(at(this.top(), part));
          if (!st.isSymbolicLink()) throw new Refusal(`"${this.shown(part)}" is a file, not a folder`);
          link();
          queue = await this.follow(part, queue, given);
          break;
        }
      }
    }
  }

  /** Opens the folder a located target names (the walk owns the descriptor). */
  async openFolder(loc: Located): Promise<fsp.FileHandle> {
    if (loc.name === null) return loc.parent;
    const fh = await fsp.open(at(loc.parent, loc.name), DIR_FLAGS);
    this.stack.push({ fh, name: loc.name });
    return fh;
  }
}

/** Lexical checks before touching the disk. */
function checkGiven(rel: string): void {
  if (rel.includes('\0')) throw new Refusal('the path contains a NUL byte');
  if (path.isAbsolute(rel) || /^[a-zA-Z]:[\\/]/.test(rel) || rel.startsWith('~')) {
    throw new Refusal(`absolute paths are not allowed ("${rel}"); use a path relative to the workspace root`);
  }
  const normal = path.posix.normalize(rel === '' ? '.' : rel);
  if (normal === '..' || normal.startsWith('../')) throw new Refusal(`"${rel}" points outside the workspace`);
}

function looksBinary(buf: Buffer): boolean {
  return buf.subarray(0, 8192).includes(0);
}

async function doRead(walk: Walk, rel: string): Promise<ToolResult> {
  const loc = await walk.locate(rel, false);
  if (loc.name === null || loc.stat?.isDirectory()) return refuse(`"${rel}" is a folder; use action "list"`);
  if (!loc.stat) return refuse(`"${rel}" does not exist`);
  checkFile(loc.stat, loc.shown);
  const fh = await fsp.open(at(loc.parent, loc.name), fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
  try {
    const st = await fh.stat();
    // Checked again on what was opened: the name may have been swapped since the lstat.
    checkFile(st, loc.shown);
    const len = Math.min(st.size, MAX_READ_BYTES);
    const buf = Buffer.alloc(len);
    const { bytesRead } = await fh.read(buf, 0, len, 0);
    const data = buf.subarray(0, bytesRead);
    if (looksBinary(data)) return refuse(`"${rel}" is a binary file (${st.size} bytes); only text files can be read`);
    let text = data.toString('utf8');
    if (st.size > MAX_READ_BYTES) text += `\n[... truncated: the file has ${st.size} bytes, only the first ${MAX_READ_BYTES} are shown ...]`;
    return { ok: true, output: text };
  } finally {
    await fh.close();
  }
}

async function doWrite(walk: Walk, rel: string, content: string | undefined): Promise<ToolResult> {
  if (content === undefined) return refuse('action "write" needs "content"');
  const bytes = Buffer.byteLength(content, 'utf8');
  if (bytes > MAX_WRITE_BYTES) return refuse(`content is ${bytes} bytes; at most ${MAX_WRITE_BYTES} bytes (1 MiB) per write`);
  const loc = await walk.locate(rel, true);
  if (loc.name === null) return refuse(loc.shown === '.' ? 'cannot write to the workspace root itself; give a file name' : `"${rel}" is a folder`);
  if (loc.stat) checkFile(loc.stat, loc.shown);
  const temp = `.mas2-write-${randomBytes(6).toString('hex')}.tmp`;
  const fh = await fsp.open(at(loc.parent, temp), fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, 0o644);
  try {
    try {
      await fh.writeFile(content, 'utf8');
    } finally {
      await fh.close();
    }
    await fsp.rename(at(loc.parent, temp), at(loc.parent, loc.name));
  } catch (e) {
    await fsp.unlink(at(loc.parent, temp)).catch(() => undefined);
    if (errno(e) === 'EISDIR' || errno(e) === 'ENOTEMPTY' || errno(e) === 'EEXIST') return refuse(`"${rel}" is a folder`);
    throw e;
  }
  return { ok: true, output: `wrote ${bytes} bytes to ${loc.shown}` };
}

async function doList(walk: Walk, rel: string): Promise<ToolResult> {
  const loc = await walk.locate(rel || '.', false);
  if (loc.name !== null && !loc.stat) return refuse(`"${rel}" does not exist`);
  if (loc.stat && !loc.stat.isDirectory()) return refuse(`"${rel}" is a file; use action "read"`);
  const dir = await walk.openFolder(loc);
  const entries = await fsp.readdir(at(dir), { withFileTypes: true });
  const names = entries
    .filter((e) => !TEMP_NAME.test(e.name))
    .map((e) => (e.isDirectory() ? `${e.name}/` : e.name))
    .sort();
  const shown = names.slice(0, MAX_LIST_ENTRIES);
  let out = shown.join('\n');
  if (!names.length) out = '(empty)';
  if (names.length > shown.length) out += `\n[... ${names.length - shown.length} more entries ...]`;
  return { ok: true, output: out };
}

/** What an OS error means for the agent, in workspace terms; undefined for errors that are the tool's own fault. */
function explain(code: string | undefined, input: WorkspaceInput): string | undefined {
  const what = `${input.action} "${input.path}"`;
  switch (code) {
    case 'ELOOP':
      return `${what} failed: the path changed into a symbolic link while it was being used`;
    case 'ENXIO':
    case 'EISDIR':
    case 'ENOTDIR':
    case 'ENOENT':
      return `${what} failed: the path changed while it was being used (${code})`;
    case 'EACCES':
    case 'EPERM':
      return `${what} failed: permission denied`;
    case 'ENAMETOOLONG':
      return `${what} failed: a name in the path is too long`;
    case 'ENOSPC':
    case 'EDQUOT':
      return `${what} failed: no space left for the workspace`;
    default:
      return undefined;
  }
}

async function act(input: WorkspaceInput, ctx: ToolContext): Promise<ToolResult | undefined> {
  let walk: Walk | undefined;
  try {
    checkGiven(input.path);
    walk = await Walk.open(ctx.workspaceDir);
    switch (input.action) {
      case 'read':
        return await doRead(walk, input.path);
      case 'write':
        return await doWrite(walk, input.path, input.content);
      case 'list':
        return await doList(walk, input.path);
    }
  } catch (e) {
    if (e instanceof Refusal) return refuse(e.message);
    const code = errno(e);
    const why = explain(code, input);
    if (why) return refuse(why);
    if (code) throw new Error(`workspace ${input.action} "${input.path}" failed: ${code}`); // never the host path
    throw e;
  } finally {
    await walk?.close();
  }
}

export const workspaceTool: Tool<WorkspaceInput> = defineTool({
  name: 'workspace',
  description: BUILTIN_TOOLS.workspace.description(''),
  parameters: WorkspaceInput,
  execute: async (input, ctx: ToolContext) => toolResult((await act(input, ctx)) ?? refuse(`unknown action "${String(input.action)}"`)),
});
