/**
 * `mas2 eval`: a benchmark file (HumanEval, MBPP, GSM8K, MATH) × variants
 * (full MAS², the three ablations, a single agent) as durable runs, scored as
 * the benchmarks define it, reported in --out DIR (results.json, report.md,
 * pareto.svg). Re-running the same command re-attaches to the same runs.
 * `mas2 eval --compare A B` compares two results.json.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import { mas2Home } from '../../activities/home';
import { DatasetError, parseDataset, SUITES, type Suite } from '../../mas/eval/datasets';
import { DEFAULT_VARIANTS, isVariant, variantUnavailable, VARIANTS, type Variant } from '../../mas/eval/variants';
import { OPERATOR_BOUNDS } from '../../mas/operators';
import type { EvalRow } from '../../mas/eval/summary';
import { createWorker } from '../../workers/worker';
import { connectClient, hasSearchAttributes, resolveTarget } from '../connect';
import { UserError } from '../errors';
import { parseBudget } from '../inputs';
import { choosePool, preparePool } from '../pools';
import { localServingInfo } from '../localModel/start';
import { evalJobs, runJobs, sha256 } from '../eval/runner';
import { buildResults, writeReport } from '../eval/report';
import { compareResults, formatComparison, loadResults } from '../eval/compare';
import { formatUsdShort } from '../eval/pareto';
import { out, say } from '../terminal';
import { seenProblems } from '../../mas/ctoTraining';
import { describePolicy, loadMetaPolicy, metaExemplarsFor, poolUnderPolicy } from '../metaPolicy';


function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a whole number ≥ 1');
  return n;
}

function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('must be a whole number ≥ 0');
  return n;
}

function scK(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < OPERATOR_BOUNDS.k.min || n > OPERATOR_BOUNDS.k.max) throw new InvalidArgumentError(`must be a whole number from ${OPERATOR_BOUNDS.k.min} to ${OPERATOR_BOUNDS.k.max}`);
  return n;
}

function integer(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n)) throw new InvalidArgumentError('must be a whole number');
  return n;
}

interface EvalOptions {
  suite?: string;
  data?: string;
  limit?: number;
  offset: number;
  variants: string;
  pool?: string;
  budget: string;
  concurrency: number;
  out?: string;
  seed: number;
  compare?: string[];
  metaPolicy?: string;
  localWorker?: boolean;
  progress: boolean;
  scK?: number;
}

export function parseVariants(list: string): Variant[] {
  const names = list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (!names.length) throw new UserError(`--variants is empty; choose from ${VARIANTS.join(', ')}`);
  const bad = names.filter((n) => !isVariant(n));
  if (bad.length) throw new UserError(`unknown variant${bad.length > 1 ? 's' : ''} ${bad.map((b) => `"${b}"`).join(', ')} in --variants; choose from ${VARIANTS.join(', ')}`);
  const unavailable = (names as Variant[]).map(variantUnavailable).find((why) => why !== null);
  if (unavailable) throw new UserError(`${unavailable}; choose from ${DEFAULT_VARIANTS.join(', ')}`);
  return [...new Set(names)] as Variant[];
}

function compareCommand(files: string[]): number {
  if (files.length !== 2) throw new UserError(`--compare takes two results.json files (got ${files.length})`);
  const [a, b] = files.map(loadResults);
  out(formatComparison(files[0], files[1], compareResults(a, b)));
  return 0;
}

async function evalCommand(o: EvalOptions): Promise<number> {
  if (o.compare) return compareCommand(o.compare);
  if (!o.suite) throw new UserError(`--suite is required: ${SUITES.join(', ')}`);
  if (!(SUITES as readonly string[]).includes(o.suite)) throw new UserError(`--suite "${o.suite}" is not one of ${SUITES.join(', ')}`);
  const suite = o.suite as Suite;
  if (!o.data) throw new UserError('--data FILE is required: the benchmark file in its published JSONL format');
  if (!o.out) throw new UserError('--out DIR is required: where results.json, report.md and pareto.svg go');
  const variants = parseVariants(o.variants);
  const budgetUsd = parseBudget(o.budget);
  let text: string;
  try {
    text = fs.readFileSync(o.data, 'utf8');
  } catch (e) {
    throw new UserError(`cannot read --data ${o.data}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let all;
  try {
    all = parseDataset(suite, text, path.basename(o.data));
  } catch (e) {
    if (e instanceof DatasetError) throw new UserError(e.message);
    throw e;
  }
  if (o.offset >= all.length) throw new UserError(`--offset ${o.offset} skips every problem: ${o.data} has ${all.length}`);
  const problems = all.slice(o.offset, o.limit !== undefined ? o.offset + o.limit : undefined);
  const policy = o.metaPolicy !== undefined ? loadMetaPolicy(o.metaPolicy) : undefined;
  if (policy) {
    // A policy is measured on problems no tree of its training saw.
    const seen = seenProblems(policy.manifest.training.problems, problems);
    if (seen.byText.length) throw new UserError(`${describePolicy(policy)} was trained on ${seen.byText.length} of these problems (${seen.byText.slice(0, 5).join(', ')}${seen.byText.length > 5 ? ', …' : ''}): evaluate it on problems no tree saw (another --offset/--limit or file)`);
    if (seen.byIdOnly.length) say(`warning: ${seen.byIdOnly.length} problem id${seen.byIdOnly.length === 1 ? '' : 's'} (${seen.byIdOnly.slice(0, 5).join(', ')}) equal training ids of the policy, with other texts: check they are different problems`);
    say(describePolicy(policy));
  }
  const choice = choosePool(o.pool, process.env);
  say(choice.note);
  const { label: poolLabel } = choice;
  const pool = policy ? poolUnderPolicy(choice.pool, policy) : choice.pool;
  const settings = { suite, dataSha256: sha256(text), pool, budgetUsd, seed: o.seed, ...(o.scK !== undefined ? { scK: o.scK } : {}), ...(policy ? { metaPolicy: policy.ref, exemplarsFor: (task: string) => metaExemplarsFor(policy, task) } : {}) };

  const home = mas2Home();
  const target = await resolveTarget({ log: say });
  // Local servers are provisioned and started here once when this process hosts the worker; the
  // pool in the run input (and so the workflow ids) stays the preset without ports, since the
  // worker resolves local servers per call.
  await preparePool(choice, { home, log: say, hostsWorker: target.embedded || Boolean(o.localWorker) });
  const localServing = choice.kind === 'local' ? localServingInfo(home) : undefined;
  const client = await connectClient(target);
  const jobs = evalJobs(problems, variants, settings, await hasSearchAttributes(client, target.namespace));
  say(`${suite}: ${problems.length} problem${problems.length === 1 ? '' : 's'} × ${variants.length} variant${variants.length === 1 ? '' : 's'} (${variants.join(', ')}) = ${jobs.length} runs, ${o.concurrency} at a time, budget $${budgetUsd} each`);

  const showBar = o.progress && Boolean(process.stderr.isTTY);
  const bar = new SingleBar(
    { stream: process.stderr, format: 'eval [{bar}] {value}/{total} runs | {attached} re-attached | {passed} passed | {cost} spent', hideCursor: true, clearOnComplete: false },
    Presets.shades_classic,
  );
  let done = 0;
  let passed = 0;
  let attached = 0;
  let spent = 0;
  if (showBar) bar.start(jobs.length, 0, { attached: 0, passed: 0, cost: '$0' });
  let interrupted = false;
  const onDone = (row: EvalRow) => {
    if (interrupted) return;
    done++;
    if (row.pass) passed++;
    if (row.attached) attached++;
    spent += row.costUsd;
    if (showBar) bar.update(done, { attached, passed, cost: formatUsdShort(spent) });
    else if (o.progress) say(`[${done}/${jobs.length}] ${row.problemId} ${row.variant}: ${row.status}, ${row.pass ? 'pass' : 'fail'}, ${formatUsdShort(row.costUsd)}${row.wallMs !== null ? `, ${(row.wallMs / 1000).toFixed(1)} s` : ''}${row.attached ? ' (re-attached)' : ''}`);
  };
  // Real-model runs take minutes: without a bar, say every minute that the evaluation is alive.
  const inFlight = new Set<string>();
  const alive = !showBar && o.progress ? setInterval(() => say(`${done}/${jobs.length} runs finished, ${inFlight.size} in flight`), 60_000) : undefined;
  alive?.unref();
  const running = runJobs({
    client,
    jobs,
    concurrency: o.concurrency,
    home,
    onStart: (job) => inFlight.add(job.workflowId),
    onDone: (row) => {
      inFlight.delete(row.workflowId);
      onDone(row);
    },
  });
  let rows: EvalRow[];
  try {
    if (target.embedded || o.localWorker) {
      const { worker, connection } = await createWorker({ address: target.address, namespace: target.namespace, home });
      try {
        rows = await worker.runUntil(running);
      } catch (e) {
        // SIGINT/SIGTERM shut the in-process worker down before the runs finished; they are durable.
        if ((e as Error).name === 'PromiseCompletionTimeoutError' || worker.getState() !== 'RUNNING') {
          interrupted = true;
          throw new UserError(`interrupted with ${done}/${jobs.length} runs finished; the runs are durable: run the same command again to re-attach to them`);
        }
        throw e;
      } finally {
        await connection.close();
      }
    } else {
      rows = await running;
    }
  } finally {
    if (alive) clearInterval(alive);
    if (showBar) bar.stop();
    await client.connection.close();
  }
  const results = buildResults({
    ...(localServing ? { localServing } : {}),
    suite,
    data: { file: path.resolve(o.data), sha256: settings.dataSha256, problemsInFile: all.length, offset: o.offset, limit: o.limit ?? null, evaluated: problems.length },
    pool,
    poolLabel,
    budgetUsd,
    seed: o.seed,
    variants,
    runs: rows,
    ...(policy ? { metaPolicy: policy.ref } : {}),
  });
  const files = writeReport(o.out, results);
  for (const s of results.summary) {
    const ci = s.interval ? ` [${(s.interval.low * 100).toFixed(0)}–${(s.interval.high * 100).toFixed(0)}%]` : '';
    out(`${s.variant.padEnd(15)} ${String(s.passed).padStart(4)}/${s.n} pass ${(s.passRate * 100).toFixed(1)}%${ci}  mean ${formatUsdShort(s.meanCostUsd)}${s.meanWallMs !== null ? `  ${(s.meanWallMs / 1000).toFixed(1)} s` : ''}\n`);
  }
  say(`wrote ${files.results}, ${files.report} and ${files.svg}`);
  const errors = rows.filter((r) => r.status === 'error');
  for (const e of errors.slice(0, 5)) say(`no result for ${e.problemId} / ${e.variant} (${e.workflowId}): ${e.reason}`);
  return errors.length ? 1 : 0;
}

export function registerEval(program: Command): void {
  program
    .command('eval')
    .description('run a benchmark (HumanEval, MBPP, GSM8K, MATH) on MAS², its ablations and a single agent; report pass rates, costs and the Pareto frontier')
    .addOption(new Option('--suite <name>', 'benchmark format of --data').choices([...SUITES]))
    .option('--data <file>', 'the benchmark file (JSONL, its published field names)')
    .option('--limit <n>', 'at most this many problems', positiveInt)
    .option('--offset <k>', 'skip the first K problems', nonNegativeInt, 0)
    .option('--variants <list>', `comma-separated: ${VARIANTS.join(', ')}`, DEFAULT_VARIANTS.join(','))
    .option('--sc-k <k>', `samples of the cot-sc variant (${OPERATOR_BOUNDS.k.min}–${OPERATOR_BOUNDS.k.max}; default ${OPERATOR_BOUNDS.k.default}; docs/operators.md says how to match full's cost)`, scK)
    .option('--pool <file|local|sim>', 'backbone pool: a JSON or YAML file, "local" or "sim"; default as for `mas2 run` ($MAS2_POOL, else OpenAI with OPENAI_API_KEY, else local)')
    .option('--budget <usd>', 'hard budget of each run in USD', '1')
    .option('--concurrency <n>', 'runs in flight at once', positiveInt, 4)
    .option('--out <dir>', 'report folder: results.json, report.md, pareto.svg')
    .option('--seed <n>', 'simulator seed (part of the run ids)', integer, 1)
    .option('--compare <files...>', 'compare two results.json files instead of running (A B)')
    .option('--meta-policy <dir>', 'evaluate under a trained meta policy (`mas2 cto train`); refused on problems it was trained on')
    .option('--local-worker', 'with TEMPORAL_ADDRESS: also run a worker in this process')
    .option('--no-progress', 'no progress bar or per-run lines')
    .action(async (o: EvalOptions) => {
      process.exitCode = await evalCommand(o);
    });
}
