import { Command, InvalidArgumentError } from 'commander';
import { unwrap } from '../cli-error.js';
import { sessionOf, wantsJson } from '../command-context.js';
import { printJson, say } from '../output.js';

/** A duration such as 900, 900s, 15m or 2h, in seconds. */
function seconds(value: string): number {
  const match = /^(\d+)(s|m|h)?$/.exec(value);
  if (!match) throw new InvalidArgumentError('expected seconds, or a number with s, m or h (e.g. 15m)');
  return Number(match[1]) * { s: 1, m: 60, h: 3600 }[(match[2] ?? 's') as 's' | 'm' | 'h'];
}

/** `berth sleep set|off`: scale to zero (docs/ingress.md, "Scale to zero"). */
export function sleepCommands(program: Command): void {
  const sleep = program
    .command('sleep')
    .description('Scale to zero: the app sleeps when idle and wakes on its next request');
  sleep
    .command('set')
    .description('Sleep after this long without a request (plans that allow it)')
    .argument('<app>', 'the app')
    .argument('<idle>', 'idle time: seconds, or a number with s, m or h (e.g. 15m)', seconds)
    .action(async (name: string, afterIdleSeconds: number, _options: object, command: Command) => {
      const client = (await sessionOf(command)).client;
      const app = unwrap(
        await client.PUT('/v1/apps/{app}/sleep', {
          params: { path: { app: name } },
          body: { afterIdleSeconds },
        }),
      );
      if (wantsJson(command)) return printJson(app);
      say(`${app.name} sleeps after ${app.sleep!.afterIdleSeconds} s without a request`);
    });
  sleep
    .command('off <app>')
    .description('Keep the app awake (a sleeping app wakes now)')
    .action(async (name: string, _options: object, command: Command) => {
      const client = (await sessionOf(command)).client;
      const app = unwrap(await client.DELETE('/v1/apps/{app}/sleep', { params: { path: { app: name } } }));
      if (wantsJson(command)) return printJson(app);
      say(`${app.name} stays awake`);
    });
}
