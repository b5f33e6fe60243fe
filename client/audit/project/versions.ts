/**
 * The config versions M_1, M_2, … as the projection meets them: v1 from the
 * design, each later one by replaying an applied patch on the one before.
 */
import type { Config, Rectification } from '../../../mas/schemas';
import { applyPatch, describeDiff } from '../../../mas/patch';
import { stableStringify } from '../../../mas/hash';
import type { Audit, ConfigVersion, RectificationAudit } from '../schemas';
import type { Context } from './context';

const agentKey = (c: Config, id: string) => stableStringify({ spec: c.template.agents.find((a) => a.id === id), backbone: c.assignment[id] });
export const edgeKey = (e: { from: string; to: string }) => `${e.from} → ${e.to}`;

function versionEntry(prev: Config | null, next: Config, origin: ConfigVersion['origin'], label: string): ConfigVersion {
  const changed = prev ? next.template.agents.map((a) => a.id).filter((id) => !prev.template.agents.some((a) => a.id === id) || agentKey(prev, id) !== agentKey(next, id)) : [];
  const before = new Set(prev?.template.edges.map(edgeKey) ?? []);
  const addedEdges = prev ? next.template.edges.map(edgeKey).filter((e) => !before.has(e)) : [];
  return { version: next.version, origin, label, config: next, changed, addedEdges, diff: prev ? describeDiff(prev, next) : [] };
}

export class ConfigHistory {
  readonly versions: ConfigVersion[] = [];
  current: Config | null = null;

  constructor(
    private readonly c: Context,
    private readonly generator: Audit['generator'],
    private readonly implementer: Audit['implementer'],
  ) {}

  adopt(config: Config, origin: ConfigVersion['origin'], label: string): void {
    this.versions.push(versionEntry(this.versions.length ? this.versions[this.versions.length - 1].config : null, config, origin, label));
    this.current = config;
  }

  /** v1, once the design is known (or seen through the first Rectifier input). */
  ensureV1(): void {
    if (this.current) return;
    const { generator: gen, implementer: impl } = this;
    if (gen.template && impl.assignment) {
      const label = `v1 · ${gen.fromMetaAgent ? 'Generator' : `template: ${gen.source}`} + ${impl.fromMetaAgent ? 'Implementer' : `assignment: ${impl.source}`}`;
      this.adopt({ template: gen.template, assignment: impl.assignment, version: 1 }, 'design', label);
    } else if (this.c.v1FromRectifier) {
      this.adopt(this.c.v1FromRectifier, 'design', 'v1 · (from the Rectifier input)');
    }
  }

  /** The result document's record of a rectification, matched by version and trigger kind. */
  resultRect(fromVersion: number, toVersion: number | null, kind: string): Rectification | undefined {
    return this.c.state?.rectifications?.find((r) => r.fromVersion === fromVersion && r.trigger.kind === kind && (toVersion === null || r.version === toVersion));
  }

  /** Replays rec.patch on M_t: a new version when it applies, `not_applied` with the reason when it throws. */
  commit(rec: RectificationAudit, configBefore: Config | null): void {
    const pool = this.c.pool;
    if (!rec.patch || !configBefore) return;
    if (!pool) {
      rec.status = 'not_applied';
      rec.applyError = 'the pool is not in the history, so the patch cannot be replayed';
      return;
    }
    try {
      const next = applyPatch(configBefore, rec.patch, pool);
      rec.diff = describeDiff(configBefore, next);
      rec.toVersion = next.version;
      rec.status = 'applied';
      const fromResult = this.resultRect(configBefore.version, next.version, rec.trigger.kind);
      if (fromResult) Object.assign(rec, { rerun: fromResult.rerun, kept: fromResult.kept });
      if (this.versions.length === 0 || this.versions[this.versions.length - 1].version !== configBefore.version) {
        // The chain starts mid-run (or a branch): M_t itself is the first version we know.
        this.adopt(configBefore, 'design', `v${configBefore.version} · as the Rectifier saw it`);
      }
      this.adopt(next, rec.index, `v${next.version} · after ${rec.trigger.kind} trigger (rectification ${rec.index})`);
    } catch (e) {
      rec.status = 'not_applied';
      rec.applyError = (e as Error).message;
    }
  }
}
