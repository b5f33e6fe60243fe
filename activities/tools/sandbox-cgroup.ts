/**
 * One memory + pids cgroup per sandbox run: the memory limit covers everything
 * the run can pin (every process, memfd, SysV and POSIX shared memory, files in
 * its tmpfs, kernel memory charged to it), the pids limit every process and
 * thread of the run, whatever its uid.
 *
 * cgroup v1 (separate `memory` and `pids` hierarchies, as on this project's
 * machines) and v2 (one unified hierarchy with the memory and pids controllers
 * enabled for children of its root) are both supported. The worker creates
 * `<hierarchy>/mas2/run-<pid>-<n>`, the sandbox process joins it before it
 * starts nsjail (see sandbox-launch.ts), and after the run the worker reads the
 * OOM-kill count and removes the group.
 */
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';

export type CgroupVersion = 'v1' | 'v2';

export interface CgroupSupport {
  version: CgroupVersion;
  /** v1: the memory and pids hierarchies; v2: the unified mount (twice). */
  memoryRoot: string;
  pidsRoot: string;
  /** v1 with swap accounting: memory.memsw.limit_in_bytes exists. */
  swapLimit: boolean;
}

export interface RunCgroup {
  /** Files the sandbox process writes its pid into (one per hierarchy). */
  procsFiles: string[];
  /** Number of processes the kernel OOM-killed in this group so far. */
  oomKills(): number;
  /** Peak memory use in bytes (v1: max_usage_in_bytes; v2: memory.peak where the kernel has it). */
  peakBytes(): number | undefined;
  /** Removes the group (kills what is left in it first). */
  remove(): Promise<void>;
}

const PARENT = 'mas2';

function mounts(): { type: string; point: string; options: string }[] {
  try {
    return fs
      .readFileSync('/proc/self/mounts', 'utf8')
      .split('\n')
      .map((l) => l.split(' '))
      .filter((p) => p.length >= 4)
      .map((p) => ({ type: p[2], point: p[1].replace(/\\040/g, ' '), options: p[3] }));
  } catch {
    return [];
  }
}

