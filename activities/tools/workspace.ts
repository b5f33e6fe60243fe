/**
 * `workspace`: read, write and list files inside the run's own folder
 * (ctx.workspaceDir) and nowhere else.
 *
 * Refused: absolute paths, `..` escapes, NUL bytes, and any path whose
 * resolved location (following symlinks: realpath of the target, or of its
 * nearest existing ancestor) is not inside realpath(workspaceDir).
 * Limit: this is a check-then-act on the host file system; it assumes nothing
 * else swaps folders for symlinks inside the workspace between the check and
 * the open (sandboxed code never sees the workspace). Final-component
 * symlinks are re-checked with O_NOFOLLOW on writes.
 */
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { z } from 'zod';
import type { ToolResult } from '../../mas/messages';
import type { Tool, ToolContext } from './types';
import { defineTool, toolResult } from './own';
import { BUILTIN_TOOLS } from '../../mas/prompts';

export const MAX_WRITE_BYTES = 1024 * 1024;
export const MAX_READ_BYTES = 1024 * 1024;
const MAX_LIST_ENTRIES = 1000;

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

function inside(root: string, p: string): boolean {
  const rel = path.relative(root, p);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** realpath of `p`, or of its nearest existing ancestor joined with the missing tail. */
async function resolveReal(p: string): Promise<string> {
  const missing: string[] = [];
  let cur = p;
  for (;;) {
    try {
      const real = await fsp.realpath(cur);
      return missing.length ? path.join(real, ...missing.reverse()) : real;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') {
        // ENOTDIR, ELOOP, EACCES...: is `cur` a symlink (maybe dangling or looping)? Then we cannot vouch for it.
        throw new Refusal(`cannot resolve ${cur}: ${code}`);
      }
      // A dangling symlink: lstat succeeds but realpath fails. Refuse: it could point anywhere.
      const st = await fsp.lstat(cur).catch(() => undefined);
      if (st?.isSymbolicLink()) throw new Refusal('the path goes through a symbolic link that points nowhere (dangling)');
      const parent = path.dirname(cur);
      if (parent === cur) throw new Refusal('no existing ancestor');
      missing.push(path.basename(cur));
      cur = parent;
    }
  }
}

/** Validates `rel` and returns the absolute target (lexically inside the root) and the real root. */
async function locate(ctx: ToolContext, rel: string): Promise<{ target: string; realRoot: string; real: string }> {
  if (rel.includes('\0')) throw new Refusal('the path contains a NUL byte');
  if (path.isAbsolute(rel) || /^[a-zA-Z]:[\\/]/.test(rel) || rel.startsWith('~')) {
    throw new Refusal(`absolute paths are not allowed ("${rel}"); use a path relative to the workspace root`);
  }
  const root = path.resolve(ctx.workspaceDir);
  await fsp.mkdir(root, { recursive: true });
  const realRoot = await fsp.realpath(root);
  const target = path.resolve(root, rel === '' ? '.' : rel);
  if (!inside(root, target)) throw new Refusal(`"${rel}" points outside the workspace`);
  const real = await resolveReal(target);
  if (!inside(realRoot, real)) throw new Refusal(`"${rel}" resolves (through a symbolic link) to a location outside the workspace`);
  return { target, realRoot, real };
}

function looksBinary(buf: Buffer): boolean {
  return buf.subarray(0, 8192).includes(0);
}

async function doRead(ctx: ToolContext, rel: string): Promise<ToolResult> {
  const { real } = await locate(ctx, rel);
  const st = await fsp.stat(real).catch(() => undefined);
  if (!st) return refuse(`"${rel}" does not exist`);
  if (st.isDirectory()) return refuse(`"${rel}" is a folder; use action "list"`);
  if (!st.isFile()) return refuse(`"${rel}" is not a regular file`);
  const fh = await fsp.open(real, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  try {
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

async function doWrite(ctx: ToolContext, rel: string, content: string | undefined): Promise<ToolResult> {
  if (content === undefined) return refuse('action "write" needs "content"');
  const bytes = Buffer.byteLength(content, 'utf8');
  if (bytes > MAX_WRITE_BYTES) return refuse(`content is ${bytes} bytes; at most ${MAX_WRITE_BYTES} bytes (1 MiB) per write`);
  const { real, realRoot } = await locate(ctx, rel);
  if (real === realRoot) return refuse('cannot write to the workspace root itself; give a file name');
  const existing = await fsp.stat(real).catch(() => undefined);
  if (existing?.isDirectory()) return refuse(`"${rel}" is a folder`);
  // Create the missing parents one by one, re-checking each (a parent may be a symlink created meanwhile).
  const parentReal = path.dirname(real);
  const parts = path.relative(realRoot, parentReal).split(path.sep).filter(Boolean);
  let cur = realRoot;
  for (const part of parts) {
    cur = path.join(cur, part);
    const st = await fsp.lstat(cur).catch(() => undefined);
    if (!st) await fsp.mkdir(cur);
    else if (st.isSymbolicLink()) {
      const r = await fsp.realpath(cur);
      if (!inside(realRoot, r)) throw new Refusal('a parent folder is a symbolic link pointing outside the workspace');
    } else if (!st.isDirectory()) return refuse(`"${path.relative(realRoot, cur)}" is a file, not a folder`);
  }
  const fh = await fsp.open(real, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_TRUNC | fs.constants.O_NOFOLLOW, 0o644);
  try {
    await fh.writeFile(content, 'utf8');
  } finally {
    await fh.close();
  }
  return { ok: true, output: `wrote ${bytes} bytes to ${path.relative(realRoot, real).split(path.sep).join('/')}` };
}

async function doList(ctx: ToolContext, rel: string): Promise<ToolResult> {
  const { real } = await locate(ctx, rel || '.');
  const st = await fsp.stat(real).catch(() => undefined);
  if (!st) return refuse(`"${rel}" does not exist`);
  if (!st.isDirectory()) return refuse(`"${rel}" is a file; use action "read"`);
  const entries = await fsp.readdir(real, { withFileTypes: true });
  const names = entries.map((e) => (e.isDirectory() ? `${e.name}/` : e.name)).sort();
  const shown = names.slice(0, MAX_LIST_ENTRIES);
  let out = shown.join('\n');
  if (!names.length) out = '(empty)';
  if (names.length > shown.length) out += `\n[... ${names.length - shown.length} more entries ...]`;
  return { ok: true, output: out };
}

async function act(input: WorkspaceInput, ctx: ToolContext): Promise<ToolResult> {
  try {
    switch (input.action) {
      case 'read':
        return await doRead(ctx, input.path);
      case 'write':
        return await doWrite(ctx, input.path, input.content);
      case 'list':
        return await doList(ctx, input.path);
    }
  } catch (e) {
    if (e instanceof Refusal) return refuse(e.message);
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') return refuse(`"${input.path}" is a symbolic link`);
    if (code === 'ENOENT' || code === 'EACCES' || code === 'ENOTDIR' || code === 'EISDIR' || code === 'ENAMETOOLONG') {
      return refuse(`${input.action} "${input.path}" failed: ${(e as Error).message.replace(path.resolve(ctx.workspaceDir), '<workspace>')}`);
    }
    throw e;
  }
}

export const workspaceTool: Tool<WorkspaceInput> = defineTool({
  name: 'workspace',
  description: BUILTIN_TOOLS.workspace.description(''),
  parameters: WorkspaceInput,
  execute: async (input, ctx: ToolContext) => toolResult(await act(input, ctx)),
});
