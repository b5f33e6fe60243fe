/**
 * Opt-in (`npm run test:dpo`, not in `npm test`: it needs the DPO trainer installed by `mas2 cto
 * train --trainer dpo --install`, 2 GB of torch, and the local models): the ΔV-weighted loss on a
 * tiny fixed batch (trainer/test_dpo.py, torch), and, with MAS2_TEST_DPO_POLICY=<a DPO policy
 * folder>, the adapter served by
 * llama-server for one meta-agent prompt of its training data: a request that applies the adapter
 * gets another answer than one that does not, on the same server.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { mas2Home } from '../../activities/home';
import { localModelsDir } from '../../client/localModel/paths';
import { ensureServer, stopServer, instanceId } from '../../client/localModel/server';
import { trainerFiles, trainerInstalled, trainerSources } from '../../client/localModel/trainer';
import { loadMetaPolicy } from '../../client/metaPolicy';
import type { DpoRow } from '../../mas/ctoTraining';
import { metaBackbone, withMetaAdapters } from '../../mas/pool';
import type { MetaRole } from '../../mas/schemas';
import { localPool } from '../../client/localModel/pool';

const cacheDir = localModelsDir(process.env);
test('the trainer scales TRL’s DPO loss by each pair’s weight (tiny fixed batch)', () => {
  if (!trainerInstalled(cacheDir)) throw new Error(`the DPO trainer is not installed in ${cacheDir}: run \`mas2 cto train … --trainer dpo --install\` first`);
  const bases = trainerFiles(cacheDir).bases;
  const tokenizer = fs.existsSync(bases) ? fs.readdirSync(bases).map((b) => path.join(bases, b)).find((b) => fs.existsSync(path.join(b, 'tokenizer.json'))) : undefined;
  if (!tokenizer) throw new Error(`no dequantised base with a tokenizer in ${bases}: train a DPO policy once first`);
  const r = spawnSync(trainerFiles(cacheDir).python, ['-m', 'unittest', '-v', path.join(trainerSources().dir, 'test_dpo.py')], { encoding: 'utf8', env: { ...process.env, MAS2_DPO_TOKENIZER: tokenizer }, timeout: 600_000 });
  expect(r.stderr).toMatch(/Ran 2 tests/);
  expect(r.status).toBe(0);
});

const policyDir = process.env.MAS2_TEST_DPO_POLICY;
test('a meta-agent request applies its adapter, a request without the field does not', async () => {
  if (!policyDir) throw new Error('set MAS2_TEST_DPO_POLICY to a DPO policy folder (`mas2 cto train TREES --out DIR --trainer dpo`)');
  const policy = loadMetaPolicy(policyDir!);
  const [role] = Object.keys(policy.adapters);
  const rows = fs
    .readFileSync(path.join(policy.dir, policy.manifest.dpo!.pairsFile), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as DpoRow);
  const row = rows.find((r) => r.role === role)!;
  const home = mas2Home();
  // The backbone the pool gives this meta-agent under the policy, and the server it gets.
  const b = metaBackbone(withMetaAdapters(localPool(), policy.manifest.dpo!.baseModel, policy.adapters), role as MetaRole);
  const server = await ensureServer({ home, cacheDir, id: b.local!, lora: b.lora!.adapters });
  try {
    const ask = async (lora?: { id: number; scale: number }[]) => {
      const res = await fetch(`${server.baseURL}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'm', messages: row.prompt, max_tokens: 96, temperature: 0, seed: 42, ...(lora ? { lora } : {}) }),
      });
      expect(res.ok).toBe(true);
      return ((await res.json()) as { choices: { message: { content: string } }[] }).choices[0].message.content;
    };
    const base = await ask();
    const tuned = await ask([{ id: b.lora!.apply, scale: 1 }]);
    // The trained adapter at its own scale, for the record: after a few dozen pairs it may not change a
    // greedy answer yet (docs/cto.md, measured). Amplified, it must: the request applied it.
    const amplified = await ask([{ id: b.lora!.apply, scale: 8 }]);
    process.stderr.write(`${role} prompt, base:\n${base}\n\nwith the adapter:\n${tuned}\n\nadapter at scale 8:\n${amplified}\n`);
    expect(base.length).toBeGreaterThan(0);
    expect(amplified).not.toBe(base);
    // Without a `lora` field the adapter stays off: the base answer again.
    expect(await ask()).toBe(base);
  } finally {
    await stopServer(home, instanceId(b.local!, b.lora!.adapters));
  }
});
