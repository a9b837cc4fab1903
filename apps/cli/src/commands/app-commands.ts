import { Command, InvalidArgumentError } from 'commander';
import type { Schemas } from '../../../../packages/client/src/index.js';
import { unwrap } from '../cli-error.js';
import { sessionOf, wantsJson } from '../command-context.js';
import { printFields, printJson, printTable, say } from '../output.js';

function integer(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0) throw new InvalidArgumentError('expected a whole number ≥ 0');
  return parsed;
}

function printApp(app: Schemas['AppView']): void {
  printFields(
    {
      ...app,
      release: app.release ? `v${app.release.version} (${app.release.description})` : null,
      urls: [...(app.loadBalancerEndpoint ? [app.loadBalancerEndpoint] : []), ...app.endpoints].join(' '),
      healthCheck: app.healthCheck ? `GET ${app.healthCheck.path}` : 'port accepts connections',
      rollout: app.rollout
        ? app.rollout.state === 'rolled_back'
          ? `v${app.rollout.fromVersion} rolled back to v${app.rollout.toVersion}: ${app.rollout.reason}`
          : `v${app.rollout.version} ${app.rollout.state.replace('_', ' ')}`
        : null,
    },
    [
      'name',
      'id',
      'desiredState',
      'phase',
      'statusReason',
      'replicas',
      'converged',
      'release',
      'rollout',
      'healthCheck',
      'urls',
      'createdAt',
    ],
  );
}

/** Prints the app the API answered with after a change: the whole view with --json, a line otherwise. */
function changed(command: Command, app: Schemas['AppView'], what: string): void {
  if (wantsJson(command)) return printJson(app);
  say(`${what}: ${app.name} is ${app.phase}${app.converged ? '' : ' (converging)'}`);
}

