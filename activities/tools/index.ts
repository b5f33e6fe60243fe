/** Public surface of the tools package. */
export * from './registry';
export type { ToolContext, Tool } from './types';
export { runToolCommand, type RunToolCommandOptions } from './cli';
export { detectSandbox, DEFAULT_SANDBOX_LIMITS, type SandboxLimits, type SandboxOptions, type SandboxCapabilities } from './sandbox';
export { createPythonTool } from './python';
export { createJavascriptTool } from './javascript';
export { createCalculator, shutdownCalculator } from './calculator';
export { createSearchTool, LocalFolderSearch, HttpSearch, clearSearchIndexCache, resolveDocsDir, type SearchProvider, type SearchHit } from './search';
export { workspaceTool } from './workspace';
