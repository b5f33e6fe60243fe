/**
 * The `mas2` command line. User mistakes end as one line and exit code 2; run
 * outcomes map to exit codes (completed 0, failed 1, budget_exhausted 3,
 * cancelled 4, unverified 5).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { Command, Option, InvalidArgumentError } from 'commander';
import type { Client } from '@temporalio/client';
import type { Pool, Result, TaskInput } from '../mas/schemas';
import { TaskOptionsSchema } from '../mas/schemas';
import { mas2Home } from '../activities/home';
import { createWorker, TASK_QUEUE } from '../workers/worker';
import { runDevServerForeground } from './devServer';
import { connectClient, hasSearchAttributes, resolveTarget, type Target } from './connect';
import { UserError, errorOutcome, stackOf } from './errors';
import { RULES, checkTask, checkWorkflowId, isZodError, newWorkflowId, parseBudget, parseFaults, parseNumber, zodLine, type NumberRule } from './inputs';
import { choosePool, preparePool, workerPoolWarning } from './pools';
import { getResult, listRuns, startRun } from './runs';
import { resumeRun } from './resume';
import { localBlobs } from './resolve';
import { summary } from './format';
import { ProgressDisplay } from './progressDisplay';
import { err, oneLine, out, printJson, printable, say } from './terminal';
import { registerCto } from './commands/cto';
import { registerAudit } from './commands/audit';
import { registerEval } from './commands/eval';
import { registerLocalModel } from './commands/localModel';
import { registerGc } from './commands/gc';
import { runToolCommand } from '../activities/tools/cli';
import { registerTools, toolsetFromConfig } from './commands/tools';
import { Run } from '../lib/run';
import { describePolicy, loadMetaPolicy, metaExemplarsFor, poolUnderPolicy } from './metaPolicy';

const EXIT: Record<Result['status'], number> = { completed: 0, failed: 1, budget_exhausted: 3, cancelled: 4, running: 0, branched: 0, unverified: 5 };


function collect(value: string, prev: string[]): string[] {
  return [...prev, value];
}

/** A commander argument parser for a numeric option: a bad value is one line naming the option. */
function numberArg(rule: NumberRule): (value: string) => number {
  return (value) => {
    try {
      return parseNumber(value, rule);
    } catch (e) {
      throw new InvalidArgumentError((e as Error).message);
    }
  };
}
const positiveInt = numberArg(RULES.positive);

async function clientFor(opts: { startServer?: boolean } = {}): Promise<{ client: Client; target: Target }> {
  const target = await resolveTarget({ log: say, startServer: opts.startServer });
  return { client: await connectClient(target), target };
}

/** Keeps a detached run going after this process exits: one background worker per $MAS2_HOME. */
function ensureBackgroundWorker(home: string, configFile?: string): void {
  const pidFile = path.join(home, 'worker.pid');
  try {
    const pid = Number(fs.readFileSync(pidFile, 'utf8'));
    process.kill(pid, 0);
    return;
  } catch {
    /* not running */
  }
  const log = fs.openSync(path.join(home, 'worker.log'), 'a');
  const child = spawn(process.execPath, [path.join(__dirname, '..', '..', 'bin', 'mas2.js'), 'worker', ...(configFile ? ['--config', path.resolve(configFile)] : [])], { detached: true, stdio: ['ignore', log, log], env: process.env });
  child.unref();
  fs.writeFileSync(pidFile, String(child.pid));
  say(`started a background worker (pid ${child.pid}, log ${path.join(home, 'worker.log')})`);
}

async function follow(client: Client, workflowId: string, quiet: boolean, pool?: Pool): Promise<Result> {
  const display = quiet ? undefined : new ProgressDisplay({ stream: process.stderr, prefix: 'mas2: ', pool });
  let last: Result | undefined;
  try {
    for await (const snapshot of new Run(client, workflowId).snapshots()) {
      display?.update(snapshot);
      last = snapshot;
    }
  } finally {
    display?.stop();
  }
  return last ?? getResult(client, workflowId);
}

function checkedOptions(raw: Record<string, unknown>): TaskInput['options'] {
  const r = TaskOptionsSchema.safeParse(raw);
  if (!r.success) throw new UserError(`invalid option: ${zodLine(r.error, ['options'])}`);
  return r.data;
}

