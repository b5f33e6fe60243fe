/**
 * The Generator's prompt: design ⟨R, P, T⟩ for one task, without models. Compact on purpose:
 * a 0.5B model reads ~200 prompt tokens/s, so the schema is one line of shape plus the rules
 * it breaks most and one worked example; the full JSON schema travels as response_format
 * (grammar-constrained on llama.cpp). Static first: everything but the task is the same for
 * every run with the same tools.
 */
import type { ChatMessage } from '../messages';
import { KNOWN_TOOLS, type ToolSpec } from '../tools';
import { toolMenu } from './tools';

const EXAMPLE_TEMPLATE = {
  name: 'code-check',
  agents: [
    { id: 'coder', role: 'Coder', instructions: 'Write the function in a ```python block with a few assert tests, and run it with the python tool.', tools: ['python'] },
    { id: 'checker', role: 'Checker', instructions: 'Check the code against the task. Start with PASS or FAIL, then say why.', tools: [], verifier: true },
  ],
  edges: [{ from: 'coder', to: 'checker' }],
  loops: [],
  finalAgent: 'checker',
};

export function generatorMessages(task: string, tools: readonly string[] = KNOWN_TOOLS, specs?: readonly ToolSpec[]): ChatMessage[] {
  return [
    {
      role: 'system',
      content: [
        'You are the Generator of MAS²: design a small team of agents for one task. Do not choose models.',
        'Answer with one JSON object: {"name": str, "agents": [{"id": str, "role": str, "instructions": one or two sentences, "tools": [tool], "verifier": bool (optional)}], "edges": [{"from": id, "to": id}], "loops": [], "finalAgent": id}.',
        'Rules: 2 or 3 agents (at most 5). Edges say whose output feeds whom: no cycles, never from an agent to itself. Every agent must reach finalAgent through edges; finalAgent is the last agent and feeds no one.',
        'A checking agent has "verifier": true and starts its answer with PASS or FAIL; the answer of the run is then the output it checked.',
        `Tools: ${toolMenu(tools, specs)}. Use only these.`,
        'Example, for "Write is_even(n) in Python and test it":',
        JSON.stringify(EXAMPLE_TEMPLATE),
      ].join('\n'),
    },
    { role: 'user', content: `Task:\n${task}` },
  ];
}
