/**
 * The offline simulator backbone (provider "sim"). Deterministic for a given
 * seed and call key; it answers the three meta-agents with schema-valid JSON
 * and plays agents that request tools and then finish. It is a test and demo
 * harness, not a model: its "reasoning" is a lookup on the task kind.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { ChatMessage, ModelResponse, SimContext, ToolCall } from '../../mas/messages';
import type { BlueprintChoice, Config, Operator, Patch, PatchOp, Pool, Template, Trigger } from '../../mas/schemas';
import { seededRandom } from '../../mas/hash';
import { classifyTask } from '../../mas/templates';
import { backbonePrice, cheapestBackbone, strongestBackbone, typicalPrice } from '../../mas/pool';
import { fallbackPatch } from '../../mas/fallback';
import { estimateTokens, promptChars, promptTokens } from '../../mas/cost';
import { sampleOfCallKey } from '../../mas/cto';
import { KNOWN_TOOLS, type ToolSpec } from '../../mas/tools';
import { ANSWER_OF_TASK_KIND } from '../../mas/blueprints';
import { sampleMember, type AnswerKind, type EnsembleSample } from '../../mas/operators';
import { ModelError, type ModelClient, type ModelRequest } from './types';

export class SimulatorClient implements ModelClient {
  async complete(req: ModelRequest): Promise<ModelResponse> {
    const ctx = req.sim;
    if (!ctx) throw new ModelError(`backbone ${req.backbone.id}: the simulator needs a sim context`, 'config', false);
    const knobs = req.backbone.sim ?? { latencyMs: 0, failureRate: 0, quality: 0.9 };
    // Transient failures vary with the attempt (callKey "…#N") so a retry can succeed; the
    // answer itself depends only on the call, so a call retried after a crash answers the same.
    const failureDraw = seededRandom(`${ctx.seed}|${req.backbone.id}|${ctx.callKey}|failure`)();
    const rng = seededRandom(`${ctx.seed}|${req.backbone.id}|${ctx.callKey.replace(/#\d+$/, '')}`);
    if (knobs.latencyMs > 0) await sleep(knobs.latencyMs, undefined, { signal: req.signal });
    if (failureDraw < knobs.failureRate) throw new ModelError(`simulated 503 from ${req.backbone.id}`, 'server', true, 503);
    const quality = knobs.quality;
    let content: string | null;
    let toolCalls: ToolCall[] = [];
    switch (ctx.purpose) {
      case 'generator':
        content = simBlueprintChoice(ctx, req.messages, rng, quality);
        break;
      case 'implementer':
        content = simImplementer(ctx, req.messages, rng, quality);
        break;
      case 'rectifier':
        content = simRectifier(ctx, req.messages, rng, quality);
        break;
      default: {
        const turn = simAgent(ctx, req, rng, quality);
        content = turn.content;
        toolCalls = turn.toolCalls;
        if (knobs.outputChars && content !== null && toolCalls.length === 0) content = padded(content, knobs.outputChars, ctx.callKey.replace(/#\d+$/, ''));
      }
    }
    const outChars = (content?.length ?? 0) + JSON.stringify(toolCalls).length;
    return {
      content,
      toolCalls,
      // Billed by the rule the budget guard counts with (the structured-output schema aside);
      // like a real endpoint given max_tokens, the simulator never bills more output than allowed.
      usage: { inputTokens: promptTokens(promptChars(req.messages, req.tools)), outputTokens: Math.min(estimateTokens(outChars) + 8, req.maxOutputTokens ?? req.backbone.maxOutputTokens) },
      finishReason: toolCalls.length ? 'tool_calls' : 'stop',
    };
  }
}

/** A repair round is visible as an earlier assistant answer in the conversation. */
function isRepair(messages: ChatMessage[]): boolean {
  return messages.some((m) => m.role === 'assistant');
}

/** Below-quality meta answers come out malformed once, so the repair path runs. */
function malformedOnce(messages: ChatMessage[], rng: () => number, quality: number): boolean {
  return !isRepair(messages) && rng() > quality + (1 - quality) / 2;
}

/**
 * The simulated Generator's choice from the catalogue, its stand-in for reading the task: the
 * kind of task decides the answer; a short task with one arithmetic expression gets one agent;
 * math gets a programmer, code the plan → code → test team. CTO samples (callKey `cto:…:<n>`)
 * choose differently: 1 — self-consistency, 2 — a vote of programs (code: code + tests).
 * Below-quality answers name a blueprint outside the catalogue once, so the repair path runs.
 */
