/** Small builders shared by the mas/ unit tests (not a test file itself). */
import { ConfigSchema, PoolSchema, TemplateSchema, type AgentOutput, type Config, type Pool, type Step, type Template } from '../../../mas/schemas';

export interface AgentInput {
  id: string;
  tools?: string[];
  instructions?: string;
  role?: string;
  verifier?: boolean;
}

/** A template from agent ids (or partial specs) and "A>B" edge strings. */
export function tmpl(
  agents: (string | AgentInput)[],
  edges: string[] = [],
  finalAgent?: string,
  loops: { from: string; to: string; maxRounds: number }[] = [],
): Template {
  const specs = agents.map((a) => (typeof a === 'string' ? { id: a } : a));
  return TemplateSchema.parse({
    name: 'test',
    agents: specs.map((a) => ({
      id: a.id,
      role: a.role ?? `role of ${a.id}`,
      instructions: a.instructions ?? `do ${a.id}`,
      tools: a.tools ?? [],
      ...(a.verifier ? { verifier: true } : {}),
    })),
    edges: edges.map((e) => {
      const [from, to] = e.split('>');
      return { from, to };
    }),
    loops,
    finalAgent: finalAgent ?? specs[specs.length - 1].id,
  });
}

/** A template that skips schema parsing, for feeding deliberately broken shapes to templateProblems. */
export function rawTmpl(agentIds: string[], edges: string[], finalAgent: string, toolsOf: Record<string, string[]> = {}): Template {
  return {
    name: 'raw',
    agents: agentIds.map((id) => ({ id, role: 'r', instructions: 'i', tools: toolsOf[id] ?? [], maxTurns: 4 })),
    edges: edges.map((e) => {
      const [from, to] = e.split('>');
      return { from, to };
    }),
    loops: [],
    finalAgent,
  };
}

export const POOL: Pool = PoolSchema.parse({
  default: 'mid',
  backbones: [
    { id: 'cheap', provider: 'sim', model: 'c', pricing: { inputPerM: 0.1, outputPerM: 0.4 } },
    { id: 'mid', provider: 'sim', model: 'm', pricing: { inputPerM: 1, outputPerM: 4 } },
    { id: 'big', provider: 'sim', model: 'b', pricing: { inputPerM: 10, outputPerM: 40 } },
  ],
});

export function cfg(template: Template, backbone: string | Record<string, string> = 'mid', version = 1): Config {
  const assignment =
    typeof backbone === 'string' ? Object.fromEntries(template.agents.map((a) => [a.id, backbone])) : { ...backbone };
  return ConfigSchema.parse({ template, assignment, version });
}

export function out(text: string, inputsKey: string, backbone = 'mid'): AgentOutput {
  return { text, ref: `blob:${text}`, configVersion: 1, backbone, inputsKey };
}

export function llmStep(inputTokens: number, outputTokens: number, agent = 'A'): Step {
  return {
    agent,
    backbone: 'mid',
    kind: 'llm',
    callIndex: 0,
    status: 'completed',
    attempts: 1,
    usage: { inputTokens, outputTokens },
    costUsd: 0,
    durationMs: 1,
    configVersion: 1,
  };
}
