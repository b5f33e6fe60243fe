/**
 * Every text a model reads, rendered for one fixed task, pool and team and compared with the
 * reviewed snapshot in test/unit/__snapshots__/prompts.test.ts.snap, so a prompt change shows
 * in review. The simulator never reads most of these texts; this is what notices a change.
 *
 * Jest runs with `ci: true` (jest.config.js): a missing or obsolete snapshot fails instead of
 * being written. After reviewing a change: `npx jest test/unit/prompts.test.ts --ci=false -u`.
 */
import type { ChatMessage } from '../../mas/messages';
import type { Config, ToolSpec, Trigger } from '../../mas/schemas';
import { SIMULATOR_POOL } from '../../mas/simulatorPool';
import { KNOWN_TOOLS } from '../../mas/tools';
import { templateProblems } from '../../mas/graph';
import { fallbackPatch } from '../../mas/fallback';
import { KINDS_BY_URGENCY } from '../../mas/triggers';
import {
  BUILTIN_TEAMS,
  NO_TOOLS_REASONS,
  TOOL_CALL_ERRORS,
  agentMessages,
  generatorMessages,
  implementerMessages,
  rectifierMessages,
  refusedToolCall,
  repairPrompt,
} from '../../mas/prompts';
import { AGENT_LIMITS } from '../../mas/agentLoop';
import { toolDefinitions, toolParameters, getTool } from '../../activities/tools/registry';

const TASK = 'Write is_palindrome(s) in Python: it returns True when s reads the same backwards, ignoring case. Test it.';
const POOL = SIMULATOR_POOL;
const TEAM = BUILTIN_TEAMS.code;
const CONFIG: Config = { version: 2, template: TEAM, assignment: { planner: 'sim-small', coder: 'sim-large', reviewer: 'sim-large' } };
const CATALOGUE: ToolSpec[] = [
  ...KNOWN_TOOLS.map((n) => ({ name: n, description: getTool(n)!.description, parameters: toolParameters(getTool(n)!), source: 'builtin' as const })),
  { name: 'word_count', description: 'Counts the words in a text.\nReturns a number.', parameters: { type: 'object' }, source: 'own' },
];
const TOOLS = CATALOGUE.map((t) => t.name);
const STATE = {
  costUsd: 0.0021,
  budgetUsd: 0.05,
  finished: [
    { agent: 'planner', preview: '1. def is_palindrome(s) -> bool\n2. lower-case, compare with reverse\n3. check "", "Aba", "ab"' },
    { agent: 'coder', preview: 'def is_palindrome(s):\n    return s == s[::-1]' },
  ],
  failedSteps: [{ agent: 'coder', kind: 'tool', error: 'tool python crashed: sandbox could not start' }],
  previousPatches: ['[{"op":"set_backbone","agent":"coder","backbone":"sim-large"}]'],
};
const TRIGGERS: Record<string, Trigger> = {
  failure: { kind: 'failure', detail: 'tool python crashed: sandbox could not start', agent: 'coder', tool: 'python', backbone: 'sim-large', step: 4 },
  verifier: { kind: 'verifier', detail: '**FAIL** is_palindrome("Aba") returns False: the case is not ignored.', agent: 'reviewer', step: 6 },
  external: { kind: 'external', detail: 'use cheaper models from now on' },
  budget: { kind: 'budget', detail: 'cost so far $0.042000 is above θ_C = 80% of the $0.05 budget' },
  projected_budget: { kind: 'projected_budget', detail: 'cost so far $0.030000 + projected $0.030000 for unfinished agents exceeds the $0.05 budget' },
};
const UPSTREAM = {
  planner: '1. def is_palindrome(s) -> bool\n2. lower-case, compare with reverse\n3. check "", "Aba", "ab"',
  coder: '```python\ndef is_palindrome(s):\n    t = s.lower()\n    return t == t[::-1]\n\nassert is_palindrome("Aba")\n```\nChecks passed',
};

function rendered(messages: readonly ChatMessage[]): string {
  return messages
    .map((m) => {
      const calls = m.toolCalls?.length ? `\n[tool calls: ${m.toolCalls.map((c) => `${c.name}(${c.arguments})`).join(', ')}]` : '';
      return `--- ${m.role}${m.toolCallId ? ` (${m.toolCallId})` : ''} ---\n${m.content ?? ''}${calls}`;
    })
    .join('\n');
}