export function appCommands(program: Command): void {
  const apps = program.command('apps').description('Create, list, inspect and delete apps');
  apps
    .command('list', { isDefault: true })
    .description('Your apps with their phase, replicas and release')
    .action(async (_options: object, command: Command) => {
      const list = unwrap(await (await sessionOf(command)).client.GET('/v1/apps'));
      if (wantsJson(command)) return printJson(list);
      printTable(
        list.map((app) => ({ ...app, release: app.release ? `v${app.release.version}` : null })),
        ['name', 'phase', 'replicas', 'release', 'desiredState'],
      );
    });
  apps
    .command('create <name>')
    .description('Create an app (it runs once its first deploy succeeds)')
    .option('-r, --replicas <n>', 'replicas to run', integer)
    .action(async (name: string, options: { replicas?: number }, command: Command) => {
      const app = unwrap(
        await (
          await sessionOf(command)
        ).client.POST('/v1/apps', { body: { name, replicas: options.replicas } }),
      );
      changed(command, app, 'Created');
    });
  apps
    .command('info <app>')
    .description("An app's state, release and URLs")
    .action(async (name: string, _options: object, command: Command) => {
      const app = unwrap(
        await (await sessionOf(command)).client.GET('/v1/apps/{app}', { params: { path: { app: name } } }),
      );
      if (wantsJson(command)) return printJson(app);
      printApp(app);
    });
  apps
    .command('delete <app>')
    .description('Delete an app, its containers and images')
    .requiredOption('--yes', 'confirm: the app cannot be brought back')
    .action(async (name: string, _options: object, command: Command) => {
      unwrap(
        await (await sessionOf(command)).client.DELETE('/v1/apps/{app}', { params: { path: { app: name } } }),
      );
      say(`Deleting ${name}`);
    });

  program
    .command('scale <app> <replicas>')
    .description('Run this many replicas of the app')
    .action(async (name: string, replicas: string, _options: object, command: Command) => {
      const client = (await sessionOf(command)).client;
      const body = { replicas: integer(replicas) };
      changed(
        command,
        unwrap(await client.PATCH('/v1/apps/{app}', { params: { path: { app: name } }, body })),
        'Scaled',
      );
    });
  for (const [verb, description] of [
    ['start', 'Start a stopped app'],
    ['stop', "Stop the app's replicas (the app and its releases stay)"],
    ['restart', 'Replace every replica, one at a time'],
  ] as const) {
    program
      .command(`${verb} <app>`)
      .description(description)
      .action(async (name: string, _options: object, command: Command) => {
        const client = (await sessionOf(command)).client;
        const result = await client.POST(`/v1/apps/{app}/${verb}`, { params: { path: { app: name } } });
        changed(
          command,
          unwrap(result),
          `${verb[0].toUpperCase()}${verb.slice(1)}ed`.replace('Stoped', 'Stopped'),
        );
      });
  }

  program
    .command('releases <app>')
    .description("The app's releases, newest first")
    .action(async (name: string, _options: object, command: Command) => {
      const client = (await sessionOf(command)).client;
      const list = unwrap(await client.GET('/v1/apps/{app}/releases', { params: { path: { app: name } } }));
      if (wantsJson(command)) return printJson(list);
      printTable(
        list.map((r) => ({
          ...r,
          version: `v${r.version}`,
          current: r.current ? '*' : '',
          // The release phase (docs/runs.md): a failed one never rolled out.
          releasePhase: r.releasePhase ?? '',
        })),
        ['version', 'current', 'description', 'releasePhase', 'createdBy', 'createdAt'],
      );
    });
  program
    .command('rollback <app> <version>')
    .description('Make a new release from an older one (its build and env), e.g. `berth rollback web 3`')
    .action(async (name: string, version: string, _options: object, command: Command) => {
      const client = (await sessionOf(command)).client;
      const path = { app: name, version: integer(version.replace(/^v/, '')) };
      const app = unwrap(
        await client.POST('/v1/apps/{app}/releases/{version}/rollback', { params: { path } }),
      );
      changed(command, app, `Rolled back to v${path.version} as v${app.release?.version ?? '?'}`);
    });

  const env = program.command('env').description("The app's env vars (encrypted at rest, masked on read)");
  env
    .command('get <app> [name]')
    .description('Env var names with masked values (one var with [name])')
    .action(async (name: string, variable: string | undefined, _options: object, command: Command) => {
      const client = (await sessionOf(command)).client;
      const { vars } = unwrap(await client.GET('/v1/apps/{app}/env', { params: { path: { app: name } } }));
      const shown = variable
        ? { [variable]: (vars as Record<string, string>)[variable] }
        : (vars as Record<string, string>);
      if (wantsJson(command)) return printJson(shown);
      for (const [key, value] of Object.entries(shown)) process.stdout.write(`${key}=${value ?? ''}\n`);
    });
  env
    .command('set <app> <pairs...>')
    .description('Set vars (NAME=value …); the others are kept; makes a new release')
    .action(async (name: string, pairs: string[], _options: object, command: Command) => {
      const set: Record<string, string> = {};
      for (const pair of pairs) {
        const at = pair.indexOf('=');
        if (at < 1) throw new InvalidArgumentError(`${pair}: expected NAME=value`);
        set[pair.slice(0, at)] = pair.slice(at + 1);
      }
      const client = (await sessionOf(command)).client;
      const app = unwrap(
        await client.PATCH('/v1/apps/{app}/env', { params: { path: { app: name } }, body: { set } }),
      );
      changed(
        command,
        app,
        `Set ${Object.keys(set).join(', ')}${app.release ? `; release v${app.release.version}` : ''}`,
      );
    });
  env
    .command('unset <app> <names...>')
    .description('Remove vars; makes a new release')
    .action(async (name: string, unset: string[], _options: object, command: Command) => {
      const client = (await sessionOf(command)).client;
      const app = unwrap(
        await client.PATCH('/v1/apps/{app}/env', { params: { path: { app: name } }, body: { unset } }),
      );
      changed(
        command,
        app,
        `Unset ${unset.join(', ')}${app.release ? `; release v${app.release.version}` : ''}`,
      );
    });
}
