/**
 * Start-to-result time of the python tool for `print(1)`: `node dist/bench/sandbox-timing.js [runs]`.
 * Prints the median, min and max over the runs (default 25) after one warm-up run (which also
 * pays for the one-time sandbox detection).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pythonTool } from '../activities/tools/python';

async function main(): Promise<void> {
  const runs = Math.max(1, Number(process.argv[2] ?? 25) || 25);
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'mas2-timing-'));
  try {
    const warm = await pythonTool.execute({ code: 'print(1)' }, { workspaceDir: ws });
    if (!warm.ok || warm.output !== '1\n') throw new Error(`warm-up run failed: ${JSON.stringify(warm)}`);
    const ms: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t0 = process.hrtime.bigint();
      const r = await pythonTool.execute({ code: 'print(1)' }, { workspaceDir: ws });
      ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
      if (!r.ok || r.output !== '1\n') throw new Error(`run ${i} failed: ${JSON.stringify(r)}`);
    }
    ms.sort((a, b) => a - b);
    const median = runs % 2 ? ms[(runs - 1) / 2] : (ms[runs / 2 - 1] + ms[runs / 2]) / 2;
    console.log(`python print(1): median ${median.toFixed(1)} ms, min ${ms[0].toFixed(1)} ms, max ${ms[runs - 1].toFixed(1)} ms over ${runs} runs (load ${os.loadavg()[0].toFixed(2)})`);
  } finally {
    fs.rmSync(ws, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(`sandbox-timing: ${(e as Error).message}`);
  process.exit(1);
});
