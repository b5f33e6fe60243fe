/** The activities a worker hosts, bound to that worker's runtime (blob store, model clients). */
import type { Mas2Activities } from '../mas/contract';
import { openBlobStore } from './blobStore';
import { callModel, runTool } from './agentCalls';
import { checkCode } from './codeCheck';
import { generateTemplate, implementAssignment, rectify } from './meta';
import { ctoRunResult, evaluate } from './evaluate';
import { defaultClients, type Runtime } from './runtime';

export function createRuntime(home: string, overrides: Partial<Runtime> = {}): Runtime {
  return {
    home,
    blobs: overrides.blobs ?? openBlobStore(home),
    clients: defaultClients(),
    ledgerFile: process.env.MAS2_CALL_LEDGER || undefined,
    ...overrides,
  };
}

export function createActivities(rt: Runtime): Mas2Activities {
  return {
    generateTemplate: (input) => generateTemplate(rt, input),
    implementAssignment: (input) => implementAssignment(rt, input),
    rectify: (input) => rectify(rt, input),
    callModel: (input) => callModel(rt, input),
    runTool: (input) => runTool(rt, input),
    checkCode: (input) => checkCode(rt, input),
    evaluate: (input) => evaluate(rt, input),
    ctoRunResult: (input) => ctoRunResult(input),
  };
}
