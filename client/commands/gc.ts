/** `mas2 gc [--retention 7d] [--grace 1h] [--dry-run] [--json]`: delete blobs no open or recent run references (client/gc.ts). */
import { InvalidArgumentError, type Command } from 'commander';
import { mas2Home } from '../../activities/home';
import { openBlobStore } from '../../activities/blobStore';
import { HISTORY_READER_MAX_BYTES, connectClient, resolveTarget } from '../connect';
import { collectGarbage, MIN_GRACE_MS, parseDuration } from '../gc';
import { claimServer } from '../serverIdentity';
import { out, printJson, say } from '../terminal';


function duration(min: number): (text: string) => number {
  return (text) => {
    const ms = parseDuration(text);
    if (ms === undefined) throw new InvalidArgumentError('must be a duration like 30d, 12h, 90m or 45s');
    if (ms < min) throw new InvalidArgumentError(`must be at least ${min / 60_000} minutes (longer than any activity, see docs/operations.md)`);
    return ms;
  };
}

export function registerGc(program: Command): void {
  program
    .command('gc')
    .description('delete blobs that no open run and no run closed within --retention references (MAS2_BLOB_STORE or the folder under $MAS2_HOME)')
    .option('--retention <duration>', 'closed runs younger than this keep their blobs', duration(0), 7 * 86_400_000)
    .option('--grace <duration>', 'blobs written this recently are always kept (≥ 15m: covers activities still running)', duration(MIN_GRACE_MS), 3_600_000)
    .option('--dry-run', 'report what would be deleted, delete nothing')
    .option('--json', 'the report as JSON on stdout')
    .option('--claim', "record once that this server's runs write to this home's blob store (for a cluster; the embedded server is claimed when it is created), then stop")
    .action(async (o: { retention: number; grace: number; dryRun?: boolean; json?: boolean; claim?: boolean }) => {
      const target = await resolveTarget({ log: say });
      const client = await connectClient(target, { maxReceiveBytes: HISTORY_READER_MAX_BYTES });
      const store = openBlobStore(mas2Home());
      try {
        if (o.claim) {
          await claimServer(client.connection, target.namespace, await store.identity(), store.where);
          say(`namespace ${target.namespace} on ${target.address} is claimed by the blob store ${store.where}`);
          return;
        }
        say(`gc of ${store.where}: runs on ${target.address}/${target.namespace}, retention ${o.retention / 3_600_000} h, grace ${o.grace / 60_000} min${o.dryRun ? ' (dry run)' : ''}`);
        const r = await collectGarbage({ client, store, address: target.address, retentionMs: o.retention, graceMs: o.grace, dryRun: o.dryRun, log: say });
        if (o.json) printJson(r);
        else
          out(
            `${r.dryRun ? 'would delete' : 'deleted'} ${r.deleted} of ${r.stored} blobs (${(r.deletedBytes / 1024).toFixed(1)} KiB); kept ${r.keptLive} referenced by ${r.runsScanned} runs (${r.openRuns} open), ${r.keptRecent} written within the grace period${r.skippedRuns ? `, ${r.keptUnread} written since the start of ${r.skippedRuns} run(s) whose history could not be read` : ''}\n`,
          );
      } finally {
        await store.close();
        await client.connection.close();
      }
    });
}