function writable(dir: string): boolean {
  try {
    fs.accessSync(dir, fs.constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** Finds a usable cgroup setup, or returns a one-line reason why there is none. */
export function detectCgroups(): CgroupSupport | string {
  const all = mounts();
  const v1mem = all.find((m) => m.type === 'cgroup' && m.options.split(',').includes('memory'));
  const v1pids = all.find((m) => m.type === 'cgroup' && m.options.split(',').includes('pids'));
  if (v1mem && v1pids) {
    for (const root of [v1mem.point, v1pids.point]) {
      try {
        fs.mkdirSync(path.join(root, PARENT), { recursive: true });
      } catch (e) {
        return `cannot create a cgroup under ${root}: ${(e as Error).message}`;
      }
      if (!writable(path.join(root, PARENT))) return `${path.join(root, PARENT)} is not writable by this user (no cgroup delegation)`;
    }
    const support: CgroupSupport = { version: 'v1', memoryRoot: path.join(v1mem.point, PARENT), pidsRoot: path.join(v1pids.point, PARENT), swapLimit: fs.existsSync(path.join(v1mem.point, 'memory.memsw.limit_in_bytes')) };
    removeStale(support);
    return support;
  }
  if (v1mem || v1pids) return `cgroup v1 without both the memory and pids controllers (memory ${v1mem ? 'found' : 'missing'}, pids ${v1pids ? 'found' : 'missing'})`;
  const v2 = all.find((m) => m.type === 'cgroup2');
  if (!v2) return 'no cgroup file system mounted';
  const controllers = (f: string) => {
    try {
      return fs.readFileSync(f, 'utf8').trim().split(/\s+/);
    } catch {
      return [];
    }
  };
  const available = controllers(path.join(v2.point, 'cgroup.controllers'));
  if (!available.includes('memory') || !available.includes('pids')) return `cgroup v2 at ${v2.point} lacks the memory or pids controller (has: ${available.join(' ') || 'none'})`;
  if (!writable(v2.point)) return `cgroup v2 at ${v2.point} is not writable by this user (no delegation)`;
  try {
    const parent = path.join(v2.point, PARENT);
    for (const dir of [v2.point, parent]) {
      if (dir === parent) fs.mkdirSync(parent, { recursive: true });
      const enabled = controllers(path.join(dir, 'cgroup.subtree_control'));
      if (!enabled.includes('memory') || !enabled.includes('pids')) fs.writeFileSync(path.join(dir, 'cgroup.subtree_control'), '+memory +pids');
    }
    const support: CgroupSupport = { version: 'v2', memoryRoot: parent, pidsRoot: parent, swapLimit: false };
    removeStale(support);
    return support;
  } catch (e) {
    return `cannot enable the memory and pids controllers under ${v2.point}: ${(e as Error).message}`;
  }
}

/** Groups left by a worker that died mid-run (its pid is gone): empty by now, removed. */
function removeStale(cg: CgroupSupport): void {
  for (const root of new Set([cg.memoryRoot, cg.pidsRoot])) {
    let names: string[] = [];
    try {
      names = fs.readdirSync(root);
    } catch {
      continue;
    }
    for (const name of names) {
      const m = /^run-(\d+)-\d+$/.exec(name);
      if (!m || Number(m[1]) === process.pid) continue;
      try {
        process.kill(Number(m[1]), 0);
        continue; // that worker is alive
      } catch {
        /* dead: its group can go */
      }
      try {
        fs.rmdirSync(path.join(root, name));
      } catch {
        /* still busy: a later detection retries */
      }
    }
  }
}

let counter = 0;

function readNumber(file: string, key?: string): number | undefined {
  try {
    const text = fs.readFileSync(file, 'utf8');
    if (key === undefined) return Number(text.trim());
    const m = new RegExp(`^${key} (\\d+)$`, 'm').exec(text);
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Creates the cgroup of one run with its memory and process limits. */
export function createRunCgroup(cg: CgroupSupport, memoryBytes: number, maxPids: number): RunCgroup {
  const name = `run-${process.pid}-${++counter}`;
  const memDir = path.join(cg.memoryRoot, name);
  const pidsDir = path.join(cg.pidsRoot, name);
  const dirs = [...new Set([memDir, pidsDir])];
  for (const d of dirs) fs.mkdirSync(d);
  try {
    if (cg.version === 'v1') {
      fs.writeFileSync(path.join(memDir, 'memory.limit_in_bytes'), String(memoryBytes));
      // No swapping past the limit: memory + swap capped at the same number.
      if (cg.swapLimit) fs.writeFileSync(path.join(memDir, 'memory.memsw.limit_in_bytes'), String(memoryBytes));
      fs.writeFileSync(path.join(pidsDir, 'pids.max'), String(maxPids));
    } else {
      fs.writeFileSync(path.join(memDir, 'memory.max'), String(memoryBytes));
      if (fs.existsSync(path.join(memDir, 'memory.swap.max'))) fs.writeFileSync(path.join(memDir, 'memory.swap.max'), '0');
      fs.writeFileSync(path.join(memDir, 'pids.max'), String(maxPids));
    }
  } catch (e) {
    for (const d of dirs) fs.rmSync(d, { recursive: false, force: true });
    throw e;
  }
  const procsFiles = dirs.map((d) => path.join(d, 'cgroup.procs'));
  return {
    procsFiles,
    oomKills: () =>
      (cg.version === 'v1' ? readNumber(path.join(memDir, 'memory.oom_control'), 'oom_kill') : readNumber(path.join(memDir, 'memory.events'), 'oom_kill')) ?? 0,
    peakBytes: () => (cg.version === 'v1' ? readNumber(path.join(memDir, 'memory.max_usage_in_bytes')) : readNumber(path.join(memDir, 'memory.peak'))),
    remove: () => removeDirs(dirs, cg.version),
  };
}

/** Kills whatever is left in the groups and removes them; retries while the kernel is still tearing the run down. */
async function removeDirs(dirs: string[], version: CgroupVersion): Promise<void> {
  for (let attempt = 0; attempt < 50; attempt++) {
    let left = 0;
    for (const d of dirs) {
      if (!fs.existsSync(d)) continue;
      try {
        await fsp.rmdir(d);
      } catch {
        left++;
        if (version === 'v2' && fs.existsSync(path.join(d, 'cgroup.kill'))) {
          await fsp.writeFile(path.join(d, 'cgroup.kill'), '1').catch(() => undefined);
        } else {
          const pids = (await fsp.readFile(path.join(d, 'cgroup.procs'), 'utf8').catch(() => '')).split('\n').filter(Boolean);
          for (const p of pids) {
            try {
              process.kill(Number(p), 'SIGKILL');
            } catch {
              /* gone */
            }
          }
        }
      }
    }
    if (!left) return;
    await new Promise((r) => setTimeout(r, attempt < 10 ? 10 : 100));
  }
}
