/**
 * Raw speed of one llama-server build, measured over HTTP the way mas2 calls
 * it: a server of the 1.5B model started by mas2's own code (ensureServer, a
 * scratch home, 4 slots), then
 *
 * - cold prompt: a ~1.2k-token prompt the server has never seen (1 token out),
 *   on slot 0 — prompt tokens per second by the server's own timings;
 * - warm prompt: the same prompt again on slot 0 — what a cached prefix costs;
 * - one stream: 160 generated tokens (`ignore_eos`, so every stream generates
 *   exactly that many), wall time;
 * - four streams: four such requests at once on slots 0–3 — aggregate tokens
 *   per second by wall time, and the wall time against four single calls.
 */
import { ensureServer, stopServer } from '../client/localModel/server';
import { round } from './stats';

export interface BuildFigures {
  build: string;
  binary: string;
  /** Tokens of the cold prompt, and how long it took (1 token generated). */
  promptTokens: number;
  coldPromptSeconds: number;
  /** The server's own prompt-processing speed on the cold prompt. */
  promptTokensPerSecond: number;
  /** The same prompt again on the same slot: seconds and prompt tokens processed again. */
  warmPromptSeconds: number;
  warmPromptProcessed: number;
  /** One stream of 160 tokens: seconds and tokens per second (wall). */
  oneStreamSeconds: number;
  generationTokensPerSecond: number;
  /** Four streams of 160 tokens at once: seconds and aggregate tokens per second (wall). */
  fourStreamsSeconds: number;
  fourStreamsTokensPerSecond: number;
}

const GENERATED = 160;

interface Timings {
  prompt_n?: number;
  prompt_per_second?: number;
  predicted_n?: number;
}

async function chat(baseURL: string, body: Record<string, unknown>): Promise<{ seconds: number; promptTokens: number; completionTokens: number; timings: Timings }> {
  const t0 = performance.now();
  const res = await fetch(`${baseURL}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ temperature: 0, seed: 42, ...body }), signal: AbortSignal.timeout(900_000) });
  if (!res.ok) throw new Error(`llama-server answered HTTP ${res.status}: ${(await res.text()).slice(0, 300)}`);
  const json = (await res.json()) as { usage?: { prompt_tokens?: number; completion_tokens?: number }; timings?: Timings };
  return { seconds: (performance.now() - t0) / 1000, promptTokens: json.usage?.prompt_tokens ?? 0, completionTokens: json.usage?.completion_tokens ?? 0, timings: json.timings ?? {} };
}

/** ~1.2k tokens of system text no earlier request has sent (`salt` makes it unique per build). */
function longPrompt(salt: string): { role: string; content: string }[] {
  const rules = Array.from({ length: 60 }, (_, i) => `Rule ${i + 1}: be precise and show the numbers you use in every step of the work.`).join(' ');
  return [
    { role: 'system', content: `You are a careful assistant (${salt}). ${rules}` },
    { role: 'user', content: 'Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. How many clips did Natalia sell altogether in April and May?' },
  ];
}

const stream = (i: number) => [{ role: 'user', content: `Count upwards from ${100 * (i + 1)}, one number per line, and never stop.` }];

export async function measureBuild(opts: { home: string; cacheDir: string; id: string; build: 'native' | 'portable'; env: NodeJS.ProcessEnv; log: (l: string) => void }): Promise<BuildFigures> {
  const env = { ...opts.env, MAS2_LOCAL_BUILD: opts.build, MAS2_LOCAL_SLOTS: '4', MAS2_LOCAL_IDLE_SECONDS: '0' };
  const server = await ensureServer({ home: opts.home, cacheDir: opts.cacheDir, id: opts.id, env, log: opts.log });
  try {
    if (server.build !== opts.build) throw new Error(`asked for the ${opts.build} build, the server runs the ${server.build} one`);
    const url = server.baseURL;
    await chat(url, { messages: stream(9), max_tokens: 4 }); // warm-up: weights paged in
    const prompt = longPrompt(`${opts.build} ${Date.now()}`);
    const cold = await chat(url, { messages: prompt, max_tokens: 1, id_slot: 0 });
    const warm = await chat(url, { messages: prompt, max_tokens: 1, id_slot: 0 });
    const one = await chat(url, { messages: stream(0), max_tokens: GENERATED, ignore_eos: true, id_slot: 1 });
    const t0 = performance.now();
    const four = await Promise.all([0, 1, 2, 3].map((i) => chat(url, { messages: stream(i), max_tokens: GENERATED, ignore_eos: true, id_slot: i })));
    const fourSeconds = (performance.now() - t0) / 1000;
    const generated = four.reduce((n, r) => n + r.completionTokens, 0);
    return {
      build: opts.build,
      binary: server.binary ?? '',
      promptTokens: cold.promptTokens,
      coldPromptSeconds: round(cold.seconds, 2),
      promptTokensPerSecond: round(cold.timings.prompt_per_second ?? 0, 1),
      warmPromptSeconds: round(warm.seconds, 2),
      warmPromptProcessed: warm.timings.prompt_n ?? -1,
      oneStreamSeconds: round(one.seconds, 2),
      generationTokensPerSecond: round(one.completionTokens / one.seconds, 2),
      fourStreamsSeconds: round(fourSeconds, 2),
      fourStreamsTokensPerSecond: round(generated / fourSeconds, 2),
    };
  } finally {
    await stopServer(opts.home, opts.id);
  }
}
