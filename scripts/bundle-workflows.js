// Pre-bundles the compiled workflow code once at build time so workers start in milliseconds.
const { bundleWorkflowCode } = require('@temporalio/worker');
const { writeFileSync } = require('node:fs');
const path = require('node:path');

(async () => {
  const dist = path.join(__dirname, '..', 'dist');
  const { code } = await bundleWorkflowCode({ workflowsPath: path.join(dist, 'workflows', 'index.js'), workflowInterceptorModules: [path.join(dist, 'workflows', 'interceptors.js')], logger: { info() {}, warn() {}, error: console.error, debug() {}, trace() {}, log() {} } });
  writeFileSync(path.join(dist, 'workflow-bundle.js'), code);
  console.log(`workflow bundle: dist/workflow-bundle.js (${Math.round(code.length / 1024)} KiB)`);
})().catch((e) => {
  console.error(`bundling the workflow code failed: ${e.message}`);
  process.exit(1);
});
