/**
 * A trained meta policy folder (`mas2 cto train --out DIR`) as `mas2 run` and `mas2 eval` use it
 * (`--meta-policy DIR`): its manifest checked (format, schema, artefacts), the reference recorded
 * in the run input, and — for LoRA adapters — the pool's meta-agents pointed at them.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { META_POLICY_FORMAT, META_POLICY_MANIFEST, MetaPolicyManifestSchema, type MetaPolicyManifest } from '../mas/ctoSchemas';
import { withMetaAdapters } from '../mas/pool';
import { priorExemplars, type Prior } from '../mas/ctoPrior';
import { MetaExemplarsSchema, type MetaExemplars, type MetaPolicyRef, type MetaRole, type Pool } from '../mas/schemas';
import { UserError } from './errors';
import { zodLine } from './inputs';

export interface LoadedPolicy {
  dir: string;
  manifest: MetaPolicyManifest;
  ref: MetaPolicyRef;
  /** Absolute paths of the LoRA adapters, per role (trainer "dpo"). */
  adapters: Partial<Record<MetaRole, string>>;
  /** The value-guided prior (trainer "prior"). */
  prior?: Prior;
}

export function manifestDigest(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex').slice(0, 16);
}

export function loadMetaPolicy(dirArg: string): LoadedPolicy {
  const dir = path.resolve(dirArg);
  const file = path.join(dir, META_POLICY_MANIFEST);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(`--meta-policy ${dirArg}: ${code === 'ENOENT' ? `no ${META_POLICY_MANIFEST} there; \`mas2 cto train --out DIR\` writes a policy folder` : `cannot read ${file} (${code ?? (e as Error).message})`}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new UserError(`--meta-policy ${dirArg}: ${META_POLICY_MANIFEST} is not JSON (${(e as Error).message})`);
  }
  const format = (raw as { format?: unknown } | null)?.format;
  if (format !== META_POLICY_FORMAT) {
    throw new UserError(`--meta-policy ${dirArg}: a policy of format ${typeof format === 'string' ? `"${format}"` : 'unknown'}; this mas2 reads "${META_POLICY_FORMAT}": train it again with this mas2`);
  }
  const parsed = MetaPolicyManifestSchema.safeParse(raw);
  if (!parsed.success) throw new UserError(`--meta-policy ${dirArg}: ${META_POLICY_MANIFEST} is invalid: ${zodLine(parsed.error)}`);
  const manifest = parsed.data;
  const inside = (rel: string, what: string) => {
    const p = path.resolve(dir, rel);
    if (!fs.existsSync(p)) throw new UserError(`--meta-policy ${dirArg}: its ${what} ${rel} is missing`);
    return p;
  };
  const adapters: Partial<Record<MetaRole, string>> = {};
  let prior: Prior | undefined;
  if (manifest.trainer === 'prior') prior = readPrior(inside(manifest.prior?.file ?? 'prior.json', 'prior'), dirArg);
  if (manifest.trainer === 'dpo') {
    if (!manifest.dpo || !Object.keys(manifest.dpo.adapters).length) throw new UserError(`--meta-policy ${dirArg}: a DPO policy without adapters`);
    for (const [role, rel] of Object.entries(manifest.dpo.adapters) as [MetaRole, string][]) adapters[role] = inside(rel, `${role} adapter`);
  }
  return { dir, manifest, adapters, ...(prior ? { prior } : {}), ref: { name: manifest.name, version: manifest.version, trainer: manifest.trainer, digest: manifestDigest(text) } };
}

/**
 * The pool a run uses under the policy. DPO adapters go on the meta-agents only, over the local
 * model they were trained from; a prior leaves the pool as it is (the meta-agents read it).
 */
export function poolUnderPolicy(pool: Pool, p: LoadedPolicy): Pool {
  if (p.manifest.trainer !== 'dpo') return pool;
  const base = p.manifest.dpo!.baseModel;
  const backbone = pool.backbones.find((b) => b.local === base);
  if (!backbone) throw new UserError(`--meta-policy ${p.dir}: its adapters are for the local model ${base}; use --pool local (or a pool with a local ${base} backbone)`);
  return withMetaAdapters(pool, backbone.id, p.adapters);
}

export function describePolicy(p: LoadedPolicy): string {
  const m = p.manifest;
  const what = m.trainer === 'dpo' ? `LoRA adapters for ${Object.keys(p.adapters).join(', ')} over ${m.dpo!.baseModel}` : 'a value-guided prior';
  return `meta policy ${m.name} v${m.version} (${what}; trained on ${m.training.problems.length} problems)`;
}

const ROLES: MetaRole[] = ['generator', 'implementer', 'rectifier'];

function readPrior(file: string, dirArg: string): Prior {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UserError(`--meta-policy ${dirArg}: its prior ${path.basename(file)} is not readable JSON (${(e as Error).message})`);
  }
  const ok = typeof raw === 'object' && raw !== null && ROLES.every((r) => typeof (raw as Record<string, unknown>)[r] === 'object' && (raw as Record<string, unknown>)[r] !== null);
  if (!ok) throw new UserError(`--meta-policy ${dirArg}: its prior ${path.basename(file)} has no ${ROLES.join(' / ')} sections: train it again with \`mas2 cto train\``);
  return raw as Prior;
}

/** How many of the prior's decisions each meta-agent is shown: a small model follows two examples, not ten. */
export const EXEMPLARS_PER_ROLE = 2;

/**
 * The prior's advice for one task, per meta-agent (the decisions that beat their siblings on
 * tasks of its kind), as it goes into the run input; undefined when the policy has none for it.
 */
export function metaExemplarsFor(policy: LoadedPolicy, task: string): MetaExemplars | undefined {
  if (!policy.prior) return undefined;
  const advice: MetaExemplars = {};
  for (const role of ROLES) {
    const list = priorExemplars(policy.prior, role, task, EXEMPLARS_PER_ROLE).map((e) => ({ signature: e.signature, score: e.score, meanValue: e.meanValue, decisions: e.decisions, example: e.example }));
    if (list.length) advice[role] = list;
  }
  if (!Object.keys(advice).length) return undefined;
  const checked = MetaExemplarsSchema.safeParse(advice);
  if (!checked.success) throw new UserError(`--meta-policy ${policy.dir}: its prior holds a decision this mas2 cannot show: ${zodLine(checked.error)}`);
  return checked.data;
}
