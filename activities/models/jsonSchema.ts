/**
 * zod → JSON Schema for `response_format: json_schema` and for function-calling
 * tool parameters. zod v4 has `z.toJSONSchema` built in; this wraps it with the
 * few adjustments OpenAI-compatible endpoints need.
 */
import { z } from 'zod';

/**
 * The JSON Schema of what the *model* must produce, i.e. the zod *input* type:
 * fields with `.default()` are optional (zod fills them in), transforms and
 * refinements are ignored (zod checks them after parsing).
 *
 * Adjustments:
 * - `$schema` is removed (several servers reject unknown top-level keywords);
 * - `oneOf` becomes `anyOf` (OpenAI's structured outputs only know `anyOf`;
 *   zod emits `oneOf` for discriminated unions, whose branches are exclusive anyway);
 * - unrepresentable types (dates, transforms, custom) become `{}` instead of throwing.
 */
export function zodToJsonSchema(schema: z.ZodType): Record<string, unknown> {
  const raw = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  const out = normalize(raw) as Record<string, unknown>;
  delete out['$schema'];
  return out;
}

/** Keywords whose value maps arbitrary names (not keywords) to sub-schemas. */
const NAME_MAPS = new Set(['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas']);

function normalize(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(normalize);
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node as Record<string, unknown>)) {
    if (NAME_MAPS.has(k) && v !== null && typeof v === 'object' && !Array.isArray(v)) {
      out[k] = Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([name, sub]) => [name, normalize(sub)]));
    } else if (k === 'oneOf' && !('anyOf' in (node as Record<string, unknown>))) {
      out['anyOf'] = normalize(v);
    } else {
      out[k] = normalize(v);
    }
  }
  return out;
}

/** A name acceptable as `json_schema.name` / a function name: ^[a-zA-Z0-9_-]{1,64}$. */
export function schemaName(name: string): string {
  const cleaned = name.replace(/[^A-Za-z0-9_-]+/g, '_').replace(/^_+|_+$/g, '').slice(0, 64);
  return cleaned || 'output';
}
