/**
 * Workflow interceptors that make a run readable in the Temporal Web UI
 * without touching the workflow code: every activity gets a one-line summary
 * a person can read (`coder · model call 2 on qwen-1.5b`), and a mas2Task's
 * current details show its live team and progress as markdown. The config
 * version travels to the activity in a header (for the OpenTelemetry spans).
 *
 * Deterministic: everything is computed from the activity's arguments and
 * from the workflow's own `state` query handler (a pure read of its state).
 * Summaries and details are user metadata, not commands, so histories
 * recorded without this interceptor still replay.
 */
import { defaultPayloadConverter, setCurrentDetails, workflowInfo, type WorkflowInterceptors } from '@temporalio/workflow';
import type { Result } from '../mas/schemas';
import { activitySummary, CONFIG_VERSION_HEADER, progressMarkdown } from '../mas/progress';

interface QueryHandlers {
  queryHandlers?: Map<string, { handler: (...args: unknown[]) => unknown }>;
}

/**
 * The workflow's live result document, through the handler it registered for
 * its `state` query. The SDK has no public getter for a registered handler,
 * so this reads the activator it keeps in a global; if an SDK upgrade moves
 * it, the UI details are simply not set (test/integration/temporalUi.test.ts
 * notices).
 */
function liveResult(): Result | undefined {
  if (workflowInfo().workflowType !== 'mas2Task') return undefined;
  const activator = (globalThis as { __TEMPORAL_ACTIVATOR__?: QueryHandlers }).__TEMPORAL_ACTIVATOR__;
  const handler = activator?.queryHandlers?.get('state')?.handler;
  if (!handler) return undefined;
  try {
    return handler() as Result;
  } catch {
    return undefined;
  }
}

/** Best effort: a throw here would fail the workflow task, and the details are only a view. */
function showProgress(r: Result | undefined): void {
  if (!r) return;
  try {
    setCurrentDetails(progressMarkdown(r));
  } catch {
    /* an unexpected state shape: keep the previous details */
  }
}

export const interceptors = (): WorkflowInterceptors => ({
  outbound: [
    {
      async scheduleActivity(input, next) {
        const r = liveResult();
        showProgress(r);
        const summary = input.options.summary ?? activitySummary(input.activityType, input.args[0]);
        const version = r?.config?.version;
        const headers = version === undefined ? input.headers : { ...input.headers, [CONFIG_VERSION_HEADER]: defaultPayloadConverter.toPayload(version) };
        return next({ ...input, headers, options: summary ? { ...input.options, summary } : input.options });
      },
    },
  ],
  inbound: [
    {
      async execute(input, next) {
        try {
          return await next(input);
        } finally {
          showProgress(liveResult());
        }
      },
    },
  ],
});
