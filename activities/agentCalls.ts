/**
 * One model call and one tool call of a team agent: each is its own activity,
 * so a crash never repeats a finished call. Content goes to the blob store;
 * what returns to history is references plus the little the workflow decides on.
 */
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promises as fs } from 'node:fs';
import { ApplicationFailure } from '@temporalio/common';
import type { CallModelInput, CallModelOutput, RunToolInput, RunToolOutput } from '../mas/contract';
import { FAILURE_TYPES } from '../mas/contract';
import type { ChatMessage, ToolCall, ToolResult } from '../mas/messages';
import { priceOf, promptChars } from '../mas/cost';
import { isBudgetRefusal, withBudget } from './models/budgetGuard';
import { REFUSED_TOOL_CALL, boundText } from '../mas/agentLoop';
import { previewOf } from '../mas/content';
import { TOOL_CALL_ERRORS, agentMessages } from '../mas/prompts';
import { getJson } from './blobStore';
import { extractAnswer } from '../mas/vote';
import { activityInfo, appendLedger, clientFor, toFailure, withHeartbeat, type Runtime } from './runtime';
import { runDir } from './home';
import { dataPaths } from './dataPaths';
import { executeTool, toolDefinitions } from './tools/registry';
import { isToolCrashError } from './tools/errors';

export async function callModel(rt: Runtime, input: CallModelInput): Promise<CallModelOutput> {
  const started = Date.now();
  const info = activityInfo();
  const backbone = input.backbone;
  if (input.injectError) {
    throw ApplicationFailure.create({ message: `injected fault: model call ${input.callKey} on ${backbone.id} failed`, type: FAILURE_TYPES.injected, nonRetryable: true });
  }
  const upstream = await Promise.all(input.upstream.map(async (u) => ({ agent: u.agent, role: u.role, text: await rt.blobs.get(u.ref) })));
  const feedback = input.feedbackRef ? await rt.blobs.get(input.feedbackRef) : undefined;
  const history = await Promise.all(input.conversation.map((ref) => getJson<ChatMessage>(rt.blobs, ref)));
  // The last turn (or one after repeated tool calls) has no tools: the messages say so, so the agent answers.
  const messages = agentMessages(input.task, input.agent, upstream, feedback, history, input.withoutTools);
  const tools = input.agent.tools.length && !input.withoutTools ? (input.toolDefs ?? toolDefinitions(input.agent.tools)) : undefined;
  const chars = promptChars(messages, tools);
  // The agent's turn loop is one conversation: its next turn resends this prompt and extends it.
  // An ensemble's samples are separate conversations, so a server with slots serves them side by side.
  const conversation = `${input.workflowId}/agent/${input.agent.id}${input.sample ? `#${input.sample.index}` : ''}`;
  if (input.extraLatencyMs) await withHeartbeat(sleep(input.extraLatencyMs, undefined, { signal: info.signal }), info.heartbeat);
  let response;
  try {
    response = await withHeartbeat(
      withBudget(clientFor(rt, backbone), input.maxCostUsd).complete({
        backbone,
        messages,
        tools,
        signal: info.signal,
        conversation,
        ...(input.sampling ? { sampling: input.sampling } : {}),
        sim: {
          purpose: 'agent',
          task: input.task,
          seed: input.seed,
          callKey: `${input.callKey}#${info.attempt}`,
          agentId: input.agent.id,
          agentRole: input.agent.role,
          ...(input.agent.operator ? { extra: { operator: input.agent.operator, ...(input.sample ? { sample: input.sample } : {}) } } : {}),
        },
      }),
      info.heartbeat,
    );
  } catch (e) {
    if (isBudgetRefusal(e)) {
      throw ApplicationFailure.create({ message: `${input.agent.id}'s call on ${backbone.id} was not started: ${e.message}`, type: FAILURE_TYPES.budget, nonRetryable: true, details: [{ needUsd: e.needUsd }] });
    }
    throw toFailure(e, `agent ${input.agent.id} on ${backbone.id}`);
  }
  const final = response.toolCalls.length === 0;
  // A final answer ends the agent's turn loop (a later re-run after a patch starts a new one).
  if (final) clientFor(rt, backbone).endConversation?.(conversation);
  const assistant: ChatMessage = { role: 'assistant', content: response.content, toolCalls: response.toolCalls.length ? response.toolCalls : undefined };
  const assistantJson = JSON.stringify(assistant);
  const messageRef = await rt.blobs.put(assistantJson);
  // Calls past the per-turn cap are answered here with a short error, never executed.
  const refused = input.maxToolCalls !== undefined ? response.toolCalls.slice(input.maxToolCalls) : [];
  const refusedMessageRefs = await Promise.all(
    refused.map((c) => rt.blobs.put(JSON.stringify({ role: 'tool', toolCallId: c.id, content: JSON.stringify({ ok: false, output: REFUSED_TOOL_CALL, error: REFUSED_TOOL_CALL }) } satisfies ChatMessage))),
  );
  const text = response.content ?? '';
  const contentRef = final ? await rt.blobs.put(text) : null;
  await appendLedger(rt, { kind: 'llm', workflowId: input.workflowId, agent: input.agent.id, callKey: input.callKey, attempt: info.attempt });
  return {
    messageRef,
    preview: final ? previewOf(text) : null,
    contentChars: final ? text.length : undefined,
    contentRef,
    toolCalls: response.toolCalls,
    refusedMessageRefs: refusedMessageRefs.length ? refusedMessageRefs : undefined,
    usage: response.usage,
    costUsd: priceOf(response.usage, backbone),
    durationMs: Date.now() - started,
    promptChars: chars,
    replyChars: assistantJson.length,
    attempts: info.attempt,
    ...(input.answer ? { extracted: final && input.answer !== 'code' ? extractAnswer(text, input.answer) : null } : {}),
  };
}

