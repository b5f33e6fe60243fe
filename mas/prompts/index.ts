/**
 * Everything a model reads, in one folder: the meta-agents' prompts, a team agent's messages,
 * the repair round, the tools' descriptions and call errors, the rule sentences of a repair
 * round, and the built-in teams. What a trigger kind tells the Rectifier and the instructions
 * its rule-based patch writes sit in that kind's descriptor (mas/triggers/), beside the rule
 * they belong to. Pure, so activities and workflow code can import it; test/unit/prompts.test.ts
 * renders every prompt against a reviewed snapshot.
 *
 * Every prompt puts what does not change first (role, rules, tools, pool, worked examples) and
 * what is particular to the task after it, so the model server's prompt cache reuses the prefix.
 */
export { agentMessages, agentSystemPrompt, agentUserPrompt, noMoreToolsPrompt, refusedToolCall, NO_TOOLS_REASONS } from './agent';
export { generatorMessages } from './generator';
export { implementerMessages } from './implementer';
export { rectifierMessages } from './rectifier';
export { poolSummary } from './pool';
export { repairPrompt } from './repair';
export { priorText, withPrior } from './prior';
export { ASSIGNMENT_RULES, TEMPLATE_RULES } from './rules';
export { BUILTIN_TEAMS, DEFAULT_TEMPLATE } from './teams';
export { BUILTIN_TOOLS, TOOL_CALL_ERRORS, toolMenu } from './tools';
