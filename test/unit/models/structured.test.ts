import { z } from 'zod';
import { completeStructured, extractJson, formatZodIssues } from '../../../activities/models/structured';
import { zodToJsonSchema, schemaName } from '../../../activities/models/jsonSchema';
import { isModelError, type ModelClient, type ModelRequest } from '../../../activities/models/types';
import type { ModelResponse } from '../../../mas/messages';
import { BackboneSchema, ImplementerOutputSchema, PatchSchema } from '../../../mas/schemas';

describe('extractJson', () => {
  test.each([
    ['{"a":1}', { a: 1 }],
    ['  [1,2]  ', [1, 2]],
    ['```json\n{"a": {"b": [1, 2]}}\n```', { a: { b: [1, 2] } }],
    ['```\n{"a": 2}\n```', { a: 2 }],
    ['Here you go:\n\n```json\n{"a": 3}\n```\nAnything else?', { a: 3 }],
    ['Sure. {"a": "with } and { inside a string", "b": "\\"q\\""} trailing prose', { a: 'with } and { inside a string', b: '"q"' }],
    ['Note {not json} then {"a": 4}', { a: 4 }],
    ['prefix [1, 2, 3] suffix', [1, 2, 3]],
  ])('%j', (text, expected) => {
    expect(extractJson(text)).toEqual(expected);
  });

  test('throws when there is no JSON', () => {
    expect(() => extractJson('')).toThrow(/empty/);
    expect(() => extractJson('no json here')).toThrow(/no JSON object found/);
    // A truncated object must not yield one of its inner arrays.
    expect(() => extractJson('{"steps": ["a", "b"], "confidence": 0.5')).toThrow(/no JSON object found/);
  });
});

describe('formatZodIssues', () => {
  test('one line, path: message, capped', () => {
    const r = z.object({ a: z.string(), b: z.array(z.number()) }).safeParse({ a: 1, b: ['x', 'y'] });
    expect(r.success).toBe(false);
    const text = formatZodIssues(r.error);
    expect(text).toMatch(/^a: .+; b\.0: .+; b\.1: .+$/);
    expect(text).not.toContain('\n');
    const many = z.array(z.string()).safeParse([1, 2, 3, 4, 5]);
    expect(formatZodIssues(many.error, 2)).toMatch(/… and 3 more$/);
  });

  test('root issues and non-zod errors', () => {
    expect(formatZodIssues(z.object({}).safeParse(3).error)).toMatch(/^\(root\): /);
    expect(formatZodIssues(new Error('boom\nbang'))).toBe('boom bang');
  });
});

describe('zodToJsonSchema', () => {
  test('no $schema, defaults optional, discriminated unions as anyOf', () => {
    const impl = zodToJsonSchema(ImplementerOutputSchema);
    expect(impl['$schema']).toBeUndefined();
    expect(impl['required']).toEqual(['assignment']);
    const patch = JSON.stringify(zodToJsonSchema(PatchSchema));
    expect(patch).not.toContain('"oneOf"');
    expect(patch).toContain('"anyOf"');
  });

  test('a property literally named oneOf is left alone', () => {
    const s = zodToJsonSchema(z.object({ oneOf: z.string() })) as { properties: Record<string, unknown> };
    expect(Object.keys(s.properties)).toEqual(['oneOf']);
  });

  test('schemaName sanitizes', () => {
    expect(schemaName('rectifier patch v2')).toBe('rectifier_patch_v2');
    expect(schemaName('***')).toBe('output');
    expect(schemaName('x'.repeat(100))).toHaveLength(64);
  });
});

describe('completeStructured with a scripted ModelClient', () => {
  const backbone = BackboneSchema.parse({ id: 'b', provider: 'openai', model: 'm', pricing: { inputPerM: 0, outputPerM: 0 } });
  const baseReq: ModelRequest = { backbone, messages: [{ role: 'user', content: 'go' }] };
  const Out = z.object({ n: z.number().int() });

  function scripted(replies: Partial<ModelResponse>[]): ModelClient & { seen: ModelRequest[] } {
    const seen: ModelRequest[] = [];
    return {
      seen,
      async complete(req) {
        seen.push(req);
        const r = replies.shift();
        if (!r) throw new Error('script exhausted');
        return { content: null, toolCalls: [], usage: { inputTokens: 1, outputTokens: 1 }, finishReason: 'stop', ...r };
      },
    };
  }

  test('uses forced tool-call arguments when content is empty', async () => {
    const c = scripted([{ content: null, toolCalls: [{ id: 't', name: 'out', arguments: '{"n": 5}' }] }]);
    const out = await completeStructured(c, baseReq, Out, 'out');
    expect(out.value).toEqual({ n: 5 });
    expect(c.seen[0]!.responseFormat?.name).toBe('out');
    expect(c.seen[0]!.responseFormat?.schema['type']).toBe('object');
  });

  test('the call and its repair round are one conversation, ended after the last of them, also on a schema failure; cached tokens are summed', async () => {
    const ended: string[] = [];
    const c = Object.assign(
      scripted([
        { content: '{"n": 1.5}', usage: { inputTokens: 10, outputTokens: 2, cachedInputTokens: 0 } },
        { content: '{"n": 2}', usage: { inputTokens: 20, outputTokens: 3, cachedInputTokens: 12 } },
      ]),
      { endConversation: (k: string) => ended.push(k) },
    );
    const out = await completeStructured(c, { ...baseReq, conversation: 'w/generator/g1' }, Out, 'out');
    expect(out.usage).toEqual({ inputTokens: 30, outputTokens: 5, cachedInputTokens: 12 });
    expect(c.seen.map((r) => r.conversation)).toEqual(['w/generator/g1', 'w/generator/g1']);
    expect(ended).toEqual(['w/generator/g1']);
    const failing = Object.assign(scripted([{ content: 'no' }, { content: 'still no' }]), { endConversation: (k: string) => ended.push(k) });
    await expect(completeStructured(failing, { ...baseReq, conversation: 'w/rectifier/r1' }, Out, 'out')).rejects.toMatchObject({ kind: 'schema' });
    expect(ended).toEqual(['w/generator/g1', 'w/rectifier/r1']);
  });

  test('the schema error carries the summed usage and does not mutate the caller messages', async () => {
    const c = scripted([
      { content: '{"n": 1.5}', usage: { inputTokens: 10, outputTokens: 2 } },
      { content: '{"n": "x"}', usage: { inputTokens: 20, outputTokens: 3 } },
    ]);
    let caught: unknown;
    try {
      await completeStructured(c, baseReq, Out, 'out');
    } catch (e) {
      caught = e;
    }
    expect(isModelError(caught)).toBe(true);
    expect(caught).toMatchObject({ kind: 'schema', retryable: false, usage: { inputTokens: 30, outputTokens: 5 } });
    expect(baseReq.messages).toHaveLength(1);
    expect(c.seen[1]!.messages).toHaveLength(3);
  });

  test('model errors from the client propagate unchanged (no repair round)', async () => {
    const c: ModelClient = {
      complete: async () => {
        throw Object.assign(new Error('rate limited'), { name: 'ModelError', kind: 'rate_limit', retryable: true });
      },
    };
    await expect(completeStructured(c, baseReq, Out, 'out')).rejects.toMatchObject({ kind: 'rate_limit', retryable: true });
  });
});
