/** The file-system allowlist and its fail-closed hiding (pure planning; the escape suite runs it for real). */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { planMounts, type MountPlanInput } from '../../../activities/tools/sandbox-mounts';

let base: string;
beforeAll(() => {
  base = fs.mkdtempSync('/var/tmp/mas2-mounts-');
});
afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

const input = (over: Partial<MountPlanInput>): MountPlanInput => ({
  interpreters: ['/usr/bin/python3'],
  hidden: [],
  tmpBytes: 1 << 20,
  tmpInodes: 100,
  shmBytes: 1 << 20,
  shmInodes: 10,
  uid: 65534,
  gid: 65534,
  ...over,
});

function bindsOf(args: string[]): string[] {
  return args.flatMap((a, i) => (args[i - 1] === '-R' ? [a] : []));
}

test('a system interpreter mounts only the system folders, devices, /tmp and /dev/shm with their caps', () => {
  const plan = planMounts(input({}));
  if (!plan.ok) throw new Error(plan.reason);
  for (const b of bindsOf(plan.args)) expect(b).toMatch(/^\/(usr|bin|sbin|lib\w*|etc|dev\/(null|zero|full|random|urandom))$/);
  expect(plan.args).toContain('none:/tmp:tmpfs:size=1048576,nr_inodes=100,mode=0700,uid=65534,gid=65534');
  expect(plan.args).toContain('none:/dev/shm:tmpfs:size=1048576,nr_inodes=10,mode=0700,uid=65534,gid=65534');
});

test('an interpreter elsewhere adds only its own prefix; a hidden folder inside that prefix is covered by an empty tmpfs', () => {
  const prefix = path.join(base, 'opt', 'py');
  fs.mkdirSync(path.join(prefix, 'bin'), { recursive: true });
  fs.mkdirSync(path.join(prefix, 'runs'));
  fs.writeFileSync(path.join(prefix, 'bin', 'python3'), '');
  const plan = planMounts(input({ interpreters: [path.join(prefix, 'bin', 'python3')], hidden: [path.join(prefix, 'runs'), base] }));
  if (!plan.ok) throw new Error(plan.reason);
  expect(bindsOf(plan.args)).toContain(prefix);
  expect(bindsOf(plan.args)).not.toContain(base);
  const cover = plan.args.indexOf(`none:${path.join(prefix, 'runs')}:tmpfs:size=4096,nr_inodes=1,mode=0555`);
  expect(cover).toBeGreaterThan(plan.args.indexOf(prefix)); // mounted after the prefix, so it covers it
});

test('a hidden folder inside a system folder (a global npm install) is covered', () => {
  const plan = planMounts(input({ hidden: ['/usr/lib'] }));
  if (!plan.ok) throw new Error(plan.reason);
  expect(plan.args).toContain('none:/usr/lib:tmpfs:size=4096,nr_inodes=1,mode=0555');
});

test.each([
  ['its prefix is a hidden folder ($MAS2_HOME)', (b: string) => ({ interpreters: [path.join(b, 'home', 'bin', 'python3')], hidden: [path.join(b, 'home')] }), /lives in .*home, a folder the sandbox must hide/],
  ['it lives inside a hidden folder that a mounted folder would show', () => ({ interpreters: ['/usr/bin/python3'], hidden: ['/usr/bin'] }), /lives in \/usr\/bin, a folder the sandbox must hide/],
  ['its prefix would be a home folder', () => ({ interpreters: [path.join(os.homedir(), 'bin', 'python3')], hidden: [os.homedir()] }), /refusing to run: the interpreter/],
  ['its prefix would be /', () => ({ interpreters: ['/python/python3'] }), /has no install prefix of its own \(\/\)/],
  ['it lives under /tmp, which the jail replaces', () => ({ interpreters: ['/tmp/x/py/bin/python3'] }), /lives under \/tmp, which the sandbox replaces/],
])('refused with a one-line reason when %s', (_what, make, reason) => {
  const plan = planMounts(input(make(base)));
  expect(plan.ok).toBe(false);
  if (plan.ok) return;
  expect(plan.reason).toMatch(reason);
  expect(plan.reason).not.toContain('\n');
});

test('a hidden file inside a mounted folder (a TLS key under /etc) is covered by /dev/null, after the folder is mounted', () => {
  const prefix = path.join(base, 'opt', 'py2');
  fs.mkdirSync(path.join(prefix, 'bin'), { recursive: true });
  fs.writeFileSync(path.join(prefix, 'bin', 'python3'), '');
  fs.writeFileSync(path.join(prefix, 'client.key'), 'key');
  const plan = planMounts(input({ interpreters: [path.join(prefix, 'bin', 'python3')], hidden: [path.join(prefix, 'client.key')] }));
  if (!plan.ok) throw new Error(plan.reason);
  const cover = plan.args.indexOf(`/dev/null:${path.join(prefix, 'client.key')}`);
  expect(cover).toBeGreaterThan(plan.args.indexOf(prefix));
  expect(plan.args[cover - 1]).toBe('-R');
});
