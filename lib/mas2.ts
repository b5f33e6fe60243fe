/**
 * The library entry point: connect to Temporal (the embedded dev server or a
 * cluster, as the CLI does), host a worker with your own tools and MCP servers
 * in this process, start or attach to runs.
 */
import type { Client } from '@temporalio/client';
import type { NativeConnection, Worker } from '@temporalio/worker';
import { TaskOptionsSchema, type Fault, type Pool, type TaskInput, type TaskOptions, type ToolSpec } from '../mas/schemas';
import { KNOWN_TOOLS } from '../mas/tools';
import { mas2Home } from '../activities/home';
import { createActivities, createRuntime } from '../activities';
import type { Mas2Activities } from '../mas/contract';
import { ToolSet, type ToolSetOptions } from '../activities/tools/toolset';
import { connectClient, hasSearchAttributes, resolveTarget, type Target } from '../client/connect';
import { startRun } from '../client/runs';
import { newWorkflowId, checkWorkflowId } from '../client/inputs';
import { choosePool, preparePool } from '../client/pools';
import { createWorker, TASK_QUEUE } from '../workers/worker';
import { UserError } from '../client/errors';
import { Run } from './run';

export interface ConnectOptions extends ToolSetOptions {
  /** Task queue of the runs (and of the in-process worker); default MAS2_TASK_QUEUE or "mas2". */
  taskQueue?: string;
  /**
   * Host a worker in this process (with `tools` and `mcpServers`). Default: true on the
   * embedded dev server, false on a cluster (where your workers run the tasks).
   */
  worker?: boolean;
  /** Progress lines of the connection (e.g. "started the embedded dev server"); default silent. */
  log?: (line: string) => void;
}

export interface StartOptions {
  /** Hard budget in USD, meta-agents included (default 1). */
  budgetUsd?: number;
  /**
   * The backbone pool L: a Pool, `'local'` (the local models), `'sim'` (the offline simulator,
   * not a model) or a pool file's path. Default, as for `mas2 run`: $MAS2_POOL, else OpenAI when
   * OPENAI_API_KEY is set, else the local models (provisioned on first use when this connection
   * hosts the worker; progress through `log`).
   */
  pool?: Pool | string;
  /** Workflow id; a run with this id is re-attached instead of started again. */
  id?: string;
  options?: Partial<TaskOptions>;
  faults?: Fault[];
  /** Names of the tools the run may use (default: every tool of this connection). */
  tools?: string[];
}

export class Mas2 {
  private catalogueCache: Promise<ToolSpec[]> | null = null;

  private constructor(
    readonly client: Client,
    readonly target: Target,
    readonly taskQueue: string,
    readonly toolset: ToolSet,
    private readonly hosted: { worker: Worker; connection: NativeConnection; running: Promise<void> } | null,
    private readonly log: (line: string) => void,
  ) {}

  static async connect(opts: ConnectOptions = {}): Promise<Mas2> {
    const toolset = new ToolSet(opts);
    const target = await resolveTarget({ log: opts.log });
    const client = await connectClient(target);
    const taskQueue = opts.taskQueue ?? TASK_QUEUE;
    let hosted: Mas2['hosted'] = null;
    if (opts.worker ?? target.embedded) {
      try {
        const { worker, connection } = await createWorker({ address: target.address, namespace: target.namespace, connection: target.connection, home: mas2Home(), taskQueue, runtime: { tools: toolset } });
        const running = worker.run();
        // Awaited by close(); without this catch a worker failure would be an unhandled rejection in the host process.
        running.catch(() => undefined);
        hosted = { worker, connection, running };
      } catch (e) {
        await client.connection.close();
        await toolset.close();
        throw e;
      }
    }
    return new Mas2(client, target, taskQueue, toolset, hosted, opts.log ?? (() => undefined));
  }

  /** Every tool a run of this connection can use (built-ins, own, MCP), with its source and JSON schema. */
  tools(): Promise<ToolSpec[]> {
    this.catalogueCache ??= this.toolset.catalogue();
    this.catalogueCache.catch(() => {
      this.catalogueCache = null;
    });
    return this.catalogueCache;
  }

  /** Starts a task (or re-attaches to the run with `id`). */
  async start(task: string, opts: StartOptions = {}): Promise<Run> {
    const all = await this.tools();
    let tools = all;
    if (opts.tools) {
      const unknown = opts.tools.filter((n) => !all.some((t) => t.name === n));
      if (unknown.length) throw new UserError(`unknown tool(s) ${unknown.join(', ')}; known: ${all.map((t) => t.name).join(', ')}`);
      tools = all.filter((t) => opts.tools!.includes(t.name));
    }
    const workflowId = opts.id ? checkWorkflowId(opts.id) : newWorkflowId();
    const input: TaskInput = {
      task,
      budgetUsd: opts.budgetUsd ?? 1,
      pool: await this.pool(opts.pool),
      faults: opts.faults ?? [],
      options: TaskOptionsSchema.parse({ searchAttributes: await hasSearchAttributes(this.client, this.target.namespace), ...opts.options }),
      // Runs with only the built-ins carry no catalogue, exactly like runs of earlier versions.
      ...(tools.every((t) => t.source === 'builtin') && tools.length === KNOWN_TOOLS.length ? {} : { tools }),
    };
    await startRun(this.client, input, workflowId, this.taskQueue);
    return new Run(this.client, workflowId);
  }

  /** The pool of a run: the one given, or the CLI's rule (see client/pools.ts). */
  private async pool(given: Pool | string | undefined): Promise<Pool> {
    if (typeof given === 'object') return given;
    const choice = choosePool(given, process.env);
    this.log(choice.note);
    return preparePool(choice, { home: mas2Home(), log: this.log, hostsWorker: this.hosted !== null });
  }

  /** A handle on an existing run. */
  attach(workflowId: string): Run {
    return new Run(this.client, workflowId);
  }

  /** Stops the in-process worker (running activities finish first), the MCP servers and the connection. */
  async close(): Promise<void> {
    let workerError: unknown = null;
    if (this.hosted) {
      if (this.hosted.worker.getState() === 'RUNNING') this.hosted.worker.shutdown();
      workerError = await this.hosted.running.then(
        () => null,
        (e: unknown) => e,
      );
      await this.hosted.connection.close();
    }
    await this.toolset.close();
    await this.client.connection.close();
    // A worker that died while runs were going on must not go unnoticed.
    if (workerError) throw workerError;
  }
}

export function connect(opts: ConnectOptions = {}): Promise<Mas2> {
  return Mas2.connect(opts);
}

/**
 * For your own Temporal worker: mas2's activities with your tools and MCP servers. Register them
 * beside your own, with `workflowsPath` (or a workflows file of yours that re-exports `mas2/workflows`).
 */
export function createMas2Activities(opts: ToolSetOptions & { home?: string } = {}): { activities: Mas2Activities; tools: ToolSet; close(): Promise<void> } {
  const tools = new ToolSet(opts);
  const activities = createActivities(createRuntime(opts.home ?? mas2Home(), { tools }));
  return { activities, tools, close: () => tools.close() };
}

/**
 * What a run started by your own client carries: the catalogue of these tools. Use with
 * `startRun`-style clients of your own: `{ ...taskInput, tools: await toolCatalogue({ tools, mcpServers }) }`.
 */
export async function toolCatalogue(opts: ToolSetOptions = {}): Promise<ToolSpec[]> {
  const set = new ToolSet(opts);
  try {
    return await set.catalogue();
  } finally {
    await set.close();
  }
}
