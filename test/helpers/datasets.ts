/**
 * Where the benchmark dev splits are: $MAS2_DATASETS, else `shared/datasets`
 * in the repo root's parent or any folder above it (CI checks the repo out with
 * shared/ beside it). Null when absent: tests that need real problems skip.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export function datasetsDir(): string | null {
  const fromEnv = process.env.MAS2_DATASETS;
  if (fromEnv) return fs.existsSync(fromEnv) ? path.resolve(fromEnv) : null;
  let dir = path.resolve(__dirname, '..', '..');
  for (;;) {
    const candidate = path.join(path.dirname(dir), 'shared', 'datasets');
    if (fs.existsSync(candidate)) return candidate;
    const up = path.dirname(dir);
    if (up === dir) return null;
    dir = up;
  }
}

export function datasetFile(suite: 'gsm8k' | 'humaneval' | 'mbpp' | 'math500'): string | null {
  const dir = datasetsDir();
  const file = dir ? path.join(dir, suite, 'dev.jsonl') : null;
  return file && fs.existsSync(file) ? file : null;
}
