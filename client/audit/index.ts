/**
 * `mas2 audit`: the decision history of a run, projected from its Temporal
 * history (docs/engine.md: "audit views are projections of the history, not a
 * second log"). Every run of the continue-as-new chain is read; activity
 * inputs and results, failures, signals, updates and cancel requests are
 * decoded (history.ts) and folded into one audit document (schemas.ts) by
 * per-activity reducers (project/), which renders as Markdown, JSON, Mermaid
 * or a self-contained HTML page (render/).
 *
 * `projectHistory` is pure (unit-tested on synthetic histories);
 * `fetchAudit` does the I/O.
 */
export * from './schemas';
export type { HistoryEvent, RunHistory } from './history';
export { projectHistory, type ProjectOptions } from './project';
export { fetchAudit, fetchRunHistories } from './fetch';
export { renderAudit, AUDIT_FORMATS } from './render';
export { renderMarkdown } from './render/markdown';
export { renderMermaid } from './render/mermaid';
export { renderHtml } from './render/html';
export { describeOp } from './render/text';
