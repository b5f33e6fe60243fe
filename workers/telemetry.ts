/**
 * OpenTelemetry traces for a worker, on only when an OTLP endpoint is set
 * (OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, and
 * OTEL_SDK_DISABLED is not "true"). Off, nothing here loads the SDK: every
 * OpenTelemetry import below is a type import or a require() inside
 * startTelemetry, so a worker without the variables pays nothing.
 *
 * On, one run is one trace: @temporalio/interceptors-opentelemetry makes the
 * workflow and activity spans (RunWorkflow:mas2Task → StartActivity:callModel
 * → RunActivity:callModel, context carried in Temporal headers), and
 * GenAiSpans adds, inside each activity, a span that follows the GenAI
 * semantic conventions: `chat {model}` per model call, `execute_tool {tool}`
 * per tool call, `invoke_agent {role}` per meta-agent decision, with token
 * usage, cost and mas2's agent, role and config version. Exported as
 * OTLP/HTTP JSON (the exporter reads the standard OTEL_* variables).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Span, Tracer } from '@opentelemetry/api';
import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { Context as ActivityContext } from '@temporalio/activity';
import { defaultPayloadConverter } from '@temporalio/common';
import type { ActivityExecuteInput, ActivityInboundCallsInterceptor, Next, WorkerOptions } from '@temporalio/worker';
import type { CallModelInput, CallModelOutput, CodeCheckInput, CodeCheckOutput, MetaCallBase, MetaResult, RunToolInput, RunToolOutput } from '../mas/contract';
import { CONFIG_VERSION_HEADER } from '../mas/progress';

export function telemetryEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  if ((env.OTEL_SDK_DISABLED ?? '').toLowerCase() === 'true') return false;
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

/** What a worker adds to its options when telemetry is on. */
export interface WorkerTelemetry {
  interceptors: NonNullable<WorkerOptions['interceptors']>;
  sinks: NonNullable<WorkerOptions['sinks']>;
  /** Modules the workflow bundle must carry for workflow spans. */
  workflowInterceptorModules: string[];
}

interface Installed {
  tracer: Tracer;
  processor: SpanProcessor;
  worker: WorkerTelemetry;
  shutdown(): Promise<void>;
}

let installed: Installed | undefined;

