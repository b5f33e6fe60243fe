#!/usr/bin/env node
/**
 * How much of each kind of prompt a server slot's prompt cache can serve. For pairs of prompts
 * mas2 sends one after the other — the same meta-agent in two runs, the Rectifier twice in one
 * run, an agent re-run after a patch, the same role in another run — the number of leading
 * tokens the second shares with the first under the local models' chat template (llama-server's
 * /apply-template and /tokenize, so tool definitions are laid out exactly as the model sees
 * them). Once as this build lays the prompts out, once with the static text first (a what-if
 * layout defined here: agents get a fixed system frame and the tool definitions first, their role
 * and instructions at the head of the user message; the Rectifier's team-specific worked example
 * moves to the user message; the meta-agents' user messages put what changes least first — the
 * pool, the task, the team — and the trigger and the run's state last).
 *
 *   node scripts/measure-prompt-prefixes.js --base-url http://127.0.0.1:PORT [--data gsm8k/dev.jsonl]
 *
 * Needs `npm run build` (it reads dist/) and any running local llama-server (for its tokenizer;
 * the Qwen 0.5B and 1.5B share one). Prints a table and the JSON.
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
};
const base = arg('base-url', '').replace(/\/v1\/?$/, '').replace(/\/+$/, '');
if (!base) {
  process.stderr.write('usage: node scripts/measure-prompt-prefixes.js --base-url http://127.0.0.1:PORT [--data FILE]\n');
  process.exit(2);
}
const data = arg('data', path.join(process.env.MAS2_DATASETS || '/work/shared/datasets', 'gsm8k', 'dev.jsonl'));
const dist = path.join(__dirname, '..', 'dist');
const P = require(path.join(dist, 'activities/prompts.js'));
const { toolDefinitions } = require(path.join(dist, 'activities/tools/registry.js'));
const { fallbackTemplate } = require(path.join(dist, 'mas/templates.js'));
const { localPool } = require(path.join(dist, 'client/localModel/pool.js'));
const { KNOWN_TOOLS } = require(path.join(dist, 'mas/tools.js'));

const tools = KNOWN_TOOLS.filter((t) => t !== 'search');
const pool = localPool();
const [task1, task2] = fs
  .readFileSync(data, 'utf8')
  .split('\n')
  .filter(Boolean)
  .slice(0, 2)
  .map((l) => JSON.parse(l).question);

async function post(route, body) {
  const res = await fetch(`${base}${route}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`${route}: HTTP ${res.status} ${await res.text()}`);
  return res.json();
}

/** The token ids the server would process for this request. */
async function tokens(req) {
  const oaiTools = req.tools?.length ? req.tools.map((t) => ({ type: 'function', function: { name: t.name, description: t.description, parameters: t.parameters } })) : undefined;
  const { prompt } = await post('/apply-template', { messages: req.messages.map((m) => ({ role: m.role, content: m.content ?? '' })), ...(oaiTools ? { tools: oaiTools } : {}) });
  return (await post('/tokenize', { content: prompt, add_special: false })).tokens;
}

