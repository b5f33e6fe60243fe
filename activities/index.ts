/** The activities a worker hosts, bound to that worker's runtime (blob store, model clients). */
import type { Mas2Activities } from '../mas/contract';
import { openBlobStore } from './blobStore';
import { callModel, runTool } from './agentCalls';
import { checkCode } from './codeCheck';
import { runCode } from './codeRun';
import { generateTemplate, implementAssignment, rectify } from './meta';
import { ctoRunResult, evaluate } from './evaluate';
import { defaultClients, storageFailure, type Runtime } from './runtime';

export function createRuntime(home: string, overrides: Partial<Runtime> = {}): Runtime {
  return {
    home,
    blobs: overrides.blobs ?? openBlobStore(home),
    clients: defaultClients(),
    ledgerFile: process.env.MAS2_CALL_LEDGER || undefined,
    ...overrides,
  };
}

/** Every activity reports a blob-store fault as a storage fault, whichever blob it was reading or writing. */
function reportingStorage<I extends object, O>(run: (input: I) => Promise<O>): (input: I) => Promise<O> {
  return async (input) => {
    try {
      return await run(input);
    } catch (e) {
      throw storageFailure(e, input as { workflowId?: string; callKey?: string });
    }
  };
}

export function createActivities(rt: Runtime): Mas2Activities {
  return {
    generateTemplate: reportingStorage((input) => generateTemplate(rt, input)),
    implementAssignment: reportingStorage((input) => implementAssignment(rt, input)),
    rectify: reportingStorage((input) => rectify(rt, input)),
    callModel: reportingStorage((input) => callModel(rt, input)),
    runTool: reportingStorage((input) => runTool(rt, input)),
    checkCode: reportingStorage((input) => checkCode(rt, input)),
    runCode: reportingStorage((input) => runCode(rt, input)),
    evaluate: reportingStorage((input) => evaluate(rt, input)),
    ctoRunResult: (input) => ctoRunResult(input),
  };
}
