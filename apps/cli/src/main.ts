#!/usr/bin/env node
// The `berth` command line: a thin shell over packages/client. Exit codes: cli-error.ts and docs/cli.md.
import { Command, CommanderError } from 'commander';
import { CliError, ExitCode } from './cli-error.js';
import { accountCommands } from './commands/account-commands.js';
import { appCommands } from './commands/app-commands.js';
import { deployCommands } from './commands/deploy-commands.js';
import { domainCommands } from './commands/domain-commands.js';
import { drainCommands } from './commands/drain-commands.js';
import { healthCommands } from './commands/health-commands.js';
import { runCommands } from './commands/run-commands.js';
import { sleepCommands } from './commands/sleep-commands.js';

export function buildProgram(): Command {
  const program = new Command('berth')
    .description('Deploy and run Node.js apps on Berth. Docs: docs/cli.md')
    .version('0.1.0')
    .option(
      '--api <url>',
      'the Berth API (default: $BERTH_API_URL, the one logged in to, or http://127.0.0.1:3000)',
    )
    .option('--json', 'print the API’s JSON (for scripts)')
    .showHelpAfterError()
    .exitOverride();
  accountCommands(program);
  appCommands(program);
  deployCommands(program);
  domainCommands(program);
  drainCommands(program);
  healthCommands(program);
  runCommands(program);
  sleepCommands(program);
  program.addHelpText(
    'after',
    `
A first session:
  berth login --api http://127.0.0.1:3000 -e ada@example.com
  berth apps create hello
  berth deploy ./my-node-app --app hello
  berth logs hello -f

Exit codes: 0 ok, 1 failure, 2 usage, 3 not logged in or not allowed, 4 not found, 5 a limit or quota,
6 deploy failed, 7 API unreachable.`,
  );
  return program;
}

async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    // `berth run` hands back its command's exit code.
    return typeof process.exitCode === 'number' ? process.exitCode : ExitCode.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here too, with exit code 0.
      return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    }
    if (error instanceof CliError) {
      process.stderr.write(`Error: ${error.message}\n`);
      return error.exitCode;
    }
    const cause = (error as { cause?: { code?: string } }).cause;
    if (
      error instanceof TypeError &&
      cause?.code &&
      ['ECONNREFUSED', 'ENOTFOUND', 'ECONNRESET', 'EHOSTUNREACH'].includes(cause.code)
    ) {
      process.stderr.write(`Error: the Berth API could not be reached (${cause.code})\n`);
      return ExitCode.unreachable;
    }
    process.stderr.write(`Error: ${error instanceof Error ? error.message : String(error)}\n`);
    return ExitCode.failure;
  }
}

process.exitCode = await main(process.argv);