function simBlueprintChoice(ctx: SimContext, messages: ChatMessage[], rng: () => number, quality: number): string {
  if (malformedOnce(messages, rng, quality)) return JSON.stringify({ answer: 'number', blueprint: 'debate', rationale: 'two agents argue' });
  const kind = classifyTask(ctx.task);
  const answer = ANSWER_OF_TASK_KIND[kind];
  const easy = kind === 'math' && ctx.task.length < 120 && mathExpression(ctx.task) !== null;
  const variant = sampleOfCallKey(ctx.callKey) % 3;
  const offered = offeredTools(ctx.task, (ctx.extra?.tools as ToolSpec[] | undefined) ?? []);
  let choice: BlueprintChoice;
  // A task that names one of the run's own tools gets one agent with it (the tools of the answer kind beside it).
  if (offered.length) choice = { answer, blueprint: 'single', tools: [...(answer === 'number' ? ['calculator'] : answer === 'code' ? ['python'] : []), ...offered], rationale: 'The task needs one of its own tools.' };
  else if (variant === 1) choice = { answer, blueprint: 'self-consistency', k: 3, rationale: 'Several samples and a vote.' };
  else if (variant === 2) choice = { answer, blueprint: kind === 'code' ? 'code-tests' : kind === 'math' ? 'program-vote' : 'self-consistency', k: 3, rationale: 'Execution and a vote.' };
  else if (kind === 'code') choice = { answer, blueprint: 'plan-code-test', rationale: 'Code is checked best by running it on the examples.' };
  else if (kind === 'math') choice = easy ? { answer, blueprint: 'single', rationale: 'One expression: one agent is enough.' } : { answer, blueprint: 'program', rationale: 'A program computes the quantities exactly.' };
  else choice = { answer, blueprint: 'single', rationale: 'A short question: one agent.' };
  return JSON.stringify(choice);
}

const TOOL_WORD_STOPLIST = new Set(['get', 'set', 'the', 'and', 'run', 'tool', 'use', 'make', 'list', 'call', 'with', 'for']);

/** The words of a tool's own name (after an MCP server prefix) that tell what it does. */
function toolWords(name: string): string[] {
  const own = name.includes('__') ? name.slice(name.indexOf('__') + 2) : name;
  return own
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w.length >= 3 && !TOOL_WORD_STOPLIST.has(w));
}

/** The run's own or MCP tools the task asks for: a word of the tool's name occurs in the task, or the task names it. */
function offeredTools(task: string, catalogue: ToolSpec[]): string[] {
  const taskWords = new Set(task.toLowerCase().split(/[^a-z0-9]+/).map((w) => w.replace(/s$/, '')));
  return catalogue
    .filter((spec) => !(KNOWN_TOOLS as readonly string[]).includes(spec.name))
    .filter((spec) => task.includes(spec.name) || toolWords(spec.name).some((w) => taskWords.has(w) || taskWords.has(w.replace(/s$/, ''))))
    .map((spec) => spec.name);
}

/** Arguments for a tool the simulator has no script for, from its JSON schema: numbers from the task in order, strings from quotes or the task. */
function argumentsFromSchema(parameters: Record<string, unknown>, task: string): Record<string, unknown> {
  const props = (parameters.properties ?? {}) as Record<string, { type?: string | string[]; enum?: unknown[]; default?: unknown }>;
  const numbers = (task.match(/-?\d+(?:\.\d+)?/g) ?? []).map(Number);
  const quoted = [...task.matchAll(/["'“]([^"'”]+)["'”]/g)].map((m) => m[1]);
  const out: Record<string, unknown> = {};
  for (const [key, p] of Object.entries(props)) {
    const type = Array.isArray(p.type) ? p.type[0] : p.type;
    if (p.enum?.length) out[key] = p.enum[0];
    else if (p.default !== undefined) out[key] = p.default;
    else if (type === 'number' || type === 'integer') out[key] = numbers.shift() ?? 1;
    else if (type === 'boolean') out[key] = false;
    else if (type === 'array') out[key] = [];
    else if (type === 'object') out[key] = {};
    else out[key] = quoted.shift() ?? task.slice(0, 200);
  }
  return out;
}

