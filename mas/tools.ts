/** Names of the tools in the registry; the template validator and the registry both use this list. */
export const KNOWN_TOOLS = ['python', 'javascript', 'calculator', 'search', 'workspace'] as const;
export type KnownTool = (typeof KNOWN_TOOLS)[number];
