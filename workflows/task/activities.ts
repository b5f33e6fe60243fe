/**
 * The activity proxies of a task run and how their failures are read. Model calls and tool
 * calls differ only in their timeouts and attempt counts.
 */
import { ActivityCancellationType, proxyActivities } from '@temporalio/workflow';
import type { Mas2Activities } from '../../mas/contract';
import { NON_RETRYABLE_TYPES } from '../../mas/contract';
import { STORAGE_FAULT_TYPE, isStorageFaultDetails, type StorageFaultDetails } from '../../mas/storageFault';

const retry = { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '20 seconds', nonRetryableErrorTypes: [...NON_RETRYABLE_TYPES] } as const;
export const MODEL_ATTEMPTS = 5;
export const TOOL_ATTEMPTS = 3;

// Cancelling a run waits until its running calls have actually stopped, so nothing runs on
// unaccounted after the result says "cancelled".
export const models = proxyActivities<Mas2Activities>({
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '10 seconds',
  retry: { ...retry, nonRetryableErrorTypes: [...retry.nonRetryableErrorTypes], maximumAttempts: MODEL_ATTEMPTS },
});
export const tools = proxyActivities<Mas2Activities>({
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  startToCloseTimeout: '3 minutes',
  heartbeatTimeout: '10 seconds',
  retry: { ...retry, nonRetryableErrorTypes: [...retry.nonRetryableErrorTypes], maximumAttempts: TOOL_ATTEMPTS },
});

export interface FailureInfo {
  message: string;
  type?: string;
  attempts: number;
  tool?: string;
  /** BudgetGuard: the exact worst case of the call that was not started. */
  needUsd?: number;
  /** StorageFault: which blob, where, and how it failed. */
  storage?: StorageFaultDetails;
}

/** Reads an activity failure by its fields, never instanceof (an error crosses realms: Jest, the workflow sandbox). */
export function failureInfo(e: unknown, maxAttempts: number): FailureInfo {
  const err = e as { message?: string; retryState?: string; cause?: { message?: string; type?: string; details?: unknown[] } };
  const cause = err.cause ?? {};
  const details = (cause.details?.[0] ?? {}) as { tool?: string; needUsd?: unknown };
  return {
    message: cause.message ?? err.message ?? String(e),
    type: cause.type,
    attempts: err.retryState === 'MAXIMUM_ATTEMPTS_REACHED' ? maxAttempts : 1,
    tool: details.tool,
    ...(typeof details.needUsd === 'number' ? { needUsd: details.needUsd } : {}),
    ...(cause.type === STORAGE_FAULT_TYPE && isStorageFaultDetails(details) ? { storage: details } : {}),
  };
}