const EASY_ROLES = /planner|review|check|analyst|answer|summar|writer|verif/i;

function simImplementer(ctx: SimContext, messages: ChatMessage[], rng: () => number, quality: number): string {
  if (malformedOnce(messages, rng, quality)) return '{"assignment": "all on the big one"}';
  const template = ctx.extra?.template as Template;
  const pool = ctx.extra?.pool as Pool;
  const cheap = cheapestBackbone(pool);
  const kind = classifyTask(ctx.task);
  // CTO samples (callKey `cto:...:<n>`, n > 0): 1 — everything on the cheapest backbone, 2 — on the strongest.
  const variant = sampleOfCallKey(ctx.callKey) % 3;
  if (variant !== 0) {
    const pick = variant === 1 ? cheap : strongestBackbone(pool);
    const all = template.agents.map((a) => ({ agent: a.id, backbone: pick.id, reason: `every agent on the ${variant === 1 ? 'cheapest' : 'strongest'} backbone` }));
    return JSON.stringify({ assignment: all, rationale: variant === 1 ? 'Spend as little as possible: one cheap backbone for the whole team.' : 'Maximise quality: the strongest backbone for the whole team.' });
  }
  const assignment = template.agents.map((a) => {
    if (EASY_ROLES.test(a.role) && !a.tools.length) return { agent: a.id, backbone: cheap.id, reason: `${a.role} is an easy role` };
    const skilled = [...pool.backbones]
      .filter((b) => b.hints.strengths.includes(kind))
      .sort((x, y) => typicalPrice(x) - typicalPrice(y));
    const pick = kind === 'code' ? strongestBackbone(pool) : (skilled[0] ?? strongestBackbone(pool));
    return { agent: a.id, backbone: pick.id, reason: `${a.role} does the ${kind} work` };
  });
  // Like a sensible model, never a verifier weaker than what it checks (the Implementer's rule).
  const price = (id: string) => backbonePrice(pool, id) ?? 0;
  for (const v of assignment) {
    if (!template.agents.find((a) => a.id === v.agent)?.verifier) continue;
    for (const e of template.edges.filter((x) => x.to === v.agent)) {
      const producer = assignment.find((x) => x.agent === e.from);
      if (producer && price(producer.backbone) > price(v.backbone)) Object.assign(v, { backbone: producer.backbone, reason: `checks ${e.from}, so at least as strong` });
    }
  }
  return JSON.stringify({ assignment, rationale: 'Cheap backbones for planning and review, capable ones for the hard step.' });
}

function simRectifier(ctx: SimContext, messages: ChatMessage[], rng: () => number, quality: number): string {
  if (malformedOnce(messages, rng, quality)) return '{"scope": "local", "ops": [{"op": "set_backbone"}]}';
  const config = ctx.extra?.config as Config;
  const pool = ctx.extra?.pool as Pool;
  const trigger = ctx.extra?.trigger as Trigger;
  const finished = new Set((ctx.extra?.finished as string[]) ?? []);
  const agent = config.template.agents.find((a) => a.id === trigger.agent);
  // CTO samples (callKey `cto:...:<m>`, m > 0): 1 — the rule-based fallback, 2 — the failing agent on the cheapest backbone.
  const variant = sampleOfCallKey(ctx.callKey) % 3;
  if (variant === 1) {
    const rule = fallbackPatch(config, pool, trigger, finished);
    if (rule) return JSON.stringify(rule);
  } else if (variant === 2 && agent) {
    const cheap = cheapestBackbone(pool);
    if (config.assignment[agent.id] !== cheap.id) {
      const patch: Patch = { scope: 'local', ops: [{ op: 'set_backbone', agent: agent.id, backbone: cheap.id }], rationale: `Retry ${agent.id} on the cheapest backbone (${cheap.id}).` };
      return JSON.stringify(patch);
    }
  }
  if (trigger.kind === 'failure' && agent && trigger.tool) {
    const ops: PatchOp[] = [
      {
        op: 'set_instructions',
        agent: agent.id,
        instructions: `${agent.instructions}\nThe last ${trigger.tool} call crashed (${trigger.detail.slice(0, 120)}). Write smaller, self-contained code and run it again.`,
      },
    ];
    const strong = strongestBackbone(pool);
    if (config.assignment[agent.id] !== strong.id) ops.push({ op: 'set_backbone', agent: agent.id, backbone: strong.id });
    const patch: Patch = { scope: 'local', ops, rationale: `The ${trigger.tool} tool crashed under ${agent.id}; retry it with simpler code on a capable backbone.` };
    return JSON.stringify(patch);
  }
  const patch = fallbackPatch(config, pool, trigger, finished);
  return JSON.stringify(patch ?? { scope: 'local', ops: [], rationale: 'nothing to change' });
}

