/**
 * `mas2 cto train TREES.tree.json --out DIR`: a named, versioned meta policy from collected CTO
 * trees (docs/cto.md, "Training"). The trees file is checked, credit recomputed with mas/cto.ts,
 * and one of two trainers writes its artefacts into DIR: the value-guided prior (seconds, no
 * dependencies) or value-weighted DPO with LoRA (trainer/dpo.py in its own Python environment).
 * The manifest (policy.json) is written last, so a folder whose training was interrupted holds
 * no policy until the same command, run again, resumes and finishes it.
 */
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CtoTree } from '../mas/cto';
import { CTO_TREES_FORMAT, CtoTreesFileSchema, META_POLICY_FORMAT, META_POLICY_MANIFEST, MetaPolicyManifestSchema, type MetaPolicyManifest, type TrainerName } from '../mas/ctoSchemas';
import { buildPrior } from '../mas/ctoPrior';
import { NothingToLearnError, checkLearnable, creditedTrees, dpoRowsOf, summarize, trainingProblems } from '../mas/ctoTraining';
import { MetaPolicyRefSchema, type MetaRole } from '../mas/schemas';
import { mas2Home } from '../activities/home';
import { openBlobStore } from '../activities/blobStore';
import { loadPrompts } from './cto';
import { UserError } from './errors';
import { zodLine } from './inputs';
import { packageRoot } from './temporalBinary';
import { modelSpec, type LocalModelSpec } from './localModel/catalog';
import { exec } from './localModel/exec';
import { localModelsDir, modelFiles } from './localModel/paths';
import { modelReady } from './localModel/provision';
import { installTrainer, trainerFiles, trainerProblem, trainerSources } from './localModel/trainer';

export interface TrainOptions {
  out: string;
  trainer: TrainerName;
  name?: string;
  /** DPO: install the trainer's Python environment first if it is missing. */
  install?: boolean;
  /** DPO: the local model whose weights the adapters train (default: the local pool's meta-agent model). */
  baseModel: string;
  maxPairs?: number;
  maxLength: number;
  epochs: number;
}

export const DEFAULT_DPO_BASE = 'qwen-1.5b';

const sha256 = (text: string | Buffer) => createHash('sha256').update(text).digest('hex');

/** The trees of a `mas2 cto` trees file, with their credit recomputed; one line for anything wrong. */
export function readTreesFile(file: string): { trees: CtoTree[]; text: string; tasksFile?: string; tasksSha256?: string } {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new UserError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (!text.trim()) throw new UserError(`${file} is empty: give the .tree.json that \`mas2 cto\` wrote`);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new UserError(`${file} is not JSON (${(e as Error).message}): give the .tree.json that \`mas2 cto\` wrote`);
  }
  const format = (raw as { format?: unknown } | null)?.format;
  if (format !== CTO_TREES_FORMAT) throw new UserError(`${file} is not a mas2 cto trees file (format ${typeof format === 'string' ? `"${format}"` : 'missing'}, expected "${CTO_TREES_FORMAT}")`);
  const parsed = CtoTreesFileSchema.safeParse(raw);
  if (!parsed.success) throw new UserError(`${file} is malformed: ${zodLine(parsed.error)}`);
  const trees = creditedTrees(parsed.data.trees as unknown as CtoTree[]);
  try {
    checkLearnable(trees, file);
  } catch (e) {
    if (e instanceof NothingToLearnError) throw new UserError(e.message);
    throw e;
  }
  return { trees, text, tasksFile: parsed.data.tasksFile, tasksSha256: parsed.data.tasksSha256 };
}

/** The version the folder's next policy gets: one more than the policy it holds, which must have the same name. */
export function nextVersion(dir: string, name: string): number {
  const file = path.join(dir, META_POLICY_MANIFEST);
  if (!fs.existsSync(file)) return 1;
  let old: MetaPolicyManifest;
  try {
    old = MetaPolicyManifestSchema.parse(JSON.parse(fs.readFileSync(file, 'utf8')));
  } catch {
    throw new UserError(`${dir} holds a ${META_POLICY_MANIFEST} this mas2 cannot read: choose another --out, or remove it`);
  }
  if (old.name !== name) throw new UserError(`${dir} holds the policy "${old.name}"; give --name ${old.name} to train its next version, or choose another --out`);
  return old.version + 1;
}

