import { Command } from 'commander';
import { unwrap } from '../cli-error.js';
import { sessionOf, wantsJson } from '../command-context.js';
import { printJson, printTable, say } from '../output.js';

/** `berth drains list|add|remove`: log drains (docs/logs.md, "Drains"). */
export function drainCommands(program: Command): void {
  const drains = program
    .command('drains')
    .description("An app's log drains: every line forwarded to an HTTPS or syslog+tls endpoint");
  drains
    .command('list <app>', { isDefault: true })
    .description("The app's drains with the lines sent and dropped, and the last error")
    .action(async (app: string, _options: object, command: Command) => {
      const client = (await sessionOf(command)).client;
      const list = unwrap(await client.GET('/v1/apps/{app}/drains', { params: { path: { app } } }));
      if (wantsJson(command)) return printJson(list);
      printTable(
        list.map((drain) => ({ ...drain, sent: drain.linesSent, dropped: drain.linesDropped })),
        ['id', 'url', 'sent', 'dropped', 'lastSentAt', 'lastError'],
      );
    });
  drains
    .command('add <app> <url>')
    .description("Forward the app's lines to https://… (NDJSON batches) or syslog+tls://host:port (RFC 5424)")
    .action(async (app: string, url: string, _options: object, command: Command) => {
      const client = (await sessionOf(command)).client;
      const drain = unwrap(
        await client.POST('/v1/apps/{app}/drains', { params: { path: { app } }, body: { url } }),
      );
      if (wantsJson(command)) return printJson(drain);
      say(`Added drain ${drain.id} to ${app}: ${drain.url}`);
    });
  drains
    .command('remove <app> <id>')
    .description('Stop forwarding to a drain')
    .requiredOption('--yes', 'confirm')
    .action(async (app: string, id: string, _options: object, command: Command) => {
      const client = (await sessionOf(command)).client;
      unwrap(await client.DELETE('/v1/apps/{app}/drains/{id}', { params: { path: { app, id } } }));
      say(`Removed drain ${id} from ${app}`);
    });
}
