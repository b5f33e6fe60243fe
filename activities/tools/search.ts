/**
 * `search`: full-text search over a local folder of documents (MiniSearch),
 * or over an HTTP search service when MAS2_SEARCH_URL is set.
 */
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import MiniSearch from 'minisearch';
import { z } from 'zod';
import { ToolCrashError } from './errors';
import type { ToolResult } from '../../mas/messages';
import { BUILTIN_TOOLS } from '../../mas/prompts';
import type { Tool, ToolContext } from './types';
import { defineTool, toolResult } from './own';

export interface SearchHit {
  id: string;
  title: string;
  snippet: string;
  score: number;
}

export interface SearchProvider {
  /** Human-readable description for messages ("local folder /x", "http://..."). */
  readonly description?: string;
  search(query: string, limit: number, signal?: AbortSignal): Promise<SearchHit[]>;
}

// ---------------------------------------------------------------------------
// Local folder

const DOC_EXTENSIONS = new Set(['.md', '.txt']);
const MAX_FILE_BYTES = 4 * 1024 * 1024;
const MAX_FILES = 20_000;
const SNIPPET_CHARS = 240;

interface Doc {
  id: string;
  title: string;
  text: string;
}

/** The documents folder: ctx.docsDir, else $MAS2_DOCS_DIR, else <$MAS2_HOME or ~/.mas2>/docs. */
export function resolveDocsDir(ctx?: Pick<ToolContext, 'docsDir'>): string {
  if (ctx?.docsDir) return path.resolve(ctx.docsDir);
  if (process.env.MAS2_DOCS_DIR) return path.resolve(process.env.MAS2_DOCS_DIR);
  const home = process.env.MAS2_HOME || path.join(os.homedir(), '.mas2');
  return path.resolve(home, 'docs');
}

async function collectDocs(root: string): Promise<Doc[]> {
  const docs: Doc[] = [];
  const walk = async (dir: string): Promise<void> => {
    let entries: fs.Dirent[];
    try {
      entries = await fsp.readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const e of entries) {
      if (docs.length >= MAX_FILES) return;
      if (e.name.startsWith('.') || e.name === 'node_modules') continue;
      const full = path.join(dir, e.name);
      if (e.isDirectory()) await walk(full);
      else if (e.isFile() && DOC_EXTENSIONS.has(path.extname(e.name).toLowerCase())) {
        const st = await fsp.stat(full).catch(() => undefined);
        if (!st || st.size > MAX_FILE_BYTES) continue;
        const text = await fsp.readFile(full, 'utf8').catch(() => undefined);
        if (text === undefined) continue;
        const id = path.relative(root, full).split(path.sep).join('/');
        const heading = /^#{1,6}\s+(.+)$/m.exec(text);
        docs.push({ id, title: heading ? heading[1].trim() : path.basename(e.name, path.extname(e.name)), text });
      }
    }
  };
  await walk(root);
  return docs;
}

function makeSnippet(text: string, terms: string[]): string {
  const lower = text.toLowerCase();
  let at = -1;
  for (const t of terms) {
    const i = lower.indexOf(t.toLowerCase());
    if (i >= 0 && (at < 0 || i < at)) at = i;
  }
  const start = Math.max(0, at < 0 ? 0 : at - SNIPPET_CHARS / 3);
  let s = text.slice(start, start + SNIPPET_CHARS).replace(/\s+/g, ' ').trim();
  if (start > 0) s = '…' + s;
  if (start + SNIPPET_CHARS < text.length) s += '…';
  return s;
}

interface BuiltIndex {
  mini: MiniSearch<Doc>;
  texts: Map<string, string>;
  count: number;
}

const indexCache = new Map<string, Promise<BuiltIndex>>();

/** Drops cached indexes (after documents changed, or in tests). */
export function clearSearchIndexCache(): void {
  indexCache.clear();
}

/** Indexes the .md/.txt files under a folder (recursively), once per folder per process. */
export class LocalFolderSearch implements SearchProvider {
  readonly description: string;

  constructor(readonly folder: string) {
    this.description = `local folder ${folder}`;
  }

  private index(): Promise<BuiltIndex> {
    const key = path.resolve(this.folder);
    let p = indexCache.get(key);
    if (!p) {
      p = (async () => {
        const docs = await collectDocs(key);
        const mini = new MiniSearch<Doc>({
          fields: ['title', 'text'],
          storeFields: ['title'],
          searchOptions: { boost: { title: 2 }, prefix: true, fuzzy: 0.2 },
        });
        mini.addAll(docs);
        return { mini, texts: new Map(docs.map((d) => [d.id, d.text])), count: docs.length };
      })();
      p.catch(() => indexCache.delete(key));
      indexCache.set(key, p);
    }
    return p;
  }

  async documentCount(): Promise<number> {
    return (await this.index()).count;
  }

  async search(query: string, limit: number): Promise<SearchHit[]> {
    const { mini, texts } = await this.index();
    return mini
      .search(query)
      .slice(0, limit)
      .map((r) => ({
        id: String(r.id),
        title: String((r as { title?: unknown }).title ?? r.id),
        snippet: makeSnippet(texts.get(String(r.id)) ?? '', r.terms),
        score: Math.round(r.score * 1000) / 1000,
      }));
  }
}

