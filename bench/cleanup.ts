/**
 * Whatever the bench starts (dev server, worker processes) registers how to
 * stop it here, so an error, SIGINT or SIGTERM never leaves it running.
 */
import type { ChildProcess } from 'node:child_process';

const actions = new Set<() => void>();

/** Register a synchronous stop action; returns its unregister function. */
export function onCleanup(action: () => void): () => void {
  actions.add(action);
  return () => actions.delete(action);
}

/** Runs (once) every registered action, newest first. */
export function runCleanup(): void {
  const all = [...actions].reverse();
  actions.clear();
  for (const a of all) {
    try {
      a();
    } catch {
      // best effort
    }
  }
}

export function killTree(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.exitCode !== null || child.signalCode !== null) return;
  try {
    child.kill(signal);
  } catch {
    // gone
  }
}

const signalActions = new Set<() => void>();

/** An action only for SIGINT/SIGTERM/SIGHUP (e.g. removing scratch files that an error would keep). */
export function onSignal(action: () => void): () => void {
  signalActions.add(action);
  return () => signalActions.delete(action);
}

let installed = false;
export function installSignalCleanup(): void {
  if (installed) return;
  installed = true;
  process.once('exit', runCleanup);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      process.stderr.write(`\nbench: ${sig}, stopping the dev server and workers\n`);
      runCleanup();
      for (const a of signalActions) {
        try {
          a();
        } catch {
          // best effort
        }
      }
      process.exit(sig === 'SIGINT' ? 130 : 143);
    });
  }
}
