export function renderHtml(a: import('../schemas').Audit): string { return JSON.stringify(a); }