/** Starts the SDK once per process (a tracer provider is global); undefined when telemetry is off. */
export function startTelemetry(env: NodeJS.ProcessEnv = process.env): Installed | undefined {
  if (installed || !telemetryEnabled(env)) return installed;
  /* eslint-disable @typescript-eslint/no-require-imports */
  const api = require('@opentelemetry/api') as typeof import('@opentelemetry/api');
  const { BasicTracerProvider, BatchSpanProcessor } = require('@opentelemetry/sdk-trace-base') as typeof import('@opentelemetry/sdk-trace-base');
  const { Resource } = require('@opentelemetry/resources') as typeof import('@opentelemetry/resources');
  const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-http') as typeof import('@opentelemetry/exporter-trace-otlp-http');
  const { AsyncLocalStorageContextManager } = require('@opentelemetry/context-async-hooks') as typeof import('@opentelemetry/context-async-hooks');
  const temporalOtel = require('@temporalio/interceptors-opentelemetry') as typeof import('@temporalio/interceptors-opentelemetry');
  /* eslint-enable @typescript-eslint/no-require-imports */

  const resource = Resource.default().merge(new Resource({ 'service.name': env.OTEL_SERVICE_NAME || 'mas2-worker' }));
  const processor = new BatchSpanProcessor(new OTLPTraceExporter());
  const provider = new BasicTracerProvider({ resource, spanProcessors: [processor] });
  provider.register({ contextManager: new AsyncLocalStorageContextManager() });
  const tracer = api.trace.getTracer('mas2');

  // Spans still buffered when the process runs out of work are sent before it exits.
  process.once('beforeExit', () => void installed?.processor.forceFlush());
  installed = {
    tracer,
    processor,
    worker: {
      interceptors: {
        // Temporal's span first: the GenAI span runs inside it and becomes its child.
        activity: [(ctx) => ({ inbound: new temporalOtel.OpenTelemetryActivityInboundInterceptor(ctx) }), (ctx) => ({ inbound: new GenAiSpans(ctx, tracer) })],
      },
      sinks: { exporter: temporalOtel.makeWorkflowExporter(processor, resource) } as NonNullable<WorkerOptions['sinks']>,
      workflowInterceptorModules: [require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors')],
    },
    async shutdown() {
      await provider.forceFlush();
      await provider.shutdown();
      installed = undefined;
    },
  };
  return installed;
}

/** Sends what is buffered now (a worker's shutdown does it too). */
export async function flushTelemetry(): Promise<void> {
  await installed?.processor.forceFlush();
}

export async function stopTelemetry(): Promise<void> {
  await installed?.shutdown();
}

/**
 * The workflow bundle with the OpenTelemetry workflow interceptors, built on
 * first use next to the plain one and reused while that one is unchanged.
 * Spans only change user metadata and headers, never commands, so runs
 * replay on either bundle.
 */
export async function telemetryBundle(plainBundle: string | undefined, modules: string[], log: (s: string) => void = () => undefined): Promise<NonNullable<WorkerOptions['workflowBundle']>> {
  const { bundleWorkflowCode } = await import('@temporalio/worker');
  const cached = plainBundle ? plainBundle.replace(/\.js$/, '-otel.js') : undefined;
  if (cached && plainBundle && fs.existsSync(cached) && fs.statSync(cached).mtimeMs >= fs.statSync(plainBundle).mtimeMs) return { codePath: cached };
  const silent = { info() {}, warn() {}, error: console.error, debug() {}, trace() {}, log() {} };
  const workflowsPath = plainBundle ? path.join(path.dirname(plainBundle), 'workflows', 'index.js') : require.resolve('../workflows');
  const { code } = await bundleWorkflowCode({ workflowsPath, workflowInterceptorModules: modules, logger: silent as never });
  log('bundled the workflow code with the OpenTelemetry interceptors');
  if (cached) {
    try {
      fs.writeFileSync(cached, code);
      return { codePath: cached };
    } catch {
      /* read-only install: keep it in memory */
    }
  }
  return { code };
}

// ------------------------------------------------------------------ GenAI spans

type Attrs = Record<string, string | number | boolean | string[] | undefined>;

const META_ROLES: Record<string, string> = { generateTemplate: 'generator', implementAssignment: 'implementer', rectify: 'rectifier' };

/** One span per model call, tool call and meta-agent decision, named and attributed after the OpenTelemetry GenAI conventions. */
export class GenAiSpans implements ActivityInboundCallsInterceptor {
  constructor(
    private readonly ctx: ActivityContext,
    private readonly tracer: Tracer,
  ) {}

  async execute(input: ActivityExecuteInput, next: Next<ActivityInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    const type = this.ctx.info.activityType;
    // Telemetry must never fail a call: an input it cannot read gets no span.
    let start: ReturnType<typeof spanStart>;
    try {
      start = spanStart(type, input.args[0]);
    } catch {
      start = undefined;
    }
    if (!start) return next(input);
    const versionHeader = input.headers[CONFIG_VERSION_HEADER];
    const version = versionHeader ? (defaultPayloadConverter.fromPayload(versionHeader) as number) : undefined;
    const attributes = clean({
      ...start.attributes,
      'mas2.config_version': version,
      'mas2.workflow_id': this.ctx.info.workflowExecution?.workflowId,
      'mas2.attempt': this.ctx.info.attempt,
    });
    return this.tracer.startActiveSpan(start.name, { kind: 2 /* SpanKind.CLIENT */, attributes }, async (span: Span) => {
      try {
        const out = await next(input);
        try {
          span.setAttributes(clean(spanEnd(type, input.args[0], out)));
        } catch {
          /* a result it cannot read: the span keeps its start attributes */
        }
        return out;
      } catch (e) {
        span.recordException(e as Error);
        span.setAttributes(clean({ 'error.type': (e as { type?: string }).type ?? (e as Error).name }));
        span.setStatus({ code: 2 /* SpanStatusCode.ERROR */, message: (e as Error).message });
        throw e;
      } finally {
        span.end();
      }
    });
  }
}

function clean(a: Attrs): Record<string, string | number | boolean | string[]> {
  return Object.fromEntries(Object.entries(a).filter(([, v]) => v !== undefined)) as Record<string, string | number | boolean | string[]>;
}

/** The span's name and the attributes known before the call; undefined for activities that are neither model nor tool calls. */
export function spanStart(type: string, arg: unknown): { name: string; attributes: Attrs } | undefined {
  if (type === 'callModel') {
    const a = arg as CallModelInput;
    return {
      name: `chat ${a.backbone.model}`,
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': a.backbone.provider,
        'gen_ai.system': a.backbone.provider,
        'gen_ai.request.model': a.backbone.model,
        'mas2.agent': a.agent.id,
        'mas2.role': a.agent.role,
        'mas2.backbone': a.backbone.id,
        'mas2.call_key': a.callKey,
      },
    };
  }
  if (type === 'runTool') {
    const a = arg as RunToolInput;
    return {
      name: `execute_tool ${a.call.name}`,
      attributes: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': a.call.name, 'gen_ai.tool.call.id': a.call.id, 'gen_ai.tool.type': 'function', 'mas2.agent': a.agent, 'mas2.call_key': a.callKey },
    };
  }
  if (type === 'checkCode') {
    const a = arg as CodeCheckInput;
    return {
      name: 'execute_tool python',
      attributes: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'python', 'gen_ai.tool.type': 'function', 'mas2.agent': a.agent, 'mas2.call_key': a.callKey, 'mas2.code_check': true },
    };
  }
  const role = META_ROLES[type];
  if (role) {
    const a = arg as MetaCallBase;
    const backboneId = a.pool?.meta?.[role as 'generator'] ?? a.pool?.default;
    const b = a.pool?.backbones.find((x) => x.id === backboneId);
    return {
      name: `invoke_agent ${role}`,
      attributes: {
        'gen_ai.operation.name': 'invoke_agent',
        'gen_ai.agent.name': role,
        'gen_ai.provider.name': b?.provider,
        'gen_ai.system': b?.provider,
        'gen_ai.request.model': b?.model,
        'mas2.agent': role,
        'mas2.role': role,
        'mas2.backbone': backboneId,
        'mas2.call_key': a.callKey,
      },
    };
  }
  return undefined;
}

