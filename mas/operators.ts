/**
 * Operators: what an agent of the team language does beyond a plain model turn loop.
 * A *programmer* writes a program that the sandbox runs (its printed result, or the program
 * itself, is the answer; an error goes back to it); an *ensemble* draws k samples of one
 * member and votes on their extracted answers (code: chooses by tests passed, then
 * agreement); a *test* step runs the code it receives on the task's examples and the team's
 * asserts. The shapes are typed once in mas/schemas.ts (OperatorSchema); this module holds
 * their bounds, their rules and the few facts every reader needs (how to describe one, what
 * it costs, which samples it draws). Pure and free of zod: workflow code uses it.
 */
import type { AgentSpec, Operator, Template } from './schemas';
import { seededRandom } from './hash';

/** How an answer is read, compared and checked: a number, a short text, or code. */
export const ANSWER_KINDS = ['number', 'text', 'code'] as const;
export type AnswerKind = (typeof ANSWER_KINDS)[number];

export const OPERATOR_KINDS = ['programmer', 'ensemble', 'test'] as const;
export type OperatorKind = (typeof OPERATOR_KINDS)[number];

/** What each sample of an ensemble is: a plain agent (chain of thought), a programmer, or both in turn. */
export const ENSEMBLE_MEMBERS = ['agent', 'programmer', 'mixed'] as const;
export type EnsembleMember = (typeof ENSEMBLE_MEMBERS)[number];

/**
 * Bounds of the operators' parameters. k ≤ 9: self-consistency gains flatten past a handful of
 * samples, and the local server batches four streams at a time. Rounds ≤ 5: a small model that
 * has not fixed its program in five rounds repeats itself.
 */
export const OPERATOR_BOUNDS = {
  k: { min: 2, max: 9, default: 5 },
  rounds: { min: 1, max: 5, programmerDefault: 3 },
  temperature: { max: 1.5, default: 0.7 },
} as const;

export type Programmer = Extract<Operator, { kind: 'programmer' }>;
export type Ensemble = Extract<Operator, { kind: 'ensemble' }>;

/** The operators with every default filled: workflow code and blueprints build them without zod. */
export function programmer(answer: AnswerKind, maxRounds: number = OPERATOR_BOUNDS.rounds.programmerDefault): Programmer {
  return { kind: 'programmer', answer, maxRounds };
}

export function ensemble(answer: AnswerKind, member: EnsembleMember, k: number = OPERATOR_BOUNDS.k.default): Ensemble {
  return { kind: 'ensemble', k, member, answer, temperature: OPERATOR_BOUNDS.temperature.default, maxRounds: OPERATOR_BOUNDS.rounds.programmerDefault };
}

export const TEST_STEP: Operator = { kind: 'test' };

/** A checker's output is a verdict on what it received, not an answer: verifiers and test steps. */
export function isChecker(spec: AgentSpec): boolean {
  return spec.verifier === true || spec.operator?.kind === 'test';
}

/** Whether an agent calls a model at all: a test step only executes code. */
export function callsModel(spec: AgentSpec): boolean {
  return spec.operator?.kind !== 'test';
}

/** Whether the agent's work needs the python sandbox. */
export function needsSandbox(spec: AgentSpec): boolean {
  const op = spec.operator;
  if (!op) return false;
  if (op.kind === 'ensemble') return op.member !== 'agent' || op.answer === 'code';
  return true;
}

/** Sample i of an ensemble is a programmer or a plain agent; `mixed` alternates, starting with a program. */
export function sampleMember(op: Ensemble, i: number): 'agent' | 'programmer' {
  if (op.member === 'mixed') return i % 2 === 0 ? 'programmer' : 'agent';
  return op.member;
}

/** Which sample of an ensemble a model call draws: passed with the call (and to the simulator) so it can be told apart and replayed. */
export interface EnsembleSample {
  index: number;
  seed: number;
}

/**
 * The seeds of an ensemble's k samples: derived from the run's seed, the agent and a nonce the
 * workflow records (its model-call index when the samples are drawn), so a replay or a retried
 * activity draws the same samples and a re-run after a patch draws new ones. Positive 31-bit
 * integers (llama.cpp and OpenAI accept them).
 */
