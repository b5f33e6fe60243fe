#!/usr/bin/env node
/**
 * First-try validity of the meta-agent prompts on a real backbone, old build vs this one:
 * for a fixed spread of GSM8K and HumanEval dev problems, the Generator (and the Implementer
 * on the built-in team) is asked once through each build's prompts and structured-output
 * layer (with its repair round), and judged by THIS build's rules (templateProblems with the
 * tools available here: no documents, so no search). Prints per-variant counts of
 * first-try / repaired / failed and the mean seconds per decision.
 *
 *   node scripts/measure-meta-prompts.js --base-url http://127.0.0.1:8091/v1 --model qwen2.5-coder-1.5b-instruct \
 *        --old /work/main/dist --new dist [--n 5] [--roles generator,implementer]
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
};
const baseURL = arg('base-url', 'http://127.0.0.1:8091/v1');
const model = arg('model', 'qwen2.5-coder-1.5b-instruct');
const n = Number(arg('n', '5'));
const roles = arg('roles', 'generator,implementer').split(',');
const builds = { old: path.resolve(arg('old', '/work/main/dist')), new: path.resolve(arg('new', path.join(__dirname, '..', 'dist'))) };
const datasets = process.env.MAS2_DATASETS || '/work/shared/datasets';

const judge = builds.new;
const { templateProblems } = require(path.join(judge, 'mas/graph.js'));
const { TemplateSchema, ImplementerOutputSchema, PoolSchema } = require(path.join(judge, 'mas/schemas.js'));
const { fallbackTemplate } = require(path.join(judge, 'mas/templates.js'));
const { KNOWN_TOOLS } = require(path.join(judge, 'mas/tools.js'));
const tools = KNOWN_TOOLS.filter((t) => t !== 'search');

const backbone = { id: 'meta', provider: 'openai', model, baseURL, pricing: { inputPerM: 0, outputPerM: 0 }, hints: { strengths: [], structuredOutputs: true }, maxOutputTokens: 512 };
const pool = PoolSchema.parse({
  default: 'qwen-05b',
  backbones: [
    { ...backbone, id: 'qwen-05b', model: 'qwen2.5-coder-0.5b-instruct', hints: { strengths: ['cheap', 'simple'], structuredOutputs: true } },
    { ...backbone, id: 'qwen-15b', hints: { strengths: ['code', 'math', 'reasoning'], structuredOutputs: true } },
  ],
});

const readJsonl = (f) => fs.readFileSync(f, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
const spread = (rows, k) => Array.from({ length: k }, (_, i) => rows[i * Math.floor(rows.length / k) + 2]);
const tasks = [];
const gsm = spread(readJsonl(path.join(datasets, 'gsm8k/dev.jsonl')), n).map((r) => `${r.question}\nGive the final answer as a number.`);
const he = spread(readJsonl(path.join(datasets, 'humaneval/dev.jsonl')), n).map((r) => `Complete this Python function.\n\n\`\`\`python\n${r.prompt}\`\`\``);
for (let i = 0; i < n; i++) tasks.push(gsm[i], he[i]);

const checkedTemplate = TemplateSchema.superRefine((t, ctx) => {
  for (const p of templateProblems(t, tools)) ctx.addIssue({ code: 'custom', message: p });
});
function checkedAssignment(template) {
  const ids = pool.backbones.map((b) => b.id);
  return ImplementerOutputSchema.superRefine((o, ctx) => {
    for (const a of o.assignment) if (!ids.includes(a.backbone)) ctx.addIssue({ code: 'custom', message: `agent "${a.agent}": backbone "${a.backbone}" is not in the pool (${ids.join(', ')})` });
    for (const ag of template.agents) if (!o.assignment.some((a) => a.agent === ag.id)) ctx.addIssue({ code: 'custom', message: `agent "${ag.id}" has no backbone` });
  });
}

async function decide(variant, role, task) {
  const dist = builds[variant];
  const prompts = require(path.join(dist, 'activities/prompts.js'));
  const { completeStructured } = require(path.join(dist, 'activities/models/structured.js'));
  const { OpenAIClient } = require(path.join(dist, 'activities/models/openai.js'));
  const client = new OpenAIClient({ apiKey: 'none', maxRetries: 0 });
  let messages, schema;
  if (role === 'generator') {
    messages = variant === 'new' ? prompts.generatorMessages(task, tools) : prompts.generatorMessages(task);
    schema = checkedTemplate;
  } else {
    const template = fallbackTemplate(task, tools);
    messages = prompts.implementerMessages(task, template, pool);
    schema = checkedAssignment(template);
  }
  const started = Date.now();
  try {
    const r = await completeStructured(client, { backbone, messages, timeoutMs: 600_000 }, schema, role);
    return { variant, role, outcome: r.repaired ? 'repair' : 'firstTry', seconds: (Date.now() - started) / 1000, promptChars: JSON.stringify(messages).length };
  } catch (e) {
    // Only a schema failure after the repair round is a fallback; a timeout or a connection error says nothing about the prompt.
    return { variant, role, outcome: e.kind === 'schema' ? 'fallback' : 'error', seconds: (Date.now() - started) / 1000, promptChars: JSON.stringify(messages).length, error: String(e.message).slice(0, 300) };
  }
}

(async () => {
  const rows = [];
  const jobs = [];
  for (const task of tasks) for (const role of roles) for (const variant of ['old', 'new']) jobs.push({ task, role, variant });
  const lanes = Number(arg('parallel', '2'));
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      for (let j = jobs.shift(); j; j = jobs.shift()) {
        const r = await decide(j.variant, j.role, j.task);
        rows.push(r);
        console.error(JSON.stringify({ ...r, task: j.task.slice(0, 50) }));
      }
    }),
  );
  const table = {};
  for (const r of rows) {
    const k = `${r.role}/${r.variant}`;
    const t = (table[k] = table[k] ?? { firstTry: 0, repair: 0, fallback: 0, error: 0, seconds: 0, promptChars: 0, n: 0 });
    t[r.outcome]++;
    t.seconds += r.seconds;
    t.promptChars += r.promptChars;
    t.n++;
  }
  for (const t of Object.values(table)) {
    t.meanSeconds = +(t.seconds / t.n).toFixed(1);
    t.meanPromptChars = Math.round(t.promptChars / t.n);
    delete t.seconds;
    delete t.promptChars;
  }
  console.log(JSON.stringify(table, null, 2));
})();