// ---------------------------------------------------------------------------
// HTTP

const HttpResponseSchema = z.object({
  results: z.array(
    z.object({
      id: z.union([z.string(), z.number()]).transform(String),
      title: z.string().default(''),
      snippet: z.string().default(''),
      score: z.number().default(0),
    }),
  ),
});

export interface HttpSearchOptions {
  /** Sent as `Authorization: Bearer ...` (default: $MAS2_SEARCH_API_KEY). */
  apiKey?: string;
  timeoutMs?: number;
}

/**
 * POSTs `{query, limit}` as JSON to `url` and expects `{results: [{id, title, snippet, score}]}`.
 * Failures throw ToolCrashError (`retryable` for network errors, 429 and 5xx).
 */
export class HttpSearch implements SearchProvider {
  readonly description: string;
  private readonly apiKey?: string;
  private readonly timeoutMs: number;

  constructor(
    readonly url: string,
    options: HttpSearchOptions = {},
  ) {
    this.description = `search service ${url}`;
    this.apiKey = options.apiKey ?? process.env.MAS2_SEARCH_API_KEY;
    this.timeoutMs = options.timeoutMs ?? 20_000;
  }

  async search(query: string, limit: number, signal?: AbortSignal): Promise<SearchHit[]> {
    const signals = [AbortSignal.timeout(this.timeoutMs), ...(signal ? [signal] : [])];
    let res: Response;
    try {
      res = await fetch(this.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', ...(this.apiKey ? { authorization: `Bearer ${this.apiKey}` } : {}) },
        body: JSON.stringify({ query, limit }),
        signal: AbortSignal.any(signals),
      });
    } catch (e) {
      const err = e as Error & { cause?: { message?: string } };
      throw new ToolCrashError('search', `search service ${this.url} unreachable: ${err.cause?.message ?? err.message}`, { cause: e, retryable: true });
    }
    const body = await res.text().catch(() => '');
    if (!res.ok) {
      throw new ToolCrashError('search', `search service ${this.url} answered HTTP ${res.status}: ${body.slice(0, 300)}`, {
        retryable: res.status === 429 || res.status >= 500,
      });
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      throw new ToolCrashError('search', `search service ${this.url} did not answer JSON: ${body.slice(0, 200)}`);
    }
    const r = HttpResponseSchema.safeParse(parsed);
    if (!r.success) throw new ToolCrashError('search', `search service ${this.url} answered an unexpected shape: ${z.prettifyError(r.error)}`);
    return r.data.results.slice(0, limit);
  }
}

// ---------------------------------------------------------------------------
// Tool

export const SearchInput = z
  .object({
    query: z.string().trim().min(1, 'query must not be empty').max(1000, 'query must be at most 1000 characters').describe('Keywords to search for.'),
    limit: z.number().int().min(1).max(50).optional().describe('Maximum number of results (default 5).'),
  })
  .strict();
export type SearchInput = z.infer<typeof SearchInput>;

function formatHits(query: string, hits: SearchHit[]): string {
  if (!hits.length) return `No results for "${query}".`;
  return hits.map((h, i) => `${i + 1}. ${h.title} [${h.id}] (score ${h.score})\n   ${h.snippet}`).join('\n');
}

export interface SearchToolOptions {
  /** A fixed provider; otherwise chosen per call from MAS2_SEARCH_URL / the docs folder. */
  provider?: SearchProvider;
}

export function createSearchTool(options: SearchToolOptions = {}): Tool<SearchInput> {
  return defineTool({
    name: 'search',
    description: BUILTIN_TOOLS.search.description(''),
    parameters: SearchInput,
    execute: async (input, ctx: ToolContext) => toolResult(await search(input, ctx)),
  });

  async function search(input: SearchInput, ctx: ToolContext): Promise<ToolResult> {
    const limit = input.limit ?? 5;
    let provider = options.provider;
    if (!provider) {
      const url = process.env.MAS2_SEARCH_URL;
      if (url) provider = new HttpSearch(url);
      else {
        const dir = resolveDocsDir(ctx);
        if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
          const msg =
            `no documents to search: the folder ${dir} does not exist. Put .md or .txt files into it ` +
            `(or point MAS2_DOCS_DIR at a folder of documents, or set MAS2_SEARCH_URL to an HTTP search service).`;
          return { ok: false, output: msg, error: msg };
        }
        const local = new LocalFolderSearch(dir);
        if ((await local.documentCount()) === 0) {
          const msg = `no documents to search: ${dir} contains no .md or .txt files. Add some (they are indexed once per worker process).`;
          return { ok: false, output: msg, error: msg };
        }
        provider = local;
      }
    }
    const hits = await provider.search(input.query, limit, ctx.signal);
    return { ok: true, output: formatHits(input.query, hits) };
  }
}

export const searchTool: Tool<SearchInput> = createSearchTool();

/**
 * Whether `search` can return anything here: a search service is configured, or the
 * documents folder holds at least one .md/.txt file. Meta-agents offer `search` only then
 * (docs/history-weak-models.md: a team searching an empty folder wastes every turn).
 */
export async function searchAvailable(): Promise<boolean> {
  if (process.env.MAS2_SEARCH_URL) return true;
  const dir = resolveDocsDir();
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) return false;
  return (await new LocalFolderSearch(dir).documentCount()) > 0;
}
