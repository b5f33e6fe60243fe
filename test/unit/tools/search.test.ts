import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { HttpSearch, LocalFolderSearch, clearSearchIndexCache, createSearchTool, resolveDocsDir, searchTool } from '../../../activities/tools/search';
import { isToolCrashError } from '../../../activities/tools/errors';

let docs: string;
const savedEnv = { ...process.env };

beforeAll(() => {
  docs = fs.mkdtempSync(path.join(os.tmpdir(), 'mas2-docs-test-'));
  fs.writeFileSync(path.join(docs, 'temporal.md'), '# Temporal retries\n\nActivities are retried with exponential backoff until the retry policy gives up. Non-retryable errors stop retries.');
  fs.mkdirSync(path.join(docs, 'sub'));
  fs.writeFileSync(path.join(docs, 'sub', 'zebra.txt'), 'The zebra is an African equine with distinctive black-and-white striped coats.');
  fs.writeFileSync(path.join(docs, 'cooking.md'), '# Pasta\n\nBoil water, add salt, cook the pasta for nine minutes.');
  fs.writeFileSync(path.join(docs, 'ignored.json'), '{"zebra": true}');
});
afterAll(() => fs.rmSync(docs, { recursive: true, force: true }));
afterEach(() => {
  process.env = { ...savedEnv };
  clearSearchIndexCache();
});

describe('search: local folder', () => {
  test('finds the right document with title, id and snippet', async () => {
    const s = new LocalFolderSearch(docs);
    expect(await s.documentCount()).toBe(3);
    const hits = await s.search('retry policy', 5);
    expect(hits[0]).toMatchObject({ id: 'temporal.md', title: 'Temporal retries' });
    expect(hits[0].snippet).toMatch(/retry policy/);
    expect(hits[0].score).toBeGreaterThan(0);
    const z = await s.search('zebra stripes', 5);
    expect(z.map((h) => h.id)).toEqual(['sub/zebra.txt']);
    expect(z[0].title).toBe('zebra');
    expect(await s.search('quantum chromodynamics', 5)).toEqual([]);
  });

  test('limit is respected', async () => {
    const hits = await new LocalFolderSearch(docs).search('the', 1);
    expect(hits.length).toBeLessThanOrEqual(1);
  });

  test('the tool uses ctx.docsDir and formats results', async () => {
    const r = await searchTool.execute({ query: 'pasta water' }, { workspaceDir: '/nonexistent', docsDir: docs });
    expect(r.ok).toBe(true);
    expect(r.output).toMatch(/^1\. Pasta \[cooking\.md\] \(score [\d.]+\)\n {3}.*Boil water/);
  });

  test('folder resolution: docsDir, MAS2_DOCS_DIR, MAS2_HOME/docs, ~/.mas2/docs', () => {
    delete process.env.MAS2_DOCS_DIR;
    delete process.env.MAS2_HOME;
    expect(resolveDocsDir({ docsDir: '/a' })).toBe('/a');
    expect(resolveDocsDir()).toBe(path.join(os.homedir(), '.mas2', 'docs'));
    process.env.MAS2_HOME = '/srv/mas2';
    expect(resolveDocsDir()).toBe('/srv/mas2/docs');
    process.env.MAS2_DOCS_DIR = '/b';
    expect(resolveDocsDir()).toBe('/b');
  });

  test('a missing folder tells how to add documents', async () => {
    delete process.env.MAS2_SEARCH_URL;
    const r = await searchTool.execute({ query: 'x' }, { workspaceDir: '/nonexistent', docsDir: path.join(docs, 'nope') });
    expect(r.ok).toBe(false);
    expect(r.output).toMatch(/does not exist/);
    expect(r.output).toMatch(/MAS2_DOCS_DIR/);
    expect(r.output).toMatch(/\.md or \.txt/);
  });

  test('an empty folder says so', async () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'mas2-empty-'));
    try {
      const r = await searchTool.execute({ query: 'x' }, { workspaceDir: '/nonexistent', docsDir: empty });
      expect(r.ok).toBe(false);
      expect(r.output).toMatch(/no \.md or \.txt files/);
    } finally {
      fs.rmSync(empty, { recursive: true });
    }
  });
});

describe('search: HTTP provider', () => {
  let server: http.Server;
  let url: string;
  const received: unknown[] = [];
  let mode: 'ok' | 'error' | 'garbage' = 'ok';

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        received.push({ method: req.method, auth: req.headers.authorization, type: req.headers['content-type'], body: JSON.parse(body) });
        if (mode === 'error') {
          res.writeHead(503).end('overloaded');
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json' });
        if (mode === 'garbage') res.end('{"items": []}');
        else
          res.end(
            JSON.stringify({
              results: [
                { id: 1, title: 'Remote doc', snippet: 'about ' + JSON.parse(body).query, score: 2.5 },
                { id: 'b', title: 'Second', snippet: 's', score: 1 },
                { id: 'c' },
              ],
            }),
          );
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/search`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));
  beforeEach(() => {
    received.length = 0;
    mode = 'ok';
  });

  test('POSTs {query, limit} and maps the results', async () => {
    const hits = await new HttpSearch(url, { apiKey: 'k-123' }).search('hello', 2);
    expect(received).toEqual([{ method: 'POST', auth: 'Bearer k-123', type: 'application/json', body: { query: 'hello', limit: 2 } }]);
    expect(hits).toEqual([
      { id: '1', title: 'Remote doc', snippet: 'about hello', score: 2.5 },
      { id: 'b', title: 'Second', snippet: 's', score: 1 },
    ]);
  });

  test('the tool uses MAS2_SEARCH_URL when set', async () => {
    process.env.MAS2_SEARCH_URL = url;
    delete process.env.MAS2_SEARCH_API_KEY;
    const r = await searchTool.execute({ query: 'temporal', limit: 3 }, { workspaceDir: '/nonexistent', docsDir: docs });
    expect(r.ok).toBe(true);
    expect(r.output).toMatch(/^1\. Remote doc \[1\] \(score 2\.5\)\n {3}about temporal/);
    expect(r.output).toMatch(/3\. {2}\[c\]/);
    expect(received).toEqual([{ method: 'POST', auth: undefined, type: 'application/json', body: { query: 'temporal', limit: 3 } }]);
  });

  test('HTTP 503 is a retryable crash; a bad shape or no server is a crash', async () => {
    mode = 'error';
    const e1 = await new HttpSearch(url).search('x', 1).catch((e) => e);
    expect(isToolCrashError(e1)).toBe(true);
    expect(e1.message).toMatch(/HTTP 503: overloaded/);
    expect(e1.retryable).toBe(true);
    mode = 'garbage';
    const e2 = await new HttpSearch(url).search('x', 1).catch((e) => e);
    expect(isToolCrashError(e2)).toBe(true);
    expect(e2.message).toMatch(/unexpected shape/);
    const e3 = await new HttpSearch('http://127.0.0.1:1/none').search('x', 1).catch((e) => e);
    expect(isToolCrashError(e3)).toBe(true);
    expect(e3.message).toMatch(/unreachable/);
    expect(e3.retryable).toBe(true);
  });

  test('a custom provider can be plugged in', async () => {
    const tool = createSearchTool({ provider: { search: async (q, n) => [{ id: 'x', title: `T ${q} ${n}`, snippet: 's', score: 1 }] } });
    expect((await tool.execute({ query: 'q' }, { workspaceDir: '/x' })).output).toMatch(/T q 5/);
  });
});