export async function runTool(rt: Runtime, input: RunToolInput): Promise<RunToolOutput> {
  const started = Date.now();
  const info = activityInfo();
  const name = input.call.name;
  if (input.injectCrash) {
    throw ApplicationFailure.create({ message: `injected fault: tool ${name} crashed (${input.callKey})`, type: FAILURE_TYPES.toolCrash, nonRetryable: true, details: [{ tool: name }] });
  }
  const result: ToolResult = input.allowedTools.includes(name)
    ? await executeToolCall(rt, input.workflowId, input.agent, input.call)
    : { ok: false, output: TOOL_CALL_ERRORS.notAllowed(name, input.agent, input.allowedTools) };
  // What the model reads next is bounded, so one chatty tool cannot blow up every later prompt.
  const bounded: ToolResult = { ...result, output: boundText(result.output), ...(result.error !== undefined ? { error: boundText(result.error) } : {}) };
  const message: ChatMessage = { role: 'tool', toolCallId: input.call.id, content: JSON.stringify(bounded) };
  const messageJson = JSON.stringify(message);
  const messageRef = await rt.blobs.put(messageJson);
  await appendLedger(rt, { kind: 'tool', workflowId: input.workflowId, agent: input.agent, callKey: input.callKey, attempt: info.attempt });
  return {
    messageRef,
    chars: messageJson.length,
    ok: result.ok,
    // A failure's preview ends with the stderr tail (a traceback's last lines say what broke).
    preview: result.ok ? result.output.slice(0, 200) : [(result.error ?? result.output).slice(0, 200), result.stderr?.trim().slice(-300)].filter(Boolean).join('\n'),
    limit: 'limit' in result ? result.limit : undefined,
    durationMs: Date.now() - started,
    attempts: info.attempt,
  };
}

/**
 * Runs one tool call in the run's workspace. A crash that trying again can fix (an HTTP search
 * service's 429/5xx) is retried by Temporal; only after the retries, or for any other crash,
 * does it fire the Rectifier (failure type ToolCrashed).
 */
export async function executeToolCall(rt: Runtime, workflowId: string, agent: string, call: ToolCall): Promise<ToolResult> {
  const info = activityInfo();
  const name = call.name;
  const workspaceDir = path.join(runDir(rt.home, workflowId), 'workspace');
  await fs.mkdir(workspaceDir, { recursive: true });
  try {
    const ctx = { workspaceDir, dataPaths: dataPaths(rt.home), signal: info.signal, heartbeat: () => info.heartbeat(), workflowId, agent };
    return await withHeartbeat(rt.tools ? rt.tools.execute(name, call.arguments, ctx) : executeTool(name, call.arguments, ctx), info.heartbeat);
  } catch (e) {
    if (isToolCrashError(e)) {
      const retryable = (e as { retryable?: boolean }).retryable === true;
      throw ApplicationFailure.create({
        message: `tool ${name} crashed: ${(e as Error).message}`,
        type: retryable ? 'ToolTransient' : FAILURE_TYPES.toolCrash,
        nonRetryable: !retryable,
        details: [{ tool: name }],
      });
    }
    throw e;
  }
}