// ---------------------------------------------------------------- agents

interface Turn {
  content: string | null;
  toolCalls: ToolCall[];
}

const REFERENCE_CODE: Record<string, { body: string; check: string; buggy: string }> = {
  fib: {
    body: 'def fib(n):\n    a, b = 0, 1\n    for _ in range(n):\n        a, b = b, a + b\n    return a',
    buggy: 'def fib(n):\n    a, b = 1, 1\n    for _ in range(n):\n        a, b = b, a + b\n    return a',
    check: 'values = [fib(i) for i in range(10)]\nprint(values)\nassert values == [0, 1, 1, 2, 3, 5, 8, 13, 21, 34]',
  },
  is_prime: {
    body: 'def is_prime(n):\n    if n < 2:\n        return False\n    i = 2\n    while i * i <= n:\n        if n % i == 0:\n            return False\n        i += 1\n    return True',
    buggy: 'def is_prime(n):\n    for i in range(2, n):\n        if n % i == 0:\n            return False\n    return True',
    check: 'primes = [n for n in range(30) if is_prime(n)]\nprint(primes)\nassert primes == [2, 3, 5, 7, 11, 13, 17, 19, 23, 29]',
  },
  factorial: {
    body: 'def factorial(n):\n    r = 1\n    for i in range(2, n + 1):\n        r *= i\n    return r',
    buggy: 'def factorial(n):\n    r = 0\n    for i in range(2, n + 1):\n        r *= i\n    return r',
    check: 'values = [factorial(i) for i in range(7)]\nprint(values)\nassert values == [1, 1, 2, 6, 24, 120, 720]',
  },
  gcd: {
    body: 'def gcd(a, b):\n    while b:\n        a, b = b, a % b\n    return abs(a)',
    buggy: 'def gcd(a, b):\n    return min(a, b)',
    check: 'pairs = [(12, 18), (17, 5), (100, 75)]\nprint([gcd(a, b) for a, b in pairs])\nassert [gcd(a, b) for a, b in pairs] == [6, 1, 25]',
  },
};

