/**
 * `mas2 cto TASKS.jsonl --out PREFS.jsonl`: collect CTO trees (one durable
 * ctoCollect workflow per query) and export value-weighted preference data.
 * Re-running the same command re-attaches to the same workflows.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import { CtoParamsSchema } from '../../mas/ctoSchemas';
import { mas2Home } from '../../activities/home';
import { openBlobStore } from '../../activities/blobStore';
import { createWorker } from '../../workers/worker';
import { connectClient, resolveTarget } from '../connect';
import { UserError } from '../errors';
import { RULES, parseBudget, parseFaults, parseNumber, type NumberRule } from '../inputs';
import { choosePool, preparePool } from '../pools';
import { collectTrees, exportPreferences, parseTasksFile, sha256, type CollectSettings, type QueryRun } from '../cto';
import { say } from '../terminal';
import { DEFAULT_DPO_BASE, trainPolicy, type TrainOptions } from '../ctoTrain';


/** Decimal numbers only (Number() would take "", "0x10" and "1e400"); a bad value is one line naming the option. */
const numberArg = (rule: NumberRule) => (value: string): number => {
  try {
    return parseNumber(value, rule);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
};
const positiveInt = numberArg({ integer: true, min: 1 });
const nonNegativeInt = numberArg({ integer: true, min: 0 });

function collect(value: string, prev: string[]): string[] {
  return [...prev, value];
}

interface CtoOptions {
  out: string;
  k: number;
  n: number;
  m: number;
  concurrency: number;
  maxDepth: number;
  parallel: number;
  pool?: string;
  budget: string;
  seed?: number;
  fault: string[];
  localWorker?: boolean;
  progress: boolean;
}

async function ctoCommand(tasksFile: string, o: CtoOptions): Promise<number> {
  if (!o.out) throw new UserError("required option '--out <file>' not specified: where the preference pairs go");
  let text: string;
  try {
    text = fs.readFileSync(tasksFile, 'utf8');
  } catch (e) {
    throw new UserError(`cannot read tasks file ${tasksFile}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const tasks = parseTasksFile(text, path.basename(tasksFile));
  const paramsCheck = CtoParamsSchema.safeParse({ k: o.k, n: o.n, m: o.m, concurrency: o.concurrency, maxDepth: o.maxDepth });
  if (!paramsCheck.success) throw new UserError(`invalid CTO settings: ${paramsCheck.error.issues.map((i) => `--${String(i.path[0]).replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} ${i.message}`).join('; ')}`);
  const choice = choosePool(o.pool, process.env);
  say(choice.note);
  const settings: CollectSettings = {
    pool: choice.pool,
    budgetUsd: parseBudget(o.budget),
    params: paramsCheck.data,
    options: o.seed !== undefined ? { seed: o.seed } : {},
    faults: parseFaults(o.fault ?? []),
  };
  const home = mas2Home();
  const target = await resolveTarget({ log: say });
  // As in `mas2 eval`: the run inputs carry the preset; this process provisions and starts local servers when it hosts the worker.
  await preparePool(choice, { home, log: say, hostsWorker: target.embedded || Boolean(o.localWorker) });
  const client = await connectClient(target);
  const { k, n, m, concurrency, maxDepth } = settings.params;
  say(`collecting CTO trees for ${tasks.length} ${tasks.length === 1 ? 'query' : 'queries'} (K=${k}, N=${n}, M=${m}, depth ${maxDepth}, ${concurrency} runs in flight per query)`);

  const bar = new SingleBar(
    {
      stream: process.stderr,
      format: 'cto [{bar}] {value}/{total} queries | runs {runsDone}/{runsStarted} ({running} in flight) | leaves {leaves}, {passed} pass',
      hideCursor: true,
      noTTYOutput: false,
      clearOnComplete: false,
    },
    Presets.shades_classic,
  );
  const showBar = o.progress && process.stderr.isTTY;
  if (showBar) bar.start(tasks.length, 0, { runsDone: 0, runsStarted: 0, running: 0, leaves: 0, passed: 0 });
  const attachedLines: string[] = [];
  const collecting = collectTrees({
    client,
    tasks,
    fileHash: sha256(text),
    settings,
    parallel: o.parallel,
    onStart: (q: QueryRun) => {
      const line = `${q.attached ? 're-attached to' : 'started'} ${q.workflowId}`;
      if (showBar) attachedLines.push(line);
      else say(line);
    },
    onProgress: ({ done, queries }) => {
      if (!showBar) return;
      const sum = (f: (p: (typeof queries)[number]) => number) => queries.reduce((s, p) => s + f(p), 0);
      bar.update(done, { runsDone: sum((p) => p.runsDone), runsStarted: sum((p) => p.runsStarted), running: sum((p) => p.running), leaves: sum((p) => p.leaves), passed: sum((p) => p.passed) });
    },
  });
  let runs: QueryRun[];
  try {
    if (target.embedded || o.localWorker) {
      const { worker, connection } = await createWorker({ address: target.address, namespace: target.namespace, connection: target.connection, home });
      try {
        runs = await worker.runUntil(collecting);
      } finally {
        await connection.close();
      }
    } else {
      runs = await collecting;
    }
  } finally {
    if (showBar) bar.stop();
    await client.connection.close();
  }
  for (const line of attachedLines) say(line);
  const failed = runs.filter((r) => r.error);
  for (const f of failed) say(`query ${f.queryId} (${f.workflowId}) failed: ${f.error}`);
  const trees = runs.flatMap((r) => (r.tree ? [r.tree] : []));
  // The prompts are read from the store the workers wrote them to (MAS2_BLOB_STORE), not necessarily this machine.
  const blobs = openBlobStore(home);
  const summary = await exportPreferences(trees, blobs, o.out, {
    tasksFile: path.resolve(tasksFile),
    tasksSha256: sha256(text),
    settings: { params: settings.params, budgetUsd: settings.budgetUsd, options: settings.options, faults: settings.faults, pool: settings.pool.backbones.map((b) => b.id) },
  });
  await blobs.close();
  const leaves = trees.reduce((s, t) => s + t.leaves, 0);
  const passed = trees.reduce((s, t) => s + t.passed, 0);
  const roles = Object.entries(summary.perRole)
    .map(([r, c]) => `${r} ${c}`)
    .join(', ');
  say(`${trees.length}/${tasks.length} trees, ${leaves} trajectories (${passed} passed); ${summary.lines} preference pairs${roles ? ` (${roles})` : ''}`);
  say(`wrote ${summary.jsonl} and ${summary.tree}`);
  return failed.length ? 1 : 0;
}

async function trainCommand(trees: string, o: TrainOptions): Promise<number> {
  const m = await trainPolicy(trees, o, say);
  const what = m.trainer === 'dpo' ? `LoRA adapters for ${Object.keys(m.dpo!.adapters).join(', ')} over ${m.dpo!.baseModel}` : 'a value-guided prior';
  say(`wrote meta policy ${m.name} v${m.version} (${what}) to ${path.resolve(o.out)}; use it with --meta-policy ${o.out} on problems other than its ${m.training.problems.length} training problems`);
  return 0;
}

export function registerCto(program: Command): void {
  const cto = program
    .command('cto')
    // `mas2 cto train ... --out DIR`: options after the subcommand belong to it, not to `cto`.
    .enablePositionalOptions()
    .description('collect CTO trees (K templates × N assignments × M rectifier branches per query) and export preference data for DPO (docs/cto.md)')
    .argument('<tasks>', 'TASKS.jsonl: one {"id", "task", "expected"?, "tests"?, "evaluator": "exact"|"numeric"|"python-tests"} per line')
    // Not a commander requiredOption: commander checks those of every ancestor, so `cto train` would need it too.
    .option('--out <file>', 'preference pairs (JSONL), required; the trees go to <file without .jsonl>.tree.json')
    .option('--k <k>', 'Generator samples per query', positiveInt, 3)
    .option('--n <n>', 'Implementer samples per template', positiveInt, 3)
    .option('--m <m>', 'Rectifier samples per trigger', positiveInt, 2)
    .option('--concurrency <c>', 'child runs in flight per query', positiveInt, 8)
    .option('--max-depth <d>', 'Rectifier levels that branch (deeper triggers are rectified inside the run)', nonNegativeInt, 2)
    .option('--parallel <p>', 'queries collected at the same time', positiveInt, 2)
    .option('--pool <file|local|sim>', 'backbone pool: a JSON or YAML file, "local" or "sim"; default as for `mas2 run` ($MAS2_POOL, else OpenAI with OPENAI_API_KEY, else local)')
    .option('--budget <usd>', 'hard budget of each trajectory in USD', '1')
    .addOption(new Option('--seed <n>', 'simulator seed (a whole number)').argParser(numberArg(RULES.seed)))
    .option('--fault <spec>', 'chaos injection for every run (repeatable), e.g. tool:python:crash@1 to exercise the Rectifier', collect, [])
    .option('--local-worker', 'with TEMPORAL_ADDRESS: also run a worker in this process')
    .option('--no-progress', 'no progress bar')
    .action(async (tasks: string, o: CtoOptions) => {
      process.exitCode = await ctoCommand(tasks, o);
    });

  cto
    .command('train')
    .description('train a named, versioned meta policy from collected trees: a value-guided prior (seconds) or LoRA adapters by value-weighted DPO (docs/cto.md)')
    .argument('<trees>', 'TREES.tree.json written by `mas2 cto` (from dev problems only: evaluations must use others)')
    .requiredOption('--out <dir>', 'the policy folder (policy.json and the artefacts); training into it again makes the next version')
    .addOption(new Option('--trainer <name>', 'prior: best-valued decisions per task kind; dpo: LoRA on the meta-agent model (opt-in, installs torch)').choices(['prior', 'dpo']).default('prior'))
    .option('--name <name>', 'the policy name (default: the folder name)')
    .option('--install', 'dpo: install the trainer environment (≈2 GB: CPU-only torch, transformers, PEFT, TRL) when it is missing')
    .option('--base-model <id>', 'dpo: the local model the adapters train (qwen-0.5b or qwen-1.5b)', DEFAULT_DPO_BASE)
    .option('--max-pairs <n>', 'dpo: train on at most this many pairs (largest ΔV first, roles in turn)', positiveInt)
    .option('--max-length <tokens>', 'dpo: tokens per pair (prompt + decision); longer ones keep their end', positiveInt, 768)
    .option('--epochs <n>', 'dpo: passes over the pairs', positiveInt, 2)
    .action(async (trees: string, o: TrainOptions) => {
      process.exitCode = await trainCommand(trees, o);
    });
}
