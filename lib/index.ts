/**
 * mas2 as a library. See "Library API" in the README.
 *
 *   import { connect, defineTool, z } from 'mas2';
 */
export { connect, Mas2, createMas2Activities, toolCatalogue, type ConnectOptions, type StartOptions } from './mas2';
export { Run, type RunEvent, type FollowOptions } from './run';
export { loadToolConfig, toolsExportedBy } from './config';
export { defineTool, toolResult, ToolError, type OwnTool, type OwnToolContext, type ToolDefinitionInput } from '../activities/tools/own';
export { ToolSet, type ToolSetOptions } from '../activities/tools/toolset';
export type { McpServerConfig } from '../activities/tools/mcp';
export { workflowsPath, workflowBundlePath } from './host';
export { TASK_QUEUE } from '../workers/worker';
export { SIMULATOR_POOL } from '../mas/simulatorPool';
export { stopDevServer as stopEmbeddedServer } from '../client/devServer';
export { PoolSchema, TaskInputSchema, ResultSchema } from '../mas/schemas';
export type { Pool, Backbone, Result, TaskInput, TaskOptions, Template, Config, Step, Rectification, Fault, ToolSpec, RunStatus } from '../mas/schemas';
export type { Audit } from '../client/audit';
export { isUserError, UserError } from '../client/errors';
/** The zod mas2 is built with (v4), for tool schemas; your own zod v4 works too. */
export { z } from 'zod';