export function sampleSeeds(runSeed: number, agent: string, nonce: number, k: number): number[] {
  // Through the PRNG rather than the bare hash: hashes of keys that differ in one character lie close together.
  return Array.from({ length: k }, (_, i) => Math.floor(seededRandom(`${runSeed}|${agent}|${nonce}|sample ${i}`)() * 0x7ffffffe) + 1);
}

/**
 * Model calls an agent typically makes, for cost projections: one per turn (two with tools), one
 * per programmer (more only when its program fails), k times the member's for an ensemble, none
 * for a test step.
 */
export function expectedModelCalls(spec: AgentSpec): number {
  const op = spec.operator;
  const plain = spec.tools.length ? 2 : 1;
  if (!op) return plain;
  switch (op.kind) {
    case 'programmer':
      return 1;
    case 'ensemble':
      return Array.from({ length: op.k }, (_, i) => (sampleMember(op, i) === 'programmer' ? 1 : plain)).reduce((a, b) => a + b, 0);
    case 'test':
      return 0;
  }
}

/** The most model calls an agent may make: the bound its rounds, turns and k put on it. */
export function maxModelCalls(spec: AgentSpec): number {
  const op = spec.operator;
  if (!op) return spec.maxTurns;
  switch (op.kind) {
    case 'programmer':
      return op.maxRounds;
    case 'ensemble':
      return Array.from({ length: op.k }, (_, i) => (sampleMember(op, i) === 'programmer' ? op.maxRounds : spec.maxTurns)).reduce((a, b) => a + b, 0);
    case 'test':
      return 0;
  }
}

/** One line for the audit, the HTML view and activity summaries. */
export function describeOperator(op: Operator | undefined): string {
  if (!op) return 'agent';
  switch (op.kind) {
    case 'programmer':
      return `programmer (answer: ${op.answer === 'code' ? 'the program' : `printed ${op.answer}`}, ≤${op.maxRounds} rounds)`;
    case 'ensemble': {
      const members = op.member === 'mixed' ? 'program + chain-of-thought samples' : op.member === 'programmer' ? 'program samples' : 'samples';
      const how = op.answer === 'code' ? 'chosen by tests passed, then agreement' : `vote on the ${op.answer}`;
      return `ensemble of ${op.k} ${members} (${how}, T=${op.temperature})`;
    }
    case 'test':
      return "test (the task's examples and the team's asserts)";
  }
}

/**
 * The operator rules of a template, as sentences a model (or a person) can act on; part of
 * templateProblems. `knownTools` are the tools that can work in this run: without `python`
 * nothing can be executed.
 */
export function operatorProblems(t: Template, knownTools: readonly string[]): string[] {
  const problems: string[] = [];
  const sandbox = knownTools.includes('python');
  for (const a of t.agents) {
    const op = a.operator;
    if (!op) continue;
    if (needsSandbox(a) && !sandbox) problems.push(`agent "${a.id}" is a ${op.kind} but the python sandbox is not available here: make it a plain agent`);
    switch (op.kind) {
      case 'programmer':
        if (a.tools.length) problems.push(`agent "${a.id}" is a programmer: the sandbox runs its program itself, so give it no tools (it lists ${a.tools.join(', ')})`);
        if (a.verifier) problems.push(`agent "${a.id}" is a programmer and a verifier: a programmer produces an answer; checks are verifiers or test steps`);
        break;
      case 'ensemble':
        if (a.verifier) problems.push(`agent "${a.id}" is an ensemble and a verifier: verdicts are not voted on; drop one of the two`);
        if (op.member === 'programmer' && a.tools.length) {
          problems.push(`agent "${a.id}" is an ensemble of programmers: the sandbox runs their programs, so give it no tools (it lists ${a.tools.join(', ')})`);
        }
        break;
      case 'test':
        if (!t.edges.some((e) => e.to === a.id)) problems.push(`agent "${a.id}" is a test step but nothing feeds it: add an edge from the agent whose code it tests`);
        if (a.tools.length) problems.push(`agent "${a.id}" is a test step: it makes no model call, so give it no tools (it lists ${a.tools.join(', ')})`);
        break;
    }
  }
  return problems;
}