function commonPrefix(a, b) {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

// ---------------------------------------------------------------- what mas2 sends today
const team = fallbackTemplate(task1, tools);
const solver = team.agents.find((a) => a.tools.length) ?? team.agents[0];
const checker = team.agents.find((a) => a.verifier) ?? team.agents[team.agents.length - 1];
const config = (version, instructions) => ({ version, template: { ...team, agents: team.agents.map((a) => (a.id === solver.id && instructions ? { ...a, instructions } : a)) }, assignment: Object.fromEntries(team.agents.map((a) => [a.id, 'qwen-1.5b'])) });
const state = (finished, patches) => ({ costUsd: 0.001, budgetUsd: 1, finished, failedSteps: [], previousPatches: patches });
const trigger = (detail) => ({ kind: 'verifier', detail, agent: checker.id });
const upstream = (text) => [{ agent: 'analyst', role: 'Analyst', text }];

const today = {
  generator: (task) => ({ messages: P.generatorMessages(task, tools) }),
  implementer: (task) => ({ messages: P.implementerMessages(task, team, pool) }),
  rectifier: (task, cfg, st, trig) => ({ messages: P.rectifierMessages(task, cfg, st, trig, pool, tools) }),
  agent: (agent, task, up) => ({ messages: [{ role: 'system', content: P.agentSystemPrompt(agent) }, { role: 'user', content: P.agentUserPrompt(task, up) }], tools: agent.tools.length ? toolDefinitions(agent.tools) : undefined }),
};

// ---------------------------------------------------------------- static text first (what-if)
/** Moves what names this team or this agent from the system text to the head of the user message. */
function staticFirst(messages, movedOut) {
  const [system, user, ...rest] = messages;
  let sys = system.content;
  const moved = [];
  for (const m of movedOut) {
    if (sys.includes(m)) {
      sys = sys.replace(m, '').replace(/\n{2,}/g, '\n').trim();
      moved.push(m);
    }
  }
  return [{ role: 'system', content: sys }, { role: 'user', content: [...moved, user.content].join('\n\n') }, ...rest];
}
const exampleLine = (msgs) => msgs[0].content.split('\n').find((l) => l.startsWith('Example: '));
/** The user message's sections (separated by a blank line, each starting with its label), in the order of `labels`. */
function sectionsInOrder(msgs, labels) {
  const [system, user, ...rest] = msgs;
  const sections = user.content.split('\n\n');
  const rank = (sec) => {
    const i = labels.findIndex((l) => sec.startsWith(l));
    return i < 0 ? labels.length : i;
  };
  const ordered = sections.map((sec, i) => ({ sec, i })).sort((a, b) => rank(a.sec) - rank(b.sec) || a.i - b.i);
  return [system, { role: 'user', content: ordered.map((x) => x.sec).join('\n\n') }, ...rest];
}
const FRAME = 'You are one agent in a team of agents working on one task. Your role and instructions come first in the message below, then the task.';
const reordered = {
  generator: today.generator,
  // The team and the pool before the task: the next run with the same built-in team shares them.
  implementer: (task) => ({ messages: sectionsInOrder(today.implementer(task).messages, ['Backbone pool:', 'Agents:', 'Task:']) }),
  // What changes least first: the pool, the task, the team; the trigger and the run's state last.
  rectifier: (task, cfg, st, trig) => {
    const msgs = sectionsInOrder(today.rectifier(task, cfg, st, trig).messages, ['Backbone pool:', 'Task:', 'Current system', 'Patches already applied:', 'Finished agents:', 'Failed steps:', 'Spent', 'Trigger:']);
    return { messages: staticFirst(msgs, [exampleLine(msgs)]) };
  },
  agent: (agent, task, up) => {
    const own = P.agentSystemPrompt(agent).split('\n');
    const toolLine = own.pop();
    return {
      messages: [
        { role: 'system', content: `${FRAME}\n${agent.tools.length ? 'When you are done with your tools, answer without calling a tool.' : toolLine}` },
        { role: 'user', content: `${own.join('\n')}\n\n${P.agentUserPrompt(task, up)}` },
      ],
      tools: agent.tools.length ? toolDefinitions(agent.tools) : undefined,
    };
  },
};

// ---------------------------------------------------------------- the pairs
const verdict1 = `FAIL: the result does not follow from the expression (run 1).`;
const pairs = [
  ['Generator, the next run (another task)', (L) => [L.generator(task1), L.generator(task2)]],
  ['Implementer, the next run (same built-in team, another task)', (L) => [L.implementer(task1), L.implementer(task2)]],
  [
    'Rectifier, second trigger of the same run (after a patch)',
    (L) => [
      L.rectifier(task1, config(1), state([{ agent: solver.id, preview: '42' }], []), trigger(verdict1)),
      L.rectifier(task1, config(2, `${solver.instructions}\nA reviewer rejected the previous attempt: ${verdict1} Fix it.`), state([{ agent: solver.id, preview: '41' }], ['[{"op":"set_instructions"}]']), trigger('FAIL: still wrong.')),
    ],
  ],
  ['Rectifier, the next run', (L) => [L.rectifier(task1, config(1), state([], []), trigger(verdict1)), L.rectifier(task2, config(1), state([], []), trigger(verdict1))]],
  [
    `Agent ${solver.id} (tools: ${solver.tools.join(', ') || 'none'}), re-run after a patch of its instructions`,
    (L) => [L.agent(solver, task1, upstream('48 + 24')), L.agent({ ...solver, instructions: `${solver.instructions}\nA reviewer rejected the previous attempt: ${verdict1} Fix it.` }, task1, upstream('48 + 24'))],
  ],
  [`Agent ${solver.id}, the next run`, (L) => [L.agent(solver, task1, upstream('48 + 24')), L.agent(solver, task2, upstream('2 + 1'))]],
  [`Agent ${checker.id}, the next run`, (L) => [L.agent(checker, task1, upstream('72')), L.agent(checker, task2, upstream('3'))]],
];

(async () => {
  const rows = [];
  for (const [what, make] of pairs) {
    const row = { what };
    for (const [name, layout] of [['today', today], ['staticFirst', reordered]]) {
      const [a, b] = make(layout);
      const [ta, tb] = [await tokens(a), await tokens(b)];
      row[name] = { tokens: tb.length, shared: commonPrefix(ta, tb) };
    }
    rows.push(row);
  }
  const pct = (r) => `${r.shared} of ${r.tokens} (${Math.round((100 * r.shared) / r.tokens)}%)`;
  process.stdout.write('| prompt pair | shared leading tokens today | with the static text first |\n|---|---|---|\n');
  for (const r of rows) process.stdout.write(`| ${r.what} | ${pct(r.today)} | ${pct(r.staticFirst)} |\n`);
  process.stdout.write(`\n${JSON.stringify(rows)}\n`);
})().catch((e) => {
  process.stderr.write(`measure-prompt-prefixes: ${e.message}\n`);
  process.exit(1);
});
