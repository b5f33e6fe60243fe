/** Chaos injection: `--fault SPEC` strings into typed faults, and the decision for one call. */
import type { Fault } from './schemas';

const TOOL_CRASH = /^tool:([A-Za-z0-9_-]+):crash@(\d+)$/;
const MODEL_ERROR = /^model:([A-Za-z0-9._*-]+|\*):error@(\d+)$/;
const MODEL_LATENCY = /^model:([A-Za-z0-9._*-]+|\*):latency=(\d+)$/;

export const FAULT_SYNTAX = 'tool:NAME:crash@K, model:BACKBONE|*:error@K or model:BACKBONE|*:latency=MS';

export function parseFault(spec: string): Fault {
  const s = spec.trim();
  let m = TOOL_CRASH.exec(s);
  if (m) return checked(spec, { kind: 'tool_crash', tool: m[1], at: Number(m[2]) });
  m = MODEL_ERROR.exec(s);
  if (m) return checked(spec, { kind: 'model_error', backbone: m[1], at: Number(m[2]) });
  m = MODEL_LATENCY.exec(s);
  if (m) return checked(spec, { kind: 'model_latency', backbone: m[1], ms: Number(m[2]) });
  throw new Error(`invalid --fault "${spec}": expected ${FAULT_SYNTAX} (K counts from 1)`);
}

/** Out-of-range numbers (crash@0, K past the safe integers) get the same clear sentence. */
function checked(spec: string, value: Fault): Fault {
  const n = value.kind === 'model_latency' ? value.ms : value.at;
  const min = value.kind === 'model_latency' ? 0 : 1;
  if (!Number.isSafeInteger(n) || n < min) throw new Error(`invalid --fault "${spec}": expected ${FAULT_SYNTAX} (K counts from 1)`);
  return value;
}

/** Whether the n-th call (1-based) of this tool crashes. */
export function toolCrashes(faults: Fault[], tool: string, n: number): boolean {
  return faults.some((f) => f.kind === 'tool_crash' && f.tool === tool && f.at === n);
}

/** Whether the n-th call (1-based, counted per backbone, or over all with `*`) of a model fails. */
export function modelErrors(faults: Fault[], backbone: string, nOnBackbone: number, nOverall: number): boolean {
  return faults.some(
    (f) => f.kind === 'model_error' && ((f.backbone === '*' && f.at === nOverall) || (f.backbone === backbone && f.at === nOnBackbone)),
  );
}

export function extraLatencyMs(faults: Fault[], backbone: string): number {
  return faults.reduce((ms, f) => (f.kind === 'model_latency' && (f.backbone === '*' || f.backbone === backbone) ? ms + f.ms : ms), 0);
}