test('every trigger kind has an example here', () => {
  expect(Object.keys(TRIGGERS).sort()).toEqual([...KINDS_BY_URGENCY].sort());
});

describe('meta-agents', () => {
  test('Generator', () => {
    expect(rendered(generatorMessages(TASK, TOOLS, CATALOGUE))).toMatchSnapshot();
  });

  test('Implementer', () => {
    expect(rendered(implementerMessages(TASK, TEAM, POOL))).toMatchSnapshot();
  });

  test.each(KINDS_BY_URGENCY)('Rectifier on a %s trigger', (kind) => {
    expect(rendered(rectifierMessages(TASK, CONFIG, STATE, TRIGGERS[kind], POOL, TOOLS, CATALOGUE))).toMatchSnapshot();
  });

  test('the repair round after a broken template', () => {
    const broken = { ...TEAM, edges: [...TEAM.edges, { from: 'reviewer', to: 'planner' }, { from: 'coder', to: 'coder' }], finalAgent: 'coder' };
    const issues = templateProblems(broken, TOOLS).map((p) => `(root): ${p}`);
    expect(repairPrompt([...issues, 'agents.0.id: Invalid string: must match pattern'].join('; '))).toMatchSnapshot();
  });
});

describe('team agents', () => {
  test.each(TEAM.agents.map((a) => a.id))('%s: first turn, with its tool definitions', (id) => {
    const agent = TEAM.agents.find((a) => a.id === id)!;
    const upstream = TEAM.edges.filter((e) => e.to === id).map((e) => ({ agent: e.from, role: TEAM.agents.find((a) => a.id === e.from)!.role, text: UPSTREAM[e.from as keyof typeof UPSTREAM] }));
    const tools = agent.tools.length ? `\n=== tools ===\n${JSON.stringify(toolDefinitions(agent.tools), null, 2)}` : '';
    expect(rendered(agentMessages(TASK, agent, upstream, undefined, [])) + tools).toMatchSnapshot();
  });

  test('coder: the last turn after a tool call, with reviewer feedback, offered no tools', () => {
    const coder = TEAM.agents.find((a) => a.id === 'coder')!;
    const history: ChatMessage[] = [
      { role: 'assistant', content: null, toolCalls: [{ id: 'call_1', name: 'python', arguments: '{"code": "print(1)"}' }] },
      { role: 'tool', toolCallId: 'call_1', content: '{"ok":true,"output":"1\\n"}' },
    ];
    const messages = agentMessages(TASK, coder, [{ agent: 'planner', role: 'Planner', text: UPSTREAM.planner }], 'REVISE: test the empty string too', history, NO_TOOLS_REASONS.lastTurn);
    expect(rendered(messages)).toMatchSnapshot();
  });

  test('what a tool call gets back when it could not run', () => {
    expect(
      [
        refusedToolCall(AGENT_LIMITS.maxToolCallsPerTurn),
        TOOL_CALL_ERRORS.unknownTool('shell', KNOWN_TOOLS),
        TOOL_CALL_ERRORS.notAllowed('python', 'planner', []),
        TOOL_CALL_ERRORS.badJson('calculator', 'Unexpected end of JSON input'),
        TOOL_CALL_ERRORS.badJson('word_count', 'Unexpected end of JSON input'),
        TOOL_CALL_ERRORS.invalidArguments('calculator', ['expression: Invalid input: expected string, received number'], toolParameters(getTool('calculator')!)),
        TOOL_CALL_ERRORS.notAnObject('fs__read', { type: 'object', properties: { path: { type: 'string' } } }),
        ...Object.values(NO_TOOLS_REASONS).map((r) => (typeof r === 'function' ? r(3) : r)),
      ].join('\n\n'),
    ).toMatchSnapshot();
  });
});

test.each(KINDS_BY_URGENCY)('the instructions the rule-based patch for a %s trigger writes', (kind) => {
  const finished = new Set(kind === 'verifier' ? ['planner', 'coder', 'reviewer'] : ['planner']);
  expect(fallbackPatch(CONFIG, POOL, TRIGGERS[kind], finished)).toMatchSnapshot();
});
