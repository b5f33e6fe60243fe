/**
 * Jest globalTeardown for the integration project: stops the dev server that
 * globalSetup.js started (SIGTERM, SIGKILL after 5 s) and removes its temp dir.
 * Starts/stops nothing when the user supplied TEMPORAL_TEST_ADDRESS.
 */
'use strict';
const fs = require('fs');
const { INFO_FILE } = require('./globalSetup');

function alive(pid) {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return true;
  }
}

async function stop(pid) {
  if (!pid || !alive(pid)) return;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const until = Date.now() + 5000;
  while (alive(pid) && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
  if (alive(pid)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
}

module.exports = async function globalTeardown() {
  const state = globalThis.__MAS2_TEST_SERVER__ || {};
  let info = {};
  try {
    info = JSON.parse(fs.readFileSync(INFO_FILE, 'utf8'));
  } catch {
    // nothing recorded
  }
  if (state.external || info.external) {
    fs.rmSync(INFO_FILE, { force: true });
    return;
  }
  // The pid in the info file differs from ours if a test restarted the server.
  const pids = new Set([state.child && state.child.pid, info.pid].filter((p) => Number.isInteger(p) && p > 0));
  await Promise.all([...pids].map(stop));
  if (state.onExit) process.removeListener('exit', state.onExit);
  const tmpDir = state.tmpDir || info.tmpDir;
  if (tmpDir && /mas2-jest-temporal-/.test(tmpDir)) fs.rmSync(tmpDir, { recursive: true, force: true });
  fs.rmSync(INFO_FILE, { force: true });
  if (process.env.MAS2_TEST_BUNDLE) fs.rmSync(process.env.MAS2_TEST_BUNDLE, { force: true });
  delete process.env.TEMPORAL_TEST_ADDRESS;
  globalThis.__MAS2_TEST_SERVER__ = undefined;
};
