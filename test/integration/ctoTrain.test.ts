/**
 * `mas2 cto train` and `--meta-policy` as a user runs them (the built dist/): a prior trained from
 * a trees file, its versions, its name and version in a run's result document and audit, the
 * refusal to evaluate it on its own training problems, and one line with exit 2 for every bad input.
 * The DPO trainer itself needs torch: its loss test is opt-in (ctoDpo.test.ts).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Result } from '../../mas/schemas';
import type { MetaPolicyManifest } from '../../mas/ctoSchemas';
import { modelSpec } from '../../client/localModel/catalog';
import { modelFiles } from '../../client/localModel/paths';
import { tempHome } from './harness';
import { openBlobStore } from '../../activities/blobStore';
import { mas2Runner } from './cliRunner';
import { build, treeOf } from '../helpers/ctoTrees';

const home = tempHome('mas2-cto-train-');
const queue = `cto-train-${process.pid}-${Date.now().toString(36)}`;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cto-train-'));

const mas2 = mas2Runner(home, queue);

/** One error line, naming the problem, exit code 2 (progress lines before it are allowed). */
function oneLine(r: { code: number | null; stderr: string }, pattern: RegExp): void {
  expect(r.code).toBe(2);
  expect(r.stderr.trim().split('\n').filter((l) => l.includes('error'))).toHaveLength(1);
  expect(r.stderr).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

const QUESTION = 'A robe takes 2 bolts of blue fiber and half that much white fiber. How many bolts in total does it take?';
const write = (name: string, text: string) => {
  const p = path.join(dir, name);
  fs.writeFileSync(p, text);
  return p;
};
const treesFile = write(
  'prefs.tree.json',
  JSON.stringify({
    format: 'mas2-cto-trees/1',
    tasksFile: '/dev/tasks.jsonl',
    trees: [
      treeOf(
        build([
          { out: { blueprint: 'one-agent' }, kids: [{ leaf: { pass: true, runCost: 0.08 } }, { leaf: { pass: false, runCost: 0.1 } }] },
          { out: { blueprint: 'program-of-thought' }, kids: [{ leaf: { pass: true, runCost: 0.05 } }, { leaf: { pass: true, runCost: 0.06 } }] },
        ]),
        'robe',
        QUESTION,
      ),
    ],
  }),
);

beforeAll(() => {
  if (!fs.existsSync(path.join(__dirname, '..', '..', 'dist', 'client', 'cli.js'))) throw new Error('dist/ is missing: run `npm run build` before the integration tests');
});

test('a prior policy: trained, versioned, read by the meta-agents, recorded in the result and the audit', async () => {
  const out = path.join(dir, 'policy');
  const r = mas2(['cto', 'train', treesFile, '--out', out, '--name', 'gsm-prior']);
  expect(r.stderr).toMatch(/1 trees, 4 trajectories \(3 passed\), generator 1, implementer \d preference pairs/);
  expect(r.code).toBe(0);
  const m = JSON.parse(fs.readFileSync(path.join(out, 'policy.json'), 'utf8')) as MetaPolicyManifest;
  expect(m).toMatchObject({ format: 'mas2-meta-policy/1', name: 'gsm-prior', version: 1, trainer: 'prior', training: { problems: [{ id: 'robe', task: QUESTION }], trees: 1, trajectories: 4 } });
  expect(m.engine).toMatch(/^mas2 \d+\.\d+\.\d+/);
  const prior = JSON.parse(fs.readFileSync(path.join(out, 'prior.json'), 'utf8'));
  expect(prior.generator.math[0].signature).toBe('blueprint {"blueprint":"program-of-thought"}');

  // Training into the same folder makes the next version; another name there is refused.
  expect(mas2(['cto', 'train', treesFile, '--out', out, '--name', 'gsm-prior']).code).toBe(0);
  expect(JSON.parse(fs.readFileSync(path.join(out, 'policy.json'), 'utf8')).version).toBe(2);
  oneLine(mas2(['cto', 'train', treesFile, '--out', out, '--name', 'other']), /holds the policy "gsm-prior"; give --name gsm-prior/);

  const run = mas2(['run', 'Compute 17 * 23 + 4', '--pool', 'sim', '--json', '--local-worker', '--meta-policy', out, '--id', `policy-${queue}`]);
  expect(run.stderr).toMatch(/meta policy gsm-prior v2 \(a value-guided prior; trained on 1 problems\): advice for generator, implementer$/m);
  expect(run.code).toBe(0);
  const doc = JSON.parse(run.stdout) as Result;
  expect(doc.metaPolicy).toMatchObject({ name: 'gsm-prior', version: 2, trainer: 'prior' });
  // Each meta-agent read the prior's best decisions for this kind of task: the Generator the
  // winning blueprint (never the losing one), the Implementer its picks; the trees hold no patch.
  const prompts = await Promise.all(doc.decisions.filter((d) => d.promptRef).map(async (d) => ({ role: d.role, text: await openBlobStore(home).get(d.promptRef!) })));
  const generator = prompts.find((p) => p.role === 'generator')!;
  expect(generator.text).toContain('Advice from earlier runs: the team designs below did best on tasks of this kind');
  expect(generator.text).toContain('{\\"blueprint\\":\\"program-of-thought\\"}');
  expect(generator.text).not.toContain('{\\"blueprint\\":\\"one-agent\\"}');
  expect(prompts.find((p) => p.role === 'implementer')!.text).toContain('the backbone assignments below did best on tasks of this kind');
  for (const p of prompts.filter((x) => x.role === 'rectifier')) expect(p.text).not.toContain('Advice from earlier runs');
  const audit = mas2(['audit', `policy-${queue}`]);
  expect(audit.code).toBe(0);
  expect(audit.stdout).toMatch(/\*\*Meta policy:\*\* gsm-prior v2 \(prior, manifest [0-9a-f]{16}\)/);

  // A policy is evaluated on problems no tree saw: its own training question is refused, by text.
  const data = write('gsm.jsonl', [JSON.stringify({ question: 'Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. How many clips did Natalia sell altogether in April and May?', answer: '#### 72' }), JSON.stringify({ question: QUESTION, answer: '#### 3' })].join('\n') + '\n');
  oneLine(mas2(['eval', '--suite', 'gsm8k', '--data', data, '--meta-policy', out, '--out', path.join(dir, 'eval')]), /was trained on 1 of these problems \(line-2\): evaluate it on problems no tree saw/);
});

test('bad trees files and policy folders: one line, exit 2', () => {
  oneLine(mas2(['cto', 'train', write('empty.tree.json', ''), '--out', path.join(dir, 'x')]), /empty.tree.json is empty/);
  oneLine(mas2(['cto', 'train', write('broken.tree.json', '{"format": "mas2-cto-trees/1", "trees": [{"queryId": 1}]}'), '--out', path.join(dir, 'x')]), /broken.tree.json is malformed: trees.0.queryId/);
  const allFail = treeOf(build([{ kids: [{ leaf: { pass: false, runCost: 0.1 } }, { leaf: { pass: false, runCost: 0.2 } }] }]), 'q', QUESTION);
  oneLine(mas2(['cto', 'train', write('fail.tree.json', JSON.stringify({ format: 'mas2-cto-trees/1', trees: [allFail] })), '--out', path.join(dir, 'x')]), /every decision has the same value as its siblings \(all 2 trajectories failed\): nothing to learn/);
  oneLine(mas2(['cto', 'train', path.join(dir, 'missing.tree.json'), '--out', path.join(dir, 'x')]), /cannot read .*missing.tree.json: ENOENT/);

  const old = path.join(dir, 'old-policy');
  fs.mkdirSync(old);
  fs.writeFileSync(path.join(old, 'policy.json'), JSON.stringify({ format: 'mas2-meta-policy/0', name: 'old' }));
  oneLine(mas2(['run', 'Compute 1 + 1', '--meta-policy', old]), /a policy of format "mas2-meta-policy\/0"; this mas2 reads "mas2-meta-policy\/1"/);
  oneLine(mas2(['run', 'Compute 1 + 1', '--meta-policy', path.join(dir, 'nowhere')]), /no policy.json there/);
});

test('the DPO trainer without its Python environment: one line naming --install', () => {
  // A local-models cache whose 0.5B model looks provisioned (a sparse file of the right size and its record) and no trainer.
  const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'cto-cache-'));
  const spec = modelSpec('qwen-0.5b');
  const f = modelFiles(cache, spec);
  fs.mkdirSync(path.dirname(f.gguf), { recursive: true });
  fs.closeSync(fs.openSync(f.gguf, 'w'));
  fs.truncateSync(f.gguf, spec.bytes);
  fs.writeFileSync(f.record, JSON.stringify({ sha256: spec.sha256, bytes: spec.bytes, mtimeMs: fs.statSync(f.gguf).mtimeMs, verifiedAt: 'now' }));
  const r = mas2(['cto', 'train', treesFile, '--out', path.join(dir, 'dpo'), '--trainer', 'dpo', '--base-model', 'qwen-0.5b'], { MAS2_LOCAL_MODELS_DIR: cache });
  oneLine(r, /the DPO trainer's Python environment \(torch, transformers, PEFT, TRL; ≈2 GB in .*\) is not installed: add --install to install it/);
  expect(fs.existsSync(path.join(dir, 'dpo', 'policy.json'))).toBe(false);
  oneLine(mas2(['cto', 'train', treesFile, '--out', path.join(dir, 'dpo'), '--trainer', 'dpo', '--base-model', 'qwen-9b'], { MAS2_LOCAL_MODELS_DIR: cache }), /--base-model: unknown local model "qwen-9b"/);
  oneLine(mas2(['cto', 'train', treesFile, '--out', path.join(dir, 'dpo'), '--trainer', 'dpo', '--base-model', 'qwen-0.5b'], { MAS2_PYTHON: '/nonexistent/python3', MAS2_LOCAL_MODELS_DIR: cache }), /the DPO trainer needs Python 3 \("\/nonexistent\/python3" does not run; set MAS2_PYTHON\)/);
  oneLine(mas2(['cto', 'train', treesFile, '--out', path.join(dir, 'dpo'), '--trainer', 'dpo'], { MAS2_LOCAL_MODELS_DIR: cache }), /the local model qwen-1.5b is not provisioned in .*: run `mas2 local-model provision` first/);
});
