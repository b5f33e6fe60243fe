/**
 * Every relative link in the README and in docs/ resolves: the file exists,
 * and a `#fragment` into a markdown file names one of its headings (GitHub's
 * slugs). Links inside code blocks and code spans are not links.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');

function markdownFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? markdownFiles(p) : e.name.endsWith('.md') ? [p] : [];
  });
}

const FILES = [path.join(ROOT, 'README.md'), ...markdownFiles(path.join(ROOT, 'docs'))];

/** The text outside fenced code blocks and code spans. */
function prose(md: string): string {
  return md.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '').replace(/`[^`\n]*`/g, '');
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchors(md: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const line of md.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '').split('\n')) {
    const m = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!m) continue;
    const slug = m[1]
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/ /g, '-');
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    out.add(n ? `${slug}-${n}` : slug);
  }
  return out;
}

function links(md: string): string[] {
  const found: string[] = [];
  for (const m of prose(md).matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) found.push(m[1]);
  return found;
}

test('the anchor rule matches GitHub on the forms the docs use', () => {
  expect([...anchors('# The result document (`--json`, `mas2 status --json`)\n## A\n## A\n## Adding a trigger kind')]).toEqual([
    'the-result-document---json-mas2-status---json',
    'a',
    'a-1',
    'adding-a-trigger-kind',
  ]);
  expect(links('see [x](a.md#b) and `[y](nope.md)`\n```\n[z](nope.md)\n```\n![p](i.svg)')).toEqual(['a.md#b', 'i.svg']);
});

describe.each(FILES.map((f) => [path.relative(ROOT, f), f]))('%s', (_name, file) => {
  const md = fs.readFileSync(file, 'utf8');
  const relative = links(md).filter((l) => !/^[a-z][a-z0-9+.-]*:/i.test(l));

  test('every relative link resolves', () => {
    const broken: string[] = [];
    for (const link of relative) {
      const [target, fragment] = link.split('#');
      const dest = target ? path.resolve(path.dirname(file), decodeURIComponent(target)) : file;
      if (!fs.existsSync(dest)) {
        broken.push(`${link}: no such file`);
        continue;
      }
      if (fragment && dest.endsWith('.md') && !anchors(fs.readFileSync(dest, 'utf8')).has(fragment)) broken.push(`${link}: no heading #${fragment}`);
    }
    expect(broken).toEqual([]);
  });
});

test('the README stays short enough to read in ten minutes, and speaks of the code, not of its history', () => {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  expect(readme.split('\n').length).toBeLessThanOrEqual(350);
  expect(readme).not.toMatch(/\bissue \d+|\bthis session|\bDESIGN §|load average|\/work\/|\/root\//i);
});
