/** `mas2 audit ID [--format md|json|mermaid|html]`: the decision history of a run, projected from its Temporal history. */
import { Option, type Command } from 'commander';
import { connectClient, resolveTarget } from '../connect';
import { AUDIT_FORMATS, fetchAudit, renderAudit, type AuditFormat } from '../audit/index'; // not '../audit': a stale dist/client/audit.js from before the split would win
import { out, say } from '../terminal';


export function registerAudit(program: Command): void {
  program
    .command('audit')
    .description('the decision history of a run from its Temporal history: generator template, implementer assignment, every rectification with its trigger and the diff M_t → M_{t+1}, steps and costs')
    .argument('<id>', 'workflow id (see `mas2 list`)')
    .addOption(new Option('--format <format>', 'md (report), json (the audit document), mermaid (one subgraph per config version) or html (one self-contained page: graphs, timeline, costs, decisions)').choices(AUDIT_FORMATS).default('md'))
    .action(async (id: string, o: { format: AuditFormat }) => {
      const target = await resolveTarget({ log: say });
      const client = await connectClient(target);
      try {
        const audit = await fetchAudit(client, id);
        // JSON is already safe to print (and must stay JSON); every other format is text.
        const text = renderAudit(audit, o.format);
        if (o.format === 'json') process.stdout.write(text);
        else out(text);
      } finally {
        await client.connection.close();
      }
    });
}
