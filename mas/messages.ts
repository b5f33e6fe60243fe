/**
 * What a model call and a tool call look like to the rest of mas2, independent
 * of the provider (OpenAI-compatible endpoint or the offline simulator).
 */
import { z } from 'zod';
import { UsageSchema, MetaRoleSchema } from './schemas';

export const ToolCallSchema = z.object({
  id: z.string(),
  name: z.string(),
  /** JSON text exactly as the model produced it; parsed and validated by the tool. */
  arguments: z.string(),
});
export type ToolCall = z.infer<typeof ToolCallSchema>;

export const ChatMessageSchema = z.object({
  role: z.enum(['system', 'user', 'assistant', 'tool']),
  content: z.string().nullable(),
  toolCalls: z.array(ToolCallSchema).optional(),
  toolCallId: z.string().optional(),
});
export type ChatMessage = z.infer<typeof ChatMessageSchema>;

/** A function-calling definition derived from a tool's zod input schema. */
export const ToolDefinitionSchema = z.object({
  name: z.string(),
  description: z.string(),
  parameters: z.record(z.string(), z.unknown()),
});
export type ToolDefinition = z.infer<typeof ToolDefinitionSchema>;

/**
 * What the simulator needs to act like a model without parsing prompts. Real
 * providers ignore it; it never reaches a real endpoint.
 */
export const SimContextSchema = z.object({
  purpose: z.union([MetaRoleSchema, z.literal('agent')]),
  task: z.string(),
  seed: z.number().int(),
  /** Stable per call: the same call index gives the same simulated answer. */
  callKey: z.string(),
  agentId: z.string().optional(),
  agentRole: z.string().optional(),
  /** Free-form extra facts for the simulated meta-agents (pool, trigger, config). */
  extra: z.record(z.string(), z.unknown()).optional(),
});
export type SimContext = z.infer<typeof SimContextSchema>;

export const ModelResponseSchema = z.object({
  content: z.string().nullable(),
  toolCalls: z.array(ToolCallSchema),
  usage: UsageSchema,
  finishReason: z.string(),
});
export type ModelResponse = z.infer<typeof ModelResponseSchema>;

export const ToolResultSchema = z.object({
  ok: z.boolean(),
  /** What the agent sees: stdout / the value / the error message. */
  output: z.string(),
  error: z.string().optional(),
  /** Which sandbox limit was hit, if any: cpu, wall, memory, fsize, nproc, output. */
  limit: z.string().optional(),
  exitCode: z.number().int().nullable().optional(),
  stderr: z.string().optional(),
});
export type ToolResult = z.infer<typeof ToolResultSchema>;
