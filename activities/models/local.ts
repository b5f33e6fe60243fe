/**
 * Backbones mas2 serves itself (`local` set, the `--pool local` preset): the
 * worker makes sure the llama-server of that model runs — starting it again
 * after its idle watchdog stopped it, after it died, or in a separate
 * `mas2 worker` with the same $MAS2_HOME — and calls it through the OpenAI
 * adapter. Provisioning is not done here (minutes, and the CLI shows its
 * progress): a missing model is a config error naming the command that fixes it.
 *
 * How calls are served (client/localModel/serving.ts): calls to one server
 * share its batch while other servers' calls wait their turn (serverTurns.ts),
 * and each conversation is pinned to a slot of its own (slots.ts), so its
 * prompt cache holds what it sent last time.
 */
import type { ModelResponse } from '../../mas/messages';
import { ensureServer, NotProvisionedError, slotsOf, type ServerState } from '../../client/localModel/server';
import { localModelsDir } from '../../client/localModel/paths';
import { serving, type Serving } from '../../client/localModel/serving';
import { ModelError, type ModelClient, type ModelRequest } from './types';
import { ServerTurns } from './serverTurns';
import { commonPrefix, promptText, SlotAllocator } from './slots';
import * as fs from 'node:fs';

/**
 * One HTTP request to a local server, under the activity's 10 minutes: a call in a batch
 * shares the server with up to its slot count of others, so it takes longer than alone.
 */
export const LOCAL_TIMEOUT_MS = 540_000;

export class LocalModelClient implements ModelClient {
  private turns: ServerTurns | undefined;
  /** Per server process: a restarted server starts with empty caches. */
  private readonly allocators = new Map<string, SlotAllocator>();

  constructor(
    private readonly openai: ModelClient,
    private readonly home: string,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  async complete(req: ModelRequest): Promise<ModelResponse> {
    const id = req.backbone.local!;
    let how: Serving;
    try {
      how = serving(this.env);
    } catch (e) {
      throw new ModelError((e as Error).message, 'config', false);
    }
    let server: ServerState;
    try {
      server = await ensureServer({ home: this.home, cacheDir: localModelsDir(this.env), id, lora: req.backbone.lora?.adapters, env: this.env });
    } catch (e) {
      if (e instanceof NotProvisionedError) throw new ModelError(e.message, 'config', false);
      throw new ModelError(`backbone ${req.backbone.id}: ${(e as Error).message}`, 'server', true);
    }
    // One scheduler for every local backbone of this worker: the servers share the cores.
    this.turns ??= new ServerTurns(how.serversAtOnce);
    const key = `${server.baseURL}#${server.pid}`;
    const slots = slotsOf(server);
    return this.turns.run(
      key,
      how.batch ? slots : 1,
      async () => {
        const allocator = how.pinSlots ? this.allocatorFor(server.baseURL, key, slots) : undefined;
        const prompt = allocator ? promptText(req) : '';
        const slot = allocator?.acquire(req.conversation, prompt);
        const shared = slot !== undefined ? commonPrefix(allocator!.held(slot), prompt) : undefined;
        let served = false;
        try {
          const res = await this.openai.complete({
            ...req,
            backbone: { ...req.backbone, baseURL: server.baseURL },
            timeoutMs: req.timeoutMs ?? LOCAL_TIMEOUT_MS,
            ...(slot !== undefined ? { extraBody: { ...req.extraBody, id_slot: slot } } : {}),
          });
          served = true;
          this.logSlot({ server: key, conversation: req.conversation, slot, sharedChars: shared, promptChars: prompt.length, inputTokens: res.usage.inputTokens, cachedInputTokens: res.usage.cachedInputTokens });
          return res;
        } finally {
          if (slot !== undefined) allocator!.release(slot, served ? prompt : '');
        }
      },
      req.signal,
    );
  }

  /**
   * MAS2_LOCAL_SLOT_LOG=FILE: one JSON line per served call — the slot it took, the characters of
   * prompt it shared with what that slot held, and the tokens the server then served from its cache.
   */
  private logSlot(entry: Record<string, unknown>): void {
    const file = this.env.MAS2_LOCAL_SLOT_LOG;
    if (file) fs.appendFileSync(file, JSON.stringify({ at: new Date().toISOString(), ...entry }) + '\n');
  }

  endConversation(conversation: string): void {
    this.logSlot({ ended: conversation });
    for (const a of this.allocators.values()) a.end(conversation);
  }

  private allocatorFor(baseURL: string, key: string, slots: number): SlotAllocator {
    let a = this.allocators.get(key);
    if (!a) {
      // The same address with another pid is a restarted server: its old slots are gone.
      for (const k of this.allocators.keys()) if (k.startsWith(`${baseURL}#`)) this.allocators.delete(k);
      a = new SlotAllocator(slots);
      this.allocators.set(key, a);
    }
    return a;
  }
}
