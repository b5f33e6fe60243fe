/**
 * The DPO trainer's Python environment, opt-in (`mas2 cto train --trainer dpo --install`): a venv
 * in the local-models cache with a CPU-only torch, transformers, PEFT and TRL pinned in
 * trainer/requirements.txt (≈2.0 GB; PyPI's default torch would add ≈2.4 GB of CUDA wheels, see
 * trainer/cuda_stubs.py), and llama.cpp's LoRA converter taken from the same llama-cpp-python
 * sdist the llama-server is built from. Installed in place under a lock; a record written last
 * says it is complete, so an interrupted install is redone rather than half used.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { packageRoot } from '../temporalBinary';
import { LLAMA_SDIST } from './catalog';
import { exec, runsOk } from './exec';
import { withLock } from './lock';
import { PYTHON, type Log } from './provision';

const INSTALL_WAIT_MS = 60 * 60_000;

export function trainerSources(root = packageRoot()) {
  const dir = path.join(root, 'trainer');
  return { dir, dpo: path.join(dir, 'dpo.py'), stubs: path.join(dir, 'cuda_stubs.py'), requirements: path.join(dir, 'requirements.txt') };
}

export function trainerFiles(cacheDir: string) {
  const dir = path.join(path.resolve(cacheDir), 'trainer');
  const venv = path.join(dir, 'venv');
  return {
    dir,
    venv,
    python: path.join(venv, 'bin', 'python'),
    /** convert_lora_to_gguf.py, convert_hf_to_gguf.py and gguf-py/ from the sdist's vendor/llama.cpp. */
    llamaCpp: path.join(dir, 'llama.cpp'),
    /** The base models' dequantised weights, one folder per local model (dpo.py --base). */
    bases: path.join(dir, 'bases'),
    record: path.join(dir, 'installed.json'),
    log: path.join(dir, 'install.log'),
    lock: path.join(dir, 'install.lock'),
  };
}

function requirementsSha(): string {
  return createHash('sha256').update(fs.readFileSync(trainerSources().requirements)).digest('hex');
}

/** Installed, complete, and from the requirements this mas2 ships. */
export function trainerInstalled(cacheDir: string): boolean {
  try {
    const rec = JSON.parse(fs.readFileSync(trainerFiles(cacheDir).record, 'utf8')) as { requirementsSha256?: string };
    return rec.requirementsSha256 === requirementsSha() && fs.existsSync(trainerFiles(cacheDir).python);
  } catch {
    return false;
  }
}

/** Why the DPO trainer cannot run here, in one line; undefined when it can. */
export function trainerProblem(cacheDir: string): string | undefined {
  if (!runsOk(PYTHON, ['--version'])) return `the DPO trainer needs Python 3 ("${PYTHON}" does not run; set MAS2_PYTHON)`;
  if (!trainerInstalled(cacheDir)) return `the DPO trainer's Python environment (torch, transformers, PEFT, TRL; ≈2 GB in ${trainerFiles(cacheDir).dir}) is not installed: add --install to install it`;
  if (!runsOk(trainerFiles(cacheDir).python, ['-c', 'import torch, transformers, peft, trl'])) return `torch, transformers, PEFT or TRL does not import in ${trainerFiles(cacheDir).venv}: reinstall with --install`;
  return undefined;
}

export async function installTrainer(cacheDir: string, log: Log): Promise<void> {
  const f = trainerFiles(cacheDir);
  fs.mkdirSync(f.dir, { recursive: true });
  if (!runsOk(PYTHON, ['-m', 'venv', '--help'])) throw new Error(`the DPO trainer needs Python 3 with venv ("${PYTHON} -m venv" does not run; set MAS2_PYTHON)`);
  if (!runsOk('cc', ['--version']) || !runsOk('readelf', ['--version'])) throw new Error('installing the DPO trainer needs a C compiler (cc) and readelf (apt-get install gcc binutils)');
  await withLock(f.lock, INSTALL_WAIT_MS, async () => {
    if (trainerInstalled(cacheDir)) return;
    const src = trainerSources();
    const started = Date.now();
    fs.rmSync(f.record, { force: true });
    fs.rmSync(f.venv, { recursive: true, force: true });
    log(`installing the DPO trainer into ${f.venv} (≈2 GB from PyPI; log ${f.log})`);
    await exec(PYTHON, ['-m', 'venv', f.venv], { logFile: f.log });
    await exec(f.python, ['-m', 'pip', 'install', '--no-deps', '--progress-bar', 'off', '--disable-pip-version-check', '-r', src.requirements], { logFile: f.log });
    const site = (await capture(f.python, ['-c', 'import sysconfig; print(sysconfig.get_paths()["purelib"])'])).trim();
    await exec(f.python, [src.stubs, site], { logFile: f.log });
    // The converter of the llama.cpp we serve with, so the adapter's GGUF layout matches the server.
    const tmp = fs.mkdtempSync(path.join(f.dir, '.tmp-sdist-'));
    try {
      await exec(PYTHON, ['-m', 'pip', 'download', '--no-deps', '--no-binary', ':all:', '--progress-bar', 'off', '--disable-pip-version-check', '-d', tmp, `${LLAMA_SDIST.name}==${LLAMA_SDIST.version}`], { logFile: f.log });
      const sdist = fs.readdirSync(tmp).find((n) => n.endsWith('.tar.gz'));
      if (!sdist) throw new Error(`pip did not produce a .tar.gz sdist of ${LLAMA_SDIST.name} in ${tmp}`);
      const top = `${LLAMA_SDIST.name.replace(/-/g, '_')}-${LLAMA_SDIST.version}/vendor/llama.cpp`;
      fs.rmSync(f.llamaCpp, { recursive: true, force: true });
      fs.mkdirSync(f.llamaCpp, { recursive: true });
      await exec('tar', ['xzf', path.join(tmp, sdist), '-C', f.llamaCpp, '--strip-components=3', `${top}/convert_lora_to_gguf.py`, `${top}/convert_hf_to_gguf.py`, `${top}/gguf-py`], { logFile: f.log });
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
    await exec(f.python, ['-c', 'import torch, transformers, peft, trl; assert not torch.cuda.is_available(); x = torch.ones(2, requires_grad=True); (x * x).sum().backward(); assert x.grad.tolist() == [2.0, 2.0]'], { logFile: f.log });
    const bytes = folderBytes(f.venv);
    fs.writeFileSync(f.record, JSON.stringify({ requirementsSha256: requirementsSha(), venvBytes: bytes, seconds: Math.round((Date.now() - started) / 1000), at: new Date().toISOString() }, null, 2) + '\n');
    log(`DPO trainer installed (${(bytes / 1e9).toFixed(2)} GB, ${Math.round((Date.now() - started) / 1000)} s)`);
  });
}

function capture(cmd: string, args: string[]): Promise<string> {
  let out = '';
  return exec(cmd, args, { onLine: (l) => (out += `${l}\n`) }).then(() => out);
}

function folderBytes(dir: string): number {
  let sum = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) sum += folderBytes(p);
    else if (e.isFile()) sum += fs.statSync(p).size;
  }
  return sum;
}
