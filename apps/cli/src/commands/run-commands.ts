import { Command, InvalidArgumentError } from 'commander';
import type { Schemas } from '../../../../packages/client/src/index.js';
import { CliError, ExitCode, unwrap } from '../cli-error.js';
import { sessionOf, wantsJson } from '../command-context.js';
import { printJson, say } from '../output.js';

const ENDED = new Set(['succeeded', 'failed', 'timed_out', 'stopped', 'error']);
const POLL_MS = 500;

function seconds(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new InvalidArgumentError('expected whole seconds ≥ 1');
  return parsed;
}

/**
 * `berth run <app> -- <command…>`: one run of the command in a container of the app's current release
 * (docs/runs.md), its output printed as it comes (stdout to stdout, stderr to stderr, paged by `seq`), and
 * the command's own exit code as berth's (as `heroku run` does). A run that ended without one (time limit,
 * stopped, could not start) exits 1 with the reason.
 */
export function runCommands(program: Command): void {
  program
    .command('run <app> <command...>')
    .description('Run a command once in a container of the app’s current release; exits with its exit code')
    .option('-t, --timeout <seconds>', 'kill it after this many seconds (default 600)', seconds)
    .action(async (app: string, argv: string[], options: { timeout?: number }, command: Command) => {
      const { client } = await sessionOf(command);
      const path = { app };
      const started = unwrap(
        await client.POST('/v1/apps/{app}/runs', {
          params: { path },
          body: { command: argv, timeoutSeconds: options.timeout },
        }),
      );
      let after = 0;
      let run: Schemas['RunView'];
      for (;;) {
        const page = unwrap(
          await client.GET('/v1/apps/{app}/runs/{id}/output', {
            params: { path: { app, id: started.id }, query: { after } },
          }),
        );
        for (const line of page.lines) {
          if (!wantsJson(command))
            (line.stream === 'stderr' ? process.stderr : process.stdout).write(`${line.text}\n`);
        }
        after = page.nextCursor;
        if (page.lines.length > 0) continue;
        if (ENDED.has(page.state)) {
          run = unwrap(
            await client.GET('/v1/apps/{app}/runs/{id}', { params: { path: { app, id: started.id } } }),
          );
          if (ENDED.has(run.state) && run.finishedAt !== null) break;
        }
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      }
      if (wantsJson(command)) printJson(run);
      if (run.exitCode !== null && (run.state === 'succeeded' || run.state === 'failed') && !run.oomKilled) {
        process.exitCode = run.exitCode;
        return;
      }
      say(`run ${run.id} ${run.state}: ${run.reason ?? 'no exit code'}`);
      throw new CliError(`the command did not finish: ${run.reason ?? run.state}`, ExitCode.failure);
    });
}