async function runCommand(taskArg: string, o: Record<string, unknown>): Promise<number> {
  const task = checkTask(taskArg);
  const budgetUsd = parseBudget(String(o.budget));
  const faults = parseFaults((o.fault as string[]) ?? []);
  const workflowId = o.id !== undefined ? checkWorkflowId(String(o.id)) : newWorkflowId();
  const choice = choosePool(o.pool as string | undefined, process.env);
  say(choice.note);
  const home = mas2Home();
  const policy = o.metaPolicy !== undefined ? loadMetaPolicy(String(o.metaPolicy)) : undefined;
  const metaExemplars = policy ? metaExemplarsFor(policy, task) : undefined;
  if (policy) say(`${describePolicy(policy)}${policy.prior ? (metaExemplars ? `: advice for ${Object.keys(metaExemplars).join(', ')}` : ': no advice for this kind of task') : ''}`);
  const toolset = await toolsetFromConfig(o.config as string | undefined);
  const catalogue = toolset ? await toolset.catalogue() : undefined;
  const { client, target } = await clientFor();
  // The local models are served where the worker runs: here when this process hosts it.
  const prepared = await preparePool(choice, { home, log: say, hostsWorker: target.embedded || Boolean(o.localWorker) });
  const pool = policy ? poolUnderPolicy(prepared, policy) : prepared;
  const input: TaskInput = {
    task,
    budgetUsd,
    pool,
    faults,
    options: checkedOptions({
      generator: o.generator !== false,
      implementer: o.implementer !== false,
      rectifier: o.rectifier !== false,
      seed: o.seed ?? 1,
      maxRectifications: o.maxRectifications ?? 3,
      thetaFraction: o.theta ?? 0.8,
      ...(o.maxWallSeconds ? { maxWallSeconds: o.maxWallSeconds } : {}),
      searchAttributes: await hasSearchAttributes(client, target.namespace),
    }),
    ...(catalogue ? { tools: catalogue } : {}),
    ...(policy ? { metaPolicy: policy.ref } : {}),
    ...(metaExemplars ? { metaExemplars } : {}),
  };
  const { attached } = await startRun(client, input, workflowId);
  say(`${attached ? 're-attached to' : 'started'} run ${workflowId}${target.embedded ? '' : ` on ${target.address}`}`);
  return awaitRun({ client, target, workflowId, attached, home, toolset, pool }, o);
}