/** What the call's result adds: token usage, cost, finish reason, tool outcome. */
export function spanEnd(type: string, _arg: unknown, out: unknown): Attrs {
  if (type === 'callModel') {
    const o = out as CallModelOutput;
    return {
      'gen_ai.usage.input_tokens': o.usage.inputTokens,
      'gen_ai.usage.output_tokens': o.usage.outputTokens,
      // The activity returns tool calls but not the provider's finish reason; only "tool_calls" can be told for sure.
      'gen_ai.response.finish_reasons': o.toolCalls.length ? ['tool_calls'] : undefined,
      'mas2.cost_usd': o.costUsd,
      'mas2.model_attempts': o.attempts,
    };
  }
  if (type === 'runTool') {
    const o = out as RunToolOutput;
    return { 'mas2.tool.ok': o.ok, 'mas2.tool.limit': o.limit, 'mas2.tool_attempts': o.attempts };
  }
  if (type === 'checkCode') {
    const o = out as CodeCheckOutput;
    // A check with no code to run executes nothing: the span says so, and the run records no step.
    return { 'mas2.code_check.executed': o.checked, 'mas2.tool.ok': o.ok, 'mas2.code_check.overridden': o.overridden, 'mas2.tool_attempts': o.attempts };
  }
  const r = out as MetaResult<unknown>;
  return {
    'gen_ai.usage.input_tokens': r.usage?.inputTokens,
    'gen_ai.usage.output_tokens': r.usage?.outputTokens,
    'mas2.backbone': r.backbone,
    'mas2.cost_usd': r.decision?.costUsd,
    'mas2.decision_source': r.decision?.source,
    'mas2.model_attempts': r.attempts,
  };
}
