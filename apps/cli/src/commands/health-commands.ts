import { Command, InvalidArgumentError } from 'commander';
import { unwrap } from '../cli-error.js';
import { sessionOf, wantsJson } from '../command-context.js';
import { printJson, say } from '../output.js';

function whole(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0) throw new InvalidArgumentError('expected a whole number ≥ 0');
  return parsed;
}

function statusRange(value: string): { statusMin: number; statusMax: number } {
  const match = /^(\d{3})-(\d{3})$/.exec(value);
  if (!match) throw new InvalidArgumentError('expected a range such as 200-399');
  return { statusMin: Number(match[1]), statusMax: Number(match[2]) };
}

interface SetOptions {
  path: string;
  status?: { statusMin: number; statusMax: number };
  interval?: number;
  timeout?: number;
  grace?: number;
  passes?: number;
  failures?: number;
  window?: number;
}

/** `berth health-check set|remove`: the app's HTTP health check (docs/deploys.md). */
export function healthCommands(program: Command): void {
  const health = program
    .command('health-check')
    .description("The app's HTTP health check: new replicas must pass it, failing releases are rolled back");
  health
    .command('set <app>')
    .description('Set the check; makes a new release that carries it')
    .requiredOption('--path <path>', 'path requested with GET on each replica, e.g. /healthz')
    .option('--status <range>', 'statuses that pass (default 200-399)', statusRange)
    .option('--interval <ms>', 'pause between probes of a replica', whole)
    .option('--timeout <ms>', 'time a probe may take', whole)
    .option('--grace <ms>', 'no probe this long after a replica starts', whole)
    .option('--passes <n>', 'passes in a row before a new replica takes traffic', whole)
    .option('--failures <n>', 'failures in a row that make a replica unhealthy', whole)
    .option('--window <ms>', 'how long after its rollout a failing release is rolled back', whole)
    .action(async (name: string, options: SetOptions, command: Command) => {
      const body = {
        path: options.path,
        ...options.status,
        intervalMs: options.interval,
        timeoutMs: options.timeout,
        gracePeriodMs: options.grace,
        successThreshold: options.passes,
        failureThreshold: options.failures,
        rollbackWindowMs: options.window,
      };
      const client = (await sessionOf(command)).client;
      const app = unwrap(
        await client.PUT('/v1/apps/{app}/health-check', { params: { path: { app: name } }, body }),
      );
      if (wantsJson(command)) return printJson(app);
      const check = app.healthCheck!;
      say(
        `Health check of ${app.name}: GET ${check.path} → ${check.statusMin}-${check.statusMax} every ${check.intervalMs} ms` +
          (app.release ? `; release v${app.release.version}` : ''),
      );
    });
  health
    .command('remove <app>')
    .description('Remove the check (a replica is ready once its port accepts connections)')
    .action(async (name: string, _options: object, command: Command) => {
      const client = (await sessionOf(command)).client;
      const app = unwrap(
        await client.DELETE('/v1/apps/{app}/health-check', { params: { path: { app: name } } }),
      );
      if (wantsJson(command)) return printJson(app);
      say(`Health check of ${app.name} removed${app.release ? `; release v${app.release.version}` : ''}`);
    });
}
