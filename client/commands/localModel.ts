/**
 * `mas2 local-model status|provision|stop`: the local models behind
 * `--pool local` (client/localModel): what is in the cache, which servers run
 * for this $MAS2_HOME, provisioning ahead of a run, stopping the servers.
 */
import * as fs from 'node:fs';
import type { Command } from 'commander';
import { mas2Home } from '../../activities/home';
import { LOCAL_MODELS, LLAMA_SDIST } from '../localModel/catalog';
import { localModelsDir, modelFiles, serverFiles } from '../localModel/paths';
import { modelReady, readNativeRecord, readTimings, serverBinary, serverBuilt } from '../localModel/provision';
import { cpuKey } from '../localModel/cpu';
import { serving } from '../localModel/serving';
import { provisionOrExplain } from '../localModel/start';
import { ensureServer, healthy, idleSeconds, readState, stopServer } from '../localModel/server';
import { pidAlive } from '../devServer';

const say = (line: string) => process.stderr.write(`mas2: ${line}\n`);

async function status(env: NodeJS.ProcessEnv = process.env) {
  const home = mas2Home(env);
  const cacheDir = localModelsDir(env);
  const models = await Promise.all(
    LOCAL_MODELS.map(async (m) => {
      const s = readState(home, m.id);
      const running = s !== undefined && pidAlive(s.pid) && (await healthy(s.baseURL));
      return {
        id: m.id,
        model: m.model,
        provisioned: modelReady(cacheDir, m),
        file: modelFiles(cacheDir, m).gguf,
        server: s ? { running, pid: s.pid, port: s.port, baseURL: s.baseURL, build: s.build ?? null, slots: s.slots ?? null, startedAt: s.startedAt, idleSeconds: s.idleSeconds } : null,
      };
    }),
  );
  return {
    cacheDir,
    home,
    llamaServer: { ...serverBinary(cacheDir, env), built: serverBuilt(cacheDir, env), from: `${LLAMA_SDIST.name}==${LLAMA_SDIST.version}`, cpu: cpuKey(), native: readNativeRecord(cacheDir) ?? null },
    serving: serving(env),
    idleSeconds: idleSeconds(env),
    timings: readTimings(cacheDir),
    models,
  };
}

export function registerLocalModel(program: Command): void {
  const cmd = program.command('local-model').description('the local llama.cpp models behind --pool local: status, provision, stop');

  cmd
    .command('status')
    .description('what is provisioned (cache) and which servers run for this $MAS2_HOME')
    .option('--json', 'as JSON')
    .action(async (o: { json?: boolean }) => {
      const st = await status();
      if (o.json) {
        process.stdout.write(JSON.stringify(st, null, 2) + '\n');
        return;
      }
      const nat = st.llamaServer.native;
      const lines = [
        `cache: ${st.cacheDir}`,
        `llama-server: ${st.llamaServer.built ? `${st.llamaServer.path} (${st.llamaServer.build} build)` : `not built (from ${st.llamaServer.from})`}`,
        `build for this CPU (${st.llamaServer.cpu}): ${nat?.builtAt ? `built ${nat.builtAt}` : nat?.failedAt ? `failed ${nat.failedAt}: ${nat.error}` : 'not built yet'}`,
        `serving: ${st.serving.mode} (${st.serving.slots} slots per server, ${st.serving.serversAtOnce} server${st.serving.serversAtOnce === 1 ? '' : 's'} computing at once)`,
      ];
      for (const m of st.models) {
        const srv = m.server ? (m.server.running ? `running at ${m.server.baseURL} (pid ${m.server.pid}${m.server.build ? `, ${m.server.build} build` : ''}${m.server.slots ? `, ${m.server.slots} slots` : ''})` : `recorded but not answering (pid ${m.server.pid})`) : 'not running';
        lines.push(`${m.id} (${m.model}): ${m.provisioned ? 'provisioned' : 'not provisioned'}; server ${srv}`);
      }
      lines.push(`idle shutdown after ${st.idleSeconds ? `${st.idleSeconds} s` : 'never (MAS2_LOCAL_IDLE_SECONDS=0)'}`);
      process.stdout.write(lines.join('\n') + '\n');
    });

  cmd
    .command('provision')
    .description('download the weights and build llama-server now (minutes the first time; a no-op when cached)')
    .option('--start', 'also start the servers')
    .action(async (o: { start?: boolean }) => {
      const home = mas2Home();
      const cacheDir = localModelsDir(process.env);
      const t = await provisionOrExplain(cacheDir, say);
      const took = [...Object.entries(t.downloadMs ?? {}).map(([id, ms]) => `${id} ${(ms / 1000).toFixed(0)} s`), ...(t.buildMs ? [`llama-server build ${(t.buildMs / 1000).toFixed(0)} s`] : []), ...(t.nativeBuildMs ? [`build for this CPU ${(t.nativeBuildMs / 1000).toFixed(0)} s`] : [])];
      say(`local models provisioned in ${cacheDir}${took.length ? ` (${took.join(', ')})` : ' (already there)'}`);
      if (o.start) for (const m of LOCAL_MODELS) await ensureServer({ home, cacheDir, id: m.id, log: say });
    });

  cmd
    .command('stop')
    .description('stop the local model servers of this $MAS2_HOME')
    .action(async () => {
      const home = mas2Home();
      const stopped: string[] = [];
      // The models' own servers and those serving LoRA adapters (`<model>+lora-<hash>`, meta policies).
      const recorded = fs.existsSync(serverFiles(home, '').dir) ? fs.readdirSync(serverFiles(home, '').dir).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -'.json'.length)) : [];
      for (const id of new Set([...LOCAL_MODELS.map((m) => m.id), ...recorded])) if (await stopServer(home, id)) stopped.push(id);
      say(stopped.length ? `stopped ${stopped.join(', ')}` : 'no local model server was running');
    });
}
