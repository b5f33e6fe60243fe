/**
 * Which pool a run uses, one rule for `mas2 run`, `eval`, `cto` and the
 * library: what is named, else MAS2_POOL, else OpenAI with a key, else the
 * local models. The simulator only when asked for, and it says it is not a model.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { choosePool, OPENAI_DEFAULT_POOL, preparePool, workerPoolWarning } from '../../client/pools';
import { SIMULATOR_POOL } from '../../mas/simulatorPool';
import { provisionFailure } from '../../client/localModel/start';
import { isUserError } from '../../client/errors';

describe('choosePool', () => {
  test('no pool and no key: the local models, a real model, named on the note', () => {
    const c = choosePool(undefined, {});
    expect(c.kind).toBe('local');
    expect(c.pool.backbones.map((b) => b.local)).toEqual(['qwen-0.5b', 'qwen-1.5b']);
    expect(c.note).toMatch(/^using the local models qwen-0\.5b and qwen-1\.5b, served by llama\.cpp on this machine/);
    expect(c.note).toContain('--pool sim');
  });

  test('a key picks OpenAI; a named pool beats the key; MAS2_POOL beats the key but not a named pool', () => {
    expect(choosePool(undefined, { OPENAI_API_KEY: 'k' })).toMatchObject({ kind: 'openai', pool: OPENAI_DEFAULT_POOL });
    expect(choosePool('local', { OPENAI_API_KEY: 'k' }).kind).toBe('local');
    expect(choosePool(undefined, { OPENAI_API_KEY: 'k', MAS2_POOL: 'sim' }).kind).toBe('sim');
    expect(choosePool('local', { MAS2_POOL: 'sim' }).kind).toBe('local');
    expect(choosePool(undefined, { MAS2_POOL: 'sim' }).note).toContain('(MAS2_POOL)');
  });

  test('--pool sim is the simulator, and says it is not a model', () => {
    const c = choosePool('sim', {});
    expect(c).toMatchObject({ kind: 'sim', label: 'sim', pool: SIMULATOR_POOL });
    expect(c.note).toMatch(/^using the simulator: .*not a model$/);
  });

  test('anything else is a pool file; an empty name is one line', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mas2-pools-'));
    const file = path.join(dir, 'p.json');
    fs.writeFileSync(file, JSON.stringify(SIMULATOR_POOL));
    expect(choosePool(file, {})).toMatchObject({ kind: 'file', label: 'p.json' });
    expect(() => choosePool(' ', {})).toThrow(/^--pool is empty/);
    expect(() => choosePool(path.join(dir, 'missing.yaml'), {})).toThrow(/cannot read pool file/);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe('preparing a pool', () => {
  test('only the local pool in a process that hosts the worker needs work; otherwise the preset goes as it is', async () => {
    const log = jest.fn();
    for (const c of [choosePool('sim', {}), choosePool(undefined, { OPENAI_API_KEY: 'k' }), choosePool(undefined, {})]) {
      expect(await preparePool(c, { home: '/nonexistent', log, hostsWorker: c.kind !== 'local' })).toBe(c.pool);
    }
    expect(log).not.toHaveBeenCalled();
  });

  test('a provisioning failure is one user error naming the cause, the log and the alternatives', () => {
    const e = provisionFailure('/c', new Error('python3 -m pip download … failed (exit 1):\nCollecting x\nERROR: Could not find a version that satisfies the requirement x\nERROR: No matching distribution found for x'));
    expect(isUserError(e)).toBe(true);
    expect(e.message).not.toContain('\n');
    expect(e.message).toMatch(/^cannot provision the local models in \/c: python3 -m pip download … failed \(exit 1\) — ERROR: Could not find a version/);
    expect(e.message).toContain('(log: /c/build.log)');
    expect(e.message).toMatch(/--pool sim.*OPENAI_API_KEY/);
    // A missing tool is already a sentence of its own: kept, with the alternatives added.
    const m = provisionFailure('/c', new Error('cannot provision the local models in /c: missing cmake (e.g. apt-get install cmake)'));
    expect(m.message).toMatch(/^cannot provision the local models in \/c: missing cmake \(e\.g\. apt-get install cmake\); meanwhile `--pool sim`/);
  });

  test('a worker warns once when the default pool of its environment is local and not provisioned', () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'mas2-pools-cache-'));
    expect(workerPoolWarning({ MAS2_LOCAL_MODELS_DIR: empty })).toMatch(/not provisioned in .*mas2 local-model provision/);
    expect(workerPoolWarning({ MAS2_LOCAL_MODELS_DIR: empty, OPENAI_API_KEY: 'k' })).toBeUndefined();
    expect(workerPoolWarning({ MAS2_LOCAL_MODELS_DIR: empty, MAS2_POOL: 'sim' })).toBeUndefined();
    fs.rmSync(empty, { recursive: true, force: true });
  });
});