/** The mas2 that trained a policy: package version and, in a git checkout, the commit. */
export function engineId(): string {
  const root = packageRoot();
  const version = (JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version;
  const git = spawnSync('git', ['-C', root, 'rev-parse', '--short=12', 'HEAD'], { encoding: 'utf8' });
  const dirty = spawnSync('git', ['-C', root, 'status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8' });
  return git.status === 0 ? `mas2 ${version} ${git.stdout.trim()}${dirty.stdout?.trim() ? '-dirty' : ''}` : `mas2 ${version}`;
}

function writeAtomic(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}

export async function trainPolicy(treesFile: string, o: TrainOptions, log: (line: string) => void): Promise<MetaPolicyManifest> {
  const name = o.name ?? path.basename(path.resolve(o.out));
  const nameCheck = MetaPolicyRefSchema.shape.name.safeParse(name);
  if (!nameCheck.success) throw new UserError(`--name "${name}": ${nameCheck.error.issues[0].message}`);
  const { trees, text, tasksFile, tasksSha256 } = readTreesFile(treesFile);
  const dir = path.resolve(o.out);
  const version = nextVersion(dir, name);
  const s = summarize(trees);
  // In the meta-agents' own order, whatever order the trees listed them in.
  const pairs = (['generator', 'implementer', 'rectifier'] as const).filter((r) => s.pairs[r]).map((r) => `${r} ${s.pairs[r]}`).join(', ');
  log(`${s.trees} trees, ${s.trajectories} trajectories (${s.passed} passed), ${pairs} preference pairs`);
  fs.mkdirSync(dir, { recursive: true });
  const manifest: MetaPolicyManifest = {
    format: META_POLICY_FORMAT,
    name,
    version,
    trainer: o.trainer,
    createdAt: new Date().toISOString(),
    engine: engineId(),
    training: {
      treesFile: path.resolve(treesFile),
      treesSha256: sha256(text),
      ...(tasksFile ? { tasksFile } : {}),
      ...(tasksSha256 ? { tasksSha256 } : {}),
      problems: trainingProblems(trees),
      trees: s.trees,
      trajectories: s.trajectories,
      pairs: s.pairs,
    },
  };
  if (o.trainer === 'prior') {
    const prior = buildPrior(trees);
    writeAtomic(path.join(dir, 'prior.json'), JSON.stringify(prior, null, 2) + '\n');
    manifest.prior = { file: 'prior.json' };
    const kinds = Object.entries(prior).map(([role, byKind]) => `${role}: ${Object.entries(byKind).map(([k, list]) => `${k} ${list!.length}`).join(', ') || 'none'}`);
    log(`prior: decision signatures per task kind — ${kinds.join('; ')}`);
  } else {
    manifest.dpo = await trainDpo(trees, dir, o, log);
  }
  writeAtomic(path.join(dir, META_POLICY_MANIFEST), JSON.stringify(manifest, null, 2) + '\n');
  return manifest;
}

async function trainDpo(trees: CtoTree[], dir: string, o: TrainOptions, log: (line: string) => void): Promise<NonNullable<MetaPolicyManifest['dpo']>> {
  const home = mas2Home();
  const cacheDir = localModelsDir(process.env);
  let spec: LocalModelSpec;
  try {
    spec = modelSpec(o.baseModel);
  } catch (e) {
    throw new UserError(`--base-model: ${(e as Error).message}`);
  }
  if (!modelReady(cacheDir, spec)) throw new UserError(`the local model ${spec.id} is not provisioned in ${cacheDir}: run \`mas2 local-model provision\` first`);
  if (o.install && trainerProblem(cacheDir)) await installTrainer(cacheDir, log);
  const problem = trainerProblem(cacheDir);
  if (problem) throw new UserError(problem);

  // The prompts live in the blob store the collection's workers wrote to, as for `mas2 cto`'s export.
  const blobs = openBlobStore(home);
  let rows;
  try {
    rows = dpoRowsOf(trees, await loadPrompts(blobs, trees), o.maxPairs);
  } finally {
    await blobs.close();
  }
  const train = path.join(dir, 'train');
  fs.mkdirSync(train, { recursive: true });
  const pairsFile = path.join(train, 'pairs.jsonl');
  writeAtomic(pairsFile, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  const perRole = rows.reduce<Record<string, number>>((acc, r) => ((acc[r.role] = (acc[r.role] ?? 0) + 1), acc), {});
  log(`DPO on ${spec.id}: ${rows.length} pairs (${Object.entries(perRole).map(([r, n]) => `${r} ${n}`).join(', ')}), ${o.epochs} epochs, ≤ ${o.maxLength} tokens per pair; progress below, full log ${path.join(train, 'trainer.log')}`);
  const tf = trainerFiles(cacheDir);
  const args = [
    trainerSources().dpo,
    '--pairs', pairsFile,
    '--gguf', modelFiles(cacheDir, spec).gguf,
    '--base', path.join(tf.bases, spec.id),
    '--work', path.join(train, 'work'),
    '--out', dir,
    '--llama-cpp', tf.llamaCpp,
    '--max-length', String(o.maxLength),
    '--epochs', String(o.epochs),
  ];
  try {
    await exec(tf.python, args, { nice: true, logFile: path.join(train, 'trainer.log'), onLine: (l) => l.startsWith('dpo: ') && log(l.slice('dpo: '.length)) });
  } catch (e) {
    throw new Error(`the DPO trainer stopped: ${(e as Error).message.split('\n').slice(-3).join(' | ')} (the same command resumes from its last checkpoint)`);
  }
  const metrics = JSON.parse(fs.readFileSync(path.join(dir, 'metrics.json'), 'utf8')) as { roles: Record<string, { adapter: string }>; hyper: Record<string, number> };
  const adapters: Partial<Record<MetaRole, string>> = {};
  for (const [role, m] of Object.entries(metrics.roles)) adapters[role as MetaRole] = m.adapter;
  return {
    baseModel: spec.id,
    baseModelSha256: spec.sha256,
    adapters,
    pairsFile: path.relative(dir, pairsFile),
    hyper: { ...metrics.hyper, maxPairs: o.maxPairs ?? null, weighting: 'ΔV / mean ΔV of the role', pairSampling: 'all pairs (maxPairs: largest ΔV first, roles in turn)' },
    metrics: metrics as unknown as Record<string, unknown>,
  };
}
