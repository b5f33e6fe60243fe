/**
 * The sentences a meta-agent reads when its answer breaks a rule of the model (the repair
 * round names each one): the graph rules a template must keep (mas/graph.ts), the backbone
 * rules an assignment must keep (mas/graph.ts, mas/pool.ts, activities/meta.ts). Each says
 * what is wrong and what to change, naming the agents.
 */
export const TEMPLATE_RULES = {
  noAgents: () => 'the team has no agents',
  tooMany: (n: number, max: number) => `the team has ${n} agents; at most ${max} are allowed`,
  badId: (id: string) => `agent id "${id}" is not valid: ids start with a letter and use letters, digits, "_" or "-" (at most 64)`,
  duplicateId: (id: string) => `agent id "${id}" is used twice`,
  unknownTool: (agent: string, tool: string, known: readonly string[]) => `agent "${agent}" uses unknown tool "${tool}" (known tools: ${known.join(', ')})`,
  unknownFinal: (final: string) => `the final agent "${final}" is not one of the agents`,
  edgeFromUnknown: (from: string, to: string) => `edge ${from} → ${to} starts at unknown agent "${from}"`,
  edgeToUnknown: (from: string, to: string) => `edge ${from} → ${to} ends at unknown agent "${to}"`,
  selfLoop: (from: string, to: string) => `edge ${from} → ${to} is a self-loop: use a bounded feedback loop instead`,
  duplicateEdge: (from: string, to: string) => `edge ${from} → ${to} is listed twice`,
  cycle: () => 'the edges form a cycle: edges must form a DAG (put repetition in a bounded feedback loop with maxRounds)',
  loopUnknownAgent: (from: string, to: string) => `feedback loop ${from} ⟲ ${to} names an unknown agent`,
  loopSelf: (from: string, to: string) => `feedback loop ${from} ⟲ ${to} is a self-loop: a loop sends work from a reviewer back to an upstream agent`,
  loopNotUpstream: (from: string, to: string) => `feedback loop ${from} ⟲ ${to}: "${to}" must be upstream of "${from}" (add an edge path ${to} → ${from} or drop the loop)`,
  twoLoops: (from: string) => `agent "${from}" starts two feedback loops; keep one`,
  finalFeedsOthers: (final: string, feeds: readonly string[]) =>
    `the final agent "${final}" feeds ${feeds.map((f) => `"${f}"`).join(', ')}: the final agent's output is the answer, so it must be the last agent (make the last agent the finalAgent, or remove the edges out of "${final}")`,
  unreachable: (agent: string, final: string) => `agent "${agent}" cannot reach the final agent "${final}": its output would be wasted (add an edge from "${agent}" toward "${final}", or remove "${agent}")`,
};

export const ASSIGNMENT_RULES = {
  noBackbone: (agent: string) => `agent "${agent}" has no backbone`,
  unknownBackbone: (agent: string, backbone: string, pool: readonly string[]) => `agent "${agent}" is assigned unknown backbone "${backbone}" (pool: ${pool.join(', ')})`,
  notInPool: (agent: string, backbone: string, pool: readonly string[]) => `agent "${agent}": backbone "${backbone}" is not in the pool (${pool.join(', ')})`,
  namesNoAgent: (agents: readonly string[]) => `the assignment names none of the agents (${agents.join(', ')})`,
  weakVerifier: (verifier: string, itsBackbone: string, producer: string, producerBackbone: string) =>
    `verifier "${verifier}" on ${itsBackbone} checks "${producer}" on ${producerBackbone}: a verifier needs a backbone at least as strong as the agent it checks`,
};
