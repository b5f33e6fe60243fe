/**
 * Determinism by construction: workflow code may import only mas/ and
 * @temporalio/workflow, and nothing it reaches at run time may pull in Node
 * APIs or zod (zod is rebuilt for every workflow and costs milliseconds each).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TemplateSchema } from '../../mas/schemas';
import { DEFAULT_TEMPLATE, TEMPLATES_BY_KIND } from '../../mas/templates';

const ROOT = path.join(__dirname, '..', '..');

/** Runtime (non-type) import specifiers of a TypeScript file. */
function runtimeImports(file: string): string[] {
  const src = fs.readFileSync(file, 'utf8');
  const specs: string[] = [];
  for (const m of src.matchAll(/^(import|export)\s+(type\s+)?([^;]*?)\s+from\s+'([^']+)';/gms)) {
    if (m[2]) continue;
    const clause = m[3].trim();
    // `import { type A, type B } from` is erased too.
    const names = /^\{([^}]*)\}$/.exec(clause)?.[1].split(',').map((n) => n.trim()).filter(Boolean);
    if (names && names.every((n) => n.startsWith('type '))) continue;
    specs.push(m[4]);
  }
  return specs;
}

function resolveLocal(from: string, spec: string): string {
  const base = path.resolve(path.dirname(from), spec);
  for (const candidate of [`${base}.ts`, path.join(base, 'index.ts')]) if (fs.existsSync(candidate)) return candidate;
  throw new Error(`cannot resolve ${spec} from ${from}`);
}

function reachable(entry: string): Map<string, string[]> {
  const seen = new Map<string, string[]>();
  const stack = [entry];
  while (stack.length) {
    const file = stack.pop()!;
    if (seen.has(file)) continue;
    const specs = runtimeImports(file);
    seen.set(file, specs);
    for (const s of specs) if (s.startsWith('.')) stack.push(resolveLocal(file, s));
  }
  return seen;
}

test('workflow code reaches only mas/, workflows/ and @temporalio/workflow at run time, and no zod', () => {
  // The workflow interceptors are bundled with the workflows: same rules.
  const graph = new Map([...reachable(path.join(ROOT, 'workflows', 'index.ts')), ...reachable(path.join(ROOT, 'workflows', 'interceptors.ts'))]);
  expect(graph.size).toBeGreaterThan(5);
  expect(graph.has(path.join(ROOT, 'mas', 'progress.ts'))).toBe(true);
  // Every file under workflows/ (workflows/task/ included) is checked, so none escapes the rules.
  const workflowFiles = (fs.readdirSync(path.join(ROOT, 'workflows'), { recursive: true }) as string[]).filter((f) => f.endsWith('.ts'));
  expect(workflowFiles.length).toBeGreaterThan(5);
  expect(workflowFiles.filter((f) => !graph.has(path.join(ROOT, 'workflows', f)))).toEqual([]);
  const offenders: string[] = [];
  for (const [file, specs] of graph) {
    const rel = path.relative(ROOT, file);
    if (!/^(mas|workflows)\//.test(rel)) offenders.push(`${rel} is reached from workflow code`);
    for (const s of specs) if (!s.startsWith('.') && s !== '@temporalio/workflow') offenders.push(`${rel} imports ${s}`);
  }
  expect(offenders).toEqual([]);
});

test('the built-in templates are complete: parsing them changes nothing', () => {
  for (const t of [...Object.values(TEMPLATES_BY_KIND), DEFAULT_TEMPLATE]) expect(TemplateSchema.parse(t)).toEqual(t);
});
