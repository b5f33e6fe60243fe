/** One renderer per `--format`. */
import type { Audit, AuditFormat } from '../schemas';
import { renderHtml } from './html';
import { renderJson } from './json';
import { renderMarkdown } from './markdown';
import { renderMermaid } from './mermaid';

const RENDERERS: Record<AuditFormat, (a: Audit) => string> = { md: renderMarkdown, json: renderJson, mermaid: renderMermaid, html: renderHtml };

export const AUDIT_FORMATS = Object.keys(RENDERERS) as AuditFormat[];

export function renderAudit(a: Audit, format: AuditFormat): string {
  return RENDERERS[format](a);
}