/** After a start (run, resume): detach, or follow the run to its end (with a worker in this process when needed) and print it. */
async function awaitRun(
  r: { client: Client; target: Target; workflowId: string; attached: boolean; home: string; toolset?: Awaited<ReturnType<typeof toolsetFromConfig>>; pool?: Pool },
  o: Record<string, unknown>,
): Promise<number> {
  const { client, target, workflowId, attached, home, toolset, pool } = r;
  if (o.detach) {
    if (target.embedded) ensureBackgroundWorker(home, o.config as string | undefined);
    await toolset?.close();
    if (o.json) printJson({ workflowId, attached });
    else out(`${workflowId}\n`);
    return 0;
  }
  let result: Result;
  if (target.embedded || o.localWorker) {
    const { worker, connection } = await createWorker({ address: target.address, namespace: target.namespace, connection: target.connection, home, runtime: toolset ? { tools: toolset } : {} });
    try {
      result = await worker.runUntil(follow(client, workflowId, Boolean(o.quiet), pool));
    } finally {
      await connection.close();
      await toolset?.close();
    }
  } else {
    await toolset?.close();
    result = await follow(client, workflowId, Boolean(o.quiet), pool);
  }
  if (o.json) printJson(result);
  else {
    out(`\n${result.answer ?? '(no answer)'}\n\n`);
    err(summary(result) + '\n');
  }
  await client.connection.close();
  return EXIT[result.status];
}

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('mas2')
    .description('MAS² on Temporal: a Generator designs a team of agents for a task, an Implementer assigns models, a Rectifier repairs the team while it runs.')
    .showHelpAfterError('(run `mas2 --help` for usage)')
    // A command's options belong to it alone (`mas2 cto train … --out DIR` is not `mas2 cto --out`).
    .enablePositionalOptions()
    .exitOverride();

  program
    .command('run')
    .description('start (or re-attach to) a task; progress on stderr, the answer and a cost summary at the end')
    .argument('<task>', 'what the team should do, in quotes')
    .option('--pool <file|local|sim>', 'backbone pool: a JSON or YAML file, "local" (llama.cpp models on this machine) or "sim" (the offline simulator, not a model); default: $MAS2_POOL, else OpenAI when OPENAI_API_KEY is set, else local')
    .option('--budget <usd>', 'hard budget in USD (meta-agents included)', '1')
    .option('--id <id>', 'workflow id; re-attaches when a run with this id exists')
    .option('--detach', 'start and return the id; the run goes on in a worker')
    .option('--json', 'print the result document as JSON on stdout')
    .option('--quiet', 'no progress lines')
    .option('--no-generator', 'ablation: a fixed default template instead of the Generator')
    .option('--no-implementer', "ablation: every agent on the pool's default backbone")
    .option('--no-rectifier', 'ablation: a trigger fails the run instead of rectifying it')
    .option('--fault <spec>', 'chaos injection (repeatable): tool:NAME:crash@K, model:BACKBONE|*:error@K, model:BACKBONE|*:latency=MS', collect, [])
    .option('--max-rectifications <n>', 'cap on rectifications per run (0–20)', numberArg(RULES.maxRectifications))
    .option('--max-wall-seconds <n>', 'stop before the next model call once the run is older than this (default 1800)', positiveInt)
    .addOption(new Option('--theta <fraction>', 'budget trigger θ_C as a fraction of the budget (0 < θ ≤ 1)').argParser(numberArg(RULES.theta)))
    .addOption(new Option('--seed <n>', 'simulator seed (a whole number)').argParser(numberArg(RULES.seed)))
    .option('--local-worker', 'with TEMPORAL_ADDRESS: also run a worker in this process')
    .option('--config <file>', 'own tools and MCP servers (see docs/tools.md); the worker needs the same file')
    .option('--meta-policy <dir>', 'a trained meta policy (`mas2 cto train`): its name and version are recorded; LoRA adapters serve the meta-agents')
    .action(async (task: string, o: Record<string, unknown>) => {
      process.exitCode = await runCommand(task, o);
    });

  program
    .command('resume')
    .description('go on with a run that stopped on a storage fault, from its saved state, once the content is back')
    .argument('<id>')
    .option('--rederive', 'compute again what depended on content that is still missing or corrupted')
    .option('--detach', 'start and return the id; the run goes on in a worker')
    .option('--json', 'print the result document as JSON on stdout')
    .option('--quiet', 'no progress lines')
    .option('--local-worker', 'with TEMPORAL_ADDRESS: also run a worker in this process')
    .option('--config <file>', 'own tools and MCP servers the run uses')
    .action(async (id: string, o: Record<string, unknown>) => {
      const home = mas2Home();
      const { client, target } = await clientFor();
      const blobs = localBlobs();
      let resumed;
      try {
        resumed = await resumeRun(client, id, { blobs, rederive: Boolean(o.rederive) });
      } finally {
        await blobs.close();
      }
      if (resumed.dropped.length) say(`computing again: ${resumed.dropped.join(', ')}`);
      say(`${resumed.attached ? 're-attached to the resumed' : 'resumed'} run ${id} after the storage fault on ${resumed.fault.ref} (${resumed.fault.kind})`);
      const toolset = await toolsetFromConfig(o.config as string | undefined);
      process.exitCode = await awaitRun({ client, target, workflowId: id, attached: resumed.attached, home, toolset }, o);
    });

  program
    .command('server')
    .description('the embedded Temporal dev server in the foreground (SQLite under $MAS2_HOME, Web UI on)')
    .option('--port <n>', 'gRPC port', numberArg(RULES.port), 7233)
    .option('--ui-port <n>', 'Web UI port (default port + 1000)', numberArg(RULES.port))
    .action(async (o: { port: number; uiPort?: number }) => {
      say(`Temporal dev server on 127.0.0.1:${o.port}, Web UI on http://127.0.0.1:${o.uiPort ?? o.port + 1000}, data in ${mas2Home()}`);
      process.exitCode = await runDevServerForeground({ home: mas2Home(), port: o.port, uiPort: o.uiPort, log: say });
    });

  program
    .command('worker')
    .description('a worker for the mas2 task queue (TEMPORAL_ADDRESS, or the embedded dev server)')
    .option('--task-queue <name>', 'task queue', TASK_QUEUE)
    .option('--config <file>', 'own tools and MCP servers this worker can run')
    .action(async (o: { taskQueue: string; config?: string }) => {
      const toolset = await toolsetFromConfig(o.config);
      if (toolset) say(`tools: ${(await toolset.catalogue()).map((t) => t.name).join(', ')}`);
      const target = await resolveTarget({ log: say });
      const warning = workerPoolWarning(process.env);
      if (warning) say(warning);
      const { worker, connection } = await createWorker({ address: target.address, namespace: target.namespace, connection: target.connection, home: mas2Home(), taskQueue: o.taskQueue, runtime: toolset ? { tools: toolset } : {} });
      say(`worker polling "${o.taskQueue}" on ${target.address} (Ctrl-C stops it gracefully)`);
      await worker.run();
      await connection.close();
      await toolset?.close();
      say('worker stopped');
    });

  program
    .command('status')
    .description("a run's result document so far (the live state while it runs)")
    .argument('<id>')
    .option('--json', 'the result document as JSON')
    .action(async (id: string, o: { json?: boolean }) => {
      const { client } = await clientFor();
      const r = await new Run(client, id).state();
      if (o.json) printJson(r);
      else out(`${id}\n${summary(r)}\n${r.answer ? `\n${r.answer}\n` : ''}`);
      await client.connection.close();
    });

  program
    .command('list')
    .description('past and running tasks')
    .option('--json', 'as JSON')
    .addOption(new Option('--status <status>', 'only runs with this status').choices(['running', 'completed', 'failed', 'budget_exhausted', 'cancelled', 'unverified']))
    .option('--limit <n>', 'at most this many', positiveInt, 50)
    .action(async (o: { json?: boolean; status?: string; limit: number }) => {
      const { client, target } = await clientFor();
      const runs = await listRuns(client, { status: o.status, limit: o.limit, searchAttributes: await hasSearchAttributes(client, target.namespace) });
      if (o.json) printJson(runs);
      else if (!runs.length) out('no runs\n');
      else for (const r of runs) out(`${oneLine(r.workflowId)}  ${oneLine(r.status).padEnd(16)} ${r.startTime}  ${r.costUsd !== null ? `$${r.costUsd.toFixed(6)}` : '-'}  ${oneLine(r.task.slice(0, 60))}\n`);
      await client.connection.close();
    });

  program
    .command('rectify')
    .description('external trigger: ask the Rectifier to revise a running task')
    .argument('<id>')
    .requiredOption('--reason <text>', 'what should change')
    .action(async (id: string, o: { reason: string }) => {
      const { client } = await clientFor();
      await new Run(client, id).rectify(o.reason);
      say(`rectify signal sent to ${id}`);
      await client.connection.close();
    });

  program
    .command('budget')
    .description("raise a running task's budget (rejected at or below what is already spent)")
    .argument('<id>')
    .argument('<usd>')
    .action(async (id: string, usd: string) => {
      const { client } = await clientFor();
      const b = await new Run(client, id).raiseBudget(parseBudget(usd));
      say(`budget of ${id} is now $${b}`);
      await client.connection.close();
    });

  program
    .command('cancel')
    .description('cancel a running task; it ends as cancelled with its partial results')
    .argument('<id>')
    .action(async (id: string) => {
      const { client } = await clientFor();
      await new Run(client, id).cancel();
      say(`cancellation requested for ${id}`);
      await client.connection.close();
    });

  program
    .command('tool')
    .description('run one tool directly and print its result as JSON (debugging tools and the sandbox)')
    .argument('<name>', 'python, javascript, calculator, search, workspace, or an own/MCP tool from --config (see `mas2 tools`)')
    .requiredOption('--input <json>', 'the tool input as JSON, e.g. \'{"expression": "2+2"}\'')
    .option('--workspace <dir>', 'workspace folder for the workspace tool (default: a temporary one)')
    .option('--config <file>', 'own tools and MCP servers')
    .action(async (name: string, o: { input: string; workspace?: string; config?: string }) => {
      const toolset = await toolsetFromConfig(o.config);
      try {
        const { result, exitCode } = await runToolCommand(name, o.input, { workspaceDir: o.workspace ? path.resolve(o.workspace) : undefined, toolset });
        printJson(result);
        process.exitCode = exitCode;
      } finally {
        await toolset?.close();
      }
    });

  // Commands that live in their own modules register here (one line each).
  // ---- registered commands ----
  registerCto(program);
  registerAudit(program);
  registerEval(program);
  registerTools(program);
  registerLocalModel(program);
  registerGc(program);
  // ---- end registered commands ----

  return program;
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (e) {
    process.exitCode = reportError(e);
  }
}

/** Prints any thrown value as one line and returns the exit code; it cannot throw itself. */
export function reportError(e: unknown): number {
  try {
    if (isZodError(e)) {
      // Input that got past the option checks: still one line naming what was wrong, never a stack.
      say(`error: invalid input: ${zodLine(e)}`);
      return 2;
    }
  } catch {
    /* a malformed ZodError-lookalike: described below like anything else */
  }
  const outcome = errorOutcome(e);
  if (outcome.line) say(outcome.line);
  if (outcome.internal && process.env.MAS2_DEBUG) process.stderr.write(`${printable(stackOf(e))}\n`);
  else if (outcome.internal) say('(set MAS2_DEBUG=1 to see the stack trace)');
  return outcome.exitCode;
}

if (require.main === module) void main(process.argv);

export { UserError };
