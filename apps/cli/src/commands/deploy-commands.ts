import { Command, InvalidArgumentError } from 'commander';
import { unwrap } from '../cli-error.js';
import { sessionOf, wantsJson } from '../command-context.js';
import { deploy } from '../deploy.js';
import { followLogs, type LogLine } from '../log-follow.js';
import { printJson, say } from '../output.js';

function count(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0 || parsed > 10_000)
    throw new InvalidArgumentError('expected 0–10000');
  return parsed;
}

export function deployCommands(program: Command): void {
  program
    .command('deploy [folder]')
    .description(
      'Pack the folder (honouring .gitignore and .berthignore), upload it, follow the build log, wait for the ' +
        "rollout and print the app's URLs",
    )
    .requiredOption('-a, --app <app>', 'the app to deploy to')
    .option('--timeout <seconds>', 'how long to wait for the rollout', count, 300)
    .addHelpText('after', '\nExample:\n  berth deploy ./my-node-app --app hello')
    .action(
      async (folder: string | undefined, options: { app: string; timeout: number }, command: Command) => {
        const client = (await sessionOf(command)).client;
        const result = await deploy(client, {
          app: options.app,
          folder: folder ?? '.',
          timeout: options.timeout,
        });
        if (wantsJson(command))
          return printJson({
            build: result.build,
            release: result.release,
            urls: result.urls,
            app: result.app,
          });
        say(`Deployed ${options.app} v${result.release}`);
        for (const url of result.urls) process.stdout.write(`${url}\n`);
      },
    );

  program
    .command('logs <app>')
    .description(
      "The app's log merged across replicas; -f follows it live and resumes after a dropped connection",
    )
    .option('-n, --tail <lines>', 'lines from the end', count, 100)
    .option('-f, --follow', 'keep streaming new lines (Ctrl-C to stop)')
    .action(async (name: string, options: { tail: number; follow?: boolean }, command: Command) => {
      const session = await sessionOf(command);
      const json = wantsJson(command);
      const print = (line: LogLine) =>
        process.stdout.write(
          json ? `${JSON.stringify(line)}\n` : `${line.timestamp} ${line.replica.slice(0, 8)} ${line.text}\n`,
        );
      if (!options.follow) {
        const page = unwrap(
          await session.client.GET('/v1/apps/{app}/logs', {
            params: { path: { app: name }, query: { tail: options.tail } },
          }),
        );
        if (json) return printJson(page);
        for (const line of page.lines) print(line);
        return;
      }
      const stop = new AbortController();
      process.once('SIGINT', () => stop.abort());
      process.once('SIGTERM', () => stop.abort());
      await followLogs({
        apiUrl: session.apiUrl,
        app: name,
        tail: options.tail,
        token: () => session.token(),
        onLine: print,
        signal: stop.signal,
      });
    });
}