function functionName(task: string): string {
  const m = /\b(?:function|def)\s+([A-Za-z_][A-Za-z0-9_]*)/.exec(task) ?? /\b([a-z_][a-z0-9_]*)\s*\(\s*[a-z]/.exec(task);
  return m ? m[1] : 'solve';
}

function pythonFor(task: string, buggy: boolean, simpler: boolean): string {
  const name = functionName(task);
  const ref = REFERENCE_CODE[name] ?? REFERENCE_CODE[name.replace(/^(compute_|calc_)/, '')];
  if (ref) return `${buggy && !simpler ? ref.buggy : ref.body}\n\n${ref.check}\nprint("Checks passed")`;
  return `def ${name}(*args):\n    return args\n\nprint(${name}(1, 2))\nprint("Checks passed (no reference checks known for ${name})")`;
}

function mathExpression(task: string): string | null {
  const candidates = task.match(/[\d(][\d\s.+\-*/^()%]*[\d)]/g) ?? [];
  const withOp = candidates.filter((c) => /\d\s*[-+*/^%]\s*[\d(]/.test(c)).sort((a, b) => b.length - a.length);
  return withOp[0]?.trim() ?? null;
}

function userText(messages: ChatMessage[]): string {
  return messages
    .filter((m) => m.role === 'user')
    .map((m) => m.content ?? '')
    .join('\n');
}

/**
 * What an operator tells the simulated agent, passed by the workflow in the call's sim context
 * (docs/operators.md): the agent's operator and, for an ensemble's sample, which sample it is.
 * A sample's answer depends on its seed, not on its call key, so equal seeds answer alike.
 */
function operatorOf(ctx: SimContext): { op?: Operator; sample?: EnsembleSample } {
  return { op: ctx.extra?.operator as Operator | undefined, sample: ctx.extra?.sample as EnsembleSample | undefined };
}

/** The last number of a text moved by one: a wrong answer that still reads as a number. */
function offByOne(text: string): string {
  const m = [...text.matchAll(/-?\d+(?:\.\d+)?/g)].pop();
  if (!m || m.index === undefined) return text;
  return text.slice(0, m.index) + String(Number(m[0]) + 1) + text.slice(m.index + m[0].length);
}

/**
 * A simulated programmer: one ```python block that prints the answer (number / text) or is
 * the code (code). Below quality the first round's program crashes (NameError) or, for a
 * sample, prints a wrong number; after the error comes back ("Your program failed") it is right.
 */
function simProgram(ctx: SimContext, req: ModelRequest, rng: () => number, quality: number, answer: AnswerKind): string {
  const retry = /program failed/i.test(userText(req.messages));
  const slip = !retry && rng() > quality;
  let code: string;
  if (answer === 'code') {
    code = pythonFor(ctx.task, slip, retry);
  } else if (answer === 'number') {
    const expr = mathExpression(ctx.task)?.replace(/\^/g, '**');
    const fallback = (ctx.task.match(/-?\d+(?:\.\d+)?/g) ?? ['0']).pop()!;
    const value = expr ?? fallback;
    code = slip ? (operatorOf(ctx).sample ? `print(${value} + 1)` : `total = ${value}\nprint(totl)`) : `total = ${value}\nprint(total)`;
  } else {
    code = `print(${JSON.stringify(lastUpstream(userText(req.messages)).split('\n')[0] || `an answer to: ${ctx.task.slice(0, 60)}`)})`;
  }
  return `${ctx.agentRole ?? 'Programmer'}: here is the program.\n\n\`\`\`python\n${code}\n\`\`\``;
}

function simAgent(ctx: SimContext, req: ModelRequest, callRng: () => number, quality: number): Turn {
  const { op, sample } = operatorOf(ctx);
  const rng = sample ? seededRandom(`${ctx.seed}|${req.backbone.id}|sample seed ${sample.seed}`) : callRng;
  if (op?.kind === 'programmer') return { content: simProgram(ctx, req, rng, quality, op.answer), toolCalls: [] };
  if (op?.kind === 'ensemble' && sample) {
    if (sampleMember(op, sample.index) === 'programmer') return { content: simProgram(ctx, req, rng, quality, op.answer), toolCalls: [] };
    // A chain-of-thought sample for code writes its code in the answer (its samples get no tools).
    if (op.answer === 'code' && !(req.tools ?? []).length) return { content: `${ctx.agentRole ?? 'Solver'}: my code.\n\n\`\`\`python\n${pythonFor(ctx.task, rng() > quality, false)}\n\`\`\``, toolCalls: [] };
    const turn = simAgentTurn(ctx, req, rng, quality);
    // Below quality a sample's final answer is off by one: the vote has something to outvote.
    if (turn.content !== null && !turn.toolCalls.length && op.answer === 'number' && rng() > quality) return { ...turn, content: offByOne(turn.content) };
    return turn;
  }
  return simAgentTurn(ctx, req, rng, quality);
}

function simAgentTurn(ctx: SimContext, req: ModelRequest, rng: () => number, quality: number): Turn {
  const tools = (req.tools ?? []).map((t) => t.name);
  const toolResults = req.messages.filter((m) => m.role === 'tool');
  const lastResult = toolResults[toolResults.length - 1]?.content ?? '';
  const role = ctx.agentRole ?? 'Agent';
  const upstream = userText(req.messages);
  const call = (name: string, args: unknown): Turn => ({
    content: null,
    toolCalls: [{ id: `call_${ctx.callKey.replace(/[^A-Za-z0-9]/g, '')}_${toolResults.length}`, name, arguments: JSON.stringify(args) }],
  });
  const lastFailed = toolResults.length > 0 && /"ok":\s*false/.test(lastResult);
  const system = req.messages.find((m) => m.role === 'system')?.content ?? '';
  const simpler = /simpler|crashed|rejected/i.test(system);

  // Own and MCP tools: call each offered one once (all in one turn), then answer with what they returned.
  const offered = (req.tools ?? []).filter((t) => !(KNOWN_TOOLS as readonly string[]).includes(t.name));
  if (offered.length) {
    if (toolResults.length === 0) {
      return {
        content: null,
        toolCalls: offered.map((t, i) => ({ id: `call_${ctx.callKey.replace(/[^A-Za-z0-9]/g, '')}_${i}`, name: t.name, arguments: JSON.stringify(argumentsFromSchema(t.parameters, ctx.task)) })),
      };
    }
    const results = toolResults.map((m, i) => `${offered[i]?.name ?? 'tool'}: ${summariseToolResult(m.content ?? '')}`);
    return { content: `${role}: result: ${results.join('\n')}`, toolCalls: [] };
  }

  if (tools.includes('python') && (toolResults.length === 0 || (lastFailed && toolResults.length < 2))) {
    const buggy = toolResults.length === 0 && rng() > quality;
    return call('python', { code: pythonFor(ctx.task, buggy, simpler || toolResults.length > 0) });
  }
  if (tools.includes('calculator') && toolResults.length === 0) {
    const expr = mathExpression(ctx.task);
    if (expr) return call('calculator', { expression: expr.replace(/\^/g, '^') });
  }
  if (tools.includes('search') && toolResults.length === 0) return call('search', { query: ctx.task.slice(0, 200), limit: 3 });

  if (toolResults.length) {
    const body = summariseToolResult(lastResult);
    if (tools.includes('python')) {
      const source = lastCode(req.messages);
      return { content: `${role}: here is the code and what running it printed.\n\n\`\`\`python\n${source}\n\`\`\`\n\nOutput:\n${body}`, toolCalls: [] };
    }
    return { content: `${role}: ${tools.includes('search') ? 'relevant facts found' : 'result'}: ${body}`, toolCalls: [] };
  }

  const req2 = req.messages.find((m) => m.role === 'system')?.content ?? '';
  if (/PASS or FAIL/.test(req2)) {
    // A verdict needs evidence: checks that ran, a computed result or found facts; a bare claim fails.
    const nearest = lastUpstream(upstream);
    const failedUpstream = /Traceback|AssertionError|Error:|"ok":\s*false/.test(nearest) || !/Checks passed|result: |facts found|Final answer/.test(nearest);
    const verdict = failedUpstream ? 'FAIL' : 'PASS';
    return { content: `${verdict}: ${failedUpstream ? 'the upstream result does not hold up' : 'the result checks out'}.\n\nFinal answer:\n${lastUpstream(upstream)}`, toolCalls: [] };
  }
  if (/plan/i.test(role)) {
    return { content: `Plan for "${ctx.task.slice(0, 80)}":\n1. Pin down inputs and outputs.\n2. Handle edge cases.\n3. Check the result on small known cases.`, toolCalls: [] };
  }
  return { content: `${role}: ${lastUpstream(upstream) || `my answer to "${ctx.task.slice(0, 120)}"`}`, toolCalls: [] };
}

/** The code of the agent's latest python tool call. */
function lastCode(messages: ChatMessage[]): string {
  const call = messages
    .filter((m) => m.role === 'assistant')
    .flatMap((m) => m.toolCalls ?? [])
    .filter((c) => c.name === 'python')
    .pop();
  try {
    return String((JSON.parse(call?.arguments ?? '{}') as { code?: string }).code ?? '');
  } catch {
    return '';
  }
}

function summariseToolResult(raw: string): string {
  try {
    const r = JSON.parse(raw) as { ok?: boolean; output?: string; error?: string };
    return (r.output || r.error || raw).slice(0, 1500);
  } catch {
    return raw.slice(0, 1500);
  }
}

/** The answer, then appendix lines until it is `chars` long: the first lines (verdicts, REVISE) stay as they were. */
function padded(content: string, chars: number, callKey: string): string {
  if (content.length >= chars) return content;
  const line = `\nappendix of ${callKey}: ${'detail '.repeat(10)}`;
  const head = `${content}\n`;
  return (head + line.repeat(Math.ceil((chars - head.length) / line.length) + 1)).slice(0, chars);
}

/** The section of the user message that holds the nearest upstream agent's output. */
function lastUpstream(text: string): string {
  const parts = text.split(/\n### Output of /);
  if (parts.length < 2) return '';
  const last = parts[parts.length - 1];
  return last.slice(last.indexOf('\n') + 1).trim().slice(0, 3000);
}
