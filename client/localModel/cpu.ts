/**
 * The key of a llama-server built for this CPU (`-DGGML_NATIVE=ON`, i.e.
 * `-march=native`): a hash of the CPU's instruction-set flags. A cache folder
 * shared by machines (a network home, a CI cache) then holds one native build
 * per kind of CPU, and a binary is never run on a CPU that lacks the
 * instructions it was compiled for (it would die of SIGILL mid-run).
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';

/**
 * `<arch>-<12 hex>` from the `flags` (x86) or `Features` (ARM) line of
 * /proc/cpuinfo, sorted, so the order the kernel prints them in does not
 * matter. Without such a line (not Linux) the CPU model name stands in.
 */
export function cpuKeyOf(cpuinfo: string, arch: string, model = ''): string {
  const line = /^(?:flags|Features)\s*:\s*(.*)$/m.exec(cpuinfo)?.[1];
  const features = line ? [...new Set(line.trim().split(/\s+/))].sort().join(' ') : `model:${model}`;
  return `${arch}-${createHash('sha256').update(features).digest('hex').slice(0, 12)}`;
}

let cached: string | undefined;

/** The key of the CPU this process runs on (read once). */
export function cpuKey(): string {
  if (cached) return cached;
  let info = '';
  try {
    info = fs.readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    /* not Linux: the model name stands in */
  }
  cached = cpuKeyOf(info, os.arch(), os.cpus()[0]?.model ?? 'unknown');
  return cached;
}
