/**
 * The Generator's prompt: choose a team shape from the blueprint catalogue for one task, and
 * its parameters, without models. A choice cannot name a graph that breaks the rules (on the
 * local 1.5B, 13 of 15 free-form graphs did), so the prompt is a menu, not graph rules. Compact
 * on purpose: a 0.5B model reads ~200 prompt tokens/s; the JSON schema travels as
 * response_format (grammar-constrained on llama.cpp). Static first: everything but the task is
 * the same for every run with the same tools, so the server's prompt cache reuses it.
 */
import type { ChatMessage } from '../messages';
import type { BlueprintChoice } from '../schemas';
import { KNOWN_TOOLS, type ToolSpec } from '../tools';
import { BLUEPRINT_IDS } from '../blueprints';
import { BLUEPRINT_DESCRIPTIONS, CHOICE_FIELD_NOTES } from '../operatorText';
import { toolMenu } from './tools';

/** One worked example per kind of answer: the shape small models do best with for it. */
const EXAMPLES: { task: string; choice: BlueprintChoice }[] = [
  {
    task: 'Write is_even(n) in Python.',
    choice: { answer: 'code', blueprint: 'code-tests', k: 4, instructions: 'Handle zero and negative numbers.', rationale: 'Code is chosen best by running candidates on tests.' },
  },
  {
    task: 'A shop sells 3 pens at $2 each and 4 notebooks at $5 each. How much do they cost together?',
    choice: { answer: 'number', blueprint: 'program', rationale: 'A program computes the quantities exactly.' },
  },
  { task: 'Who wrote Middlemarch?', choice: { answer: 'text', blueprint: 'single', rationale: 'A short factual question: one agent is enough.' } },
];

export function generatorMessages(task: string, tools: readonly string[] = KNOWN_TOOLS, specs?: readonly ToolSpec[]): ChatMessage[] {
  const fields = Object.entries(CHOICE_FIELD_NOTES).map(([field, note]) => `- "${field}": ${note}`);
  return [
    {
      role: 'system',
      content: [
        'You are the Generator of MAS²: choose the team of agents for one task from the team shapes below, and set its parameters. Do not choose models.',
        'Team shapes ("blueprint"):',
        ...BLUEPRINT_IDS.map((id) => `- ${id}: ${BLUEPRINT_DESCRIPTIONS[id]}`),
        'Answer with one JSON object with these fields, in this order ("k", "tools" and "instructions" may be left out):',
        ...fields,
        `Tools: ${toolMenu(tools, specs)}. Use only these.`,
        'Examples:',
        ...EXAMPLES.map((e) => `Task: ${e.task}\n${JSON.stringify(e.choice)}`),
      ].join('\n'),
    },
    { role: 'user', content: `Task:\n${task}` },
  ];
}
