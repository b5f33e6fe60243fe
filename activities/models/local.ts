/**
 * Backbones mas2 serves itself (`local` set, the `--pool local` preset): the
 * worker makes sure the llama-server of that model runs — starting it again
 * after its idle watchdog stopped it, or in a separate `mas2 worker` with the
 * same $MAS2_HOME — and calls it through the OpenAI adapter. Provisioning is
 * not done here (minutes, and the CLI shows its progress): a missing model is
 * a config error naming the command that fixes it.
 */
import type { ModelResponse } from '../../mas/messages';
import { ensureServer, NotProvisionedError } from '../../client/localModel/server';
import { localModelsDir } from '../../client/localModel/paths';
import { ModelError, type ModelClient, type ModelRequest } from './types';
import { Gate, localConcurrency } from './localGate';

/** One request may wait behind others for the single slot of a 2-core server. */
export const LOCAL_TIMEOUT_MS = 300_000;

export class LocalModelClient implements ModelClient {
  private gate: Gate | undefined;

  constructor(
    private readonly openai: ModelClient,
    private readonly home: string,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  async complete(req: ModelRequest): Promise<ModelResponse> {
    const id = req.backbone.local!;
    let baseURL: string;
    try {
      baseURL = (await ensureServer({ home: this.home, cacheDir: localModelsDir(this.env, this.home), id, lora: req.backbone.lora?.adapters, env: this.env })).baseURL;
    } catch (e) {
      if (e instanceof NotProvisionedError) throw new ModelError(e.message, 'config', false);
      throw new ModelError(`backbone ${req.backbone.id}: ${(e as Error).message}`, 'server', true);
    }
    // One gate for every local backbone of this worker: the servers share the cores.
    try {
      this.gate ??= new Gate(localConcurrency(this.env, Number(this.env.MAS2_LOCAL_THREADS) || 2));
    } catch (e) {
      throw new ModelError((e as Error).message, 'config', false);
    }
    return this.gate.run(() => this.openai.complete({ ...req, backbone: { ...req.backbone, baseURL }, timeoutMs: req.timeoutMs ?? LOCAL_TIMEOUT_MS }), req.signal);
  }
}
