import { createInterface } from 'node:readline/promises';
import { Command } from 'commander';
import { unwrap } from '../cli-error.js';
import { globalsOf, sessionOf, wantsJson } from '../command-context.js';
import {
  credentialsFile,
  readCredentials,
  removeCredentials,
  writeCredentials,
} from '../credentials-store.js';
import { printFields, printJson, printTable, say } from '../output.js';
import { anonymousClient, apiUrlOf, tokenPairCredentials } from '../session.js';
import { createBerthClient } from '../../../../packages/client/src/index.js';

async function readPassword(fromStdin: boolean): Promise<string> {
  if (process.env.BERTH_PASSWORD) return process.env.BERTH_PASSWORD;
  if (fromStdin || !process.stdin.isTTY) {
    let text = '';
    for await (const chunk of process.stdin) text += String(chunk);
    return text.replace(/\r?\n$/, '');
  }
  const prompt = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  // Echo nothing while the password is typed.
  (prompt as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = () => undefined;
  process.stderr.write('Password: ');
  const password = await prompt.question('');
  prompt.close();
  process.stderr.write('\n');
  return password;
}

async function ask(question: string): Promise<string> {
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  const answer = await prompt.question(question);
  prompt.close();
  return answer.trim();
}

export function accountCommands(program: Command): void {
  program
    .command('login')
    .description(
      'Log in with an email and password, or an API key; credentials are kept 0600 in your config folder',
    )
    .option('-e, --email <email>', 'account email (asked when missing)')
    .option('--password-stdin', 'read the password from stdin (or set BERTH_PASSWORD)')
    .option('-k, --api-key <key>', 'log in with an API key (brk_…) instead')
    .addHelpText(
      'after',
      '\nExamples:\n  berth login --api http://127.0.0.1:3000 -e ada@example.com\n  berth login --api-key brk_…',
    )
    .action(
      async (options: { email?: string; passwordStdin?: boolean; apiKey?: string }, command: Command) => {
        const globals = globalsOf(command);
        const apiUrl = apiUrlOf(globals, await readCredentials());
        if (options.apiKey) {
          const key = options.apiKey;
          const me = unwrap(
            await createBerthClient({ baseUrl: apiUrl, credentials: () => key }).GET('/v1/me'),
          );
          await writeCredentials({ apiUrl, apiKey: key });
          say(`Logged in to ${apiUrl} with an API key of ${me.tenant?.name ?? 'the platform'}`);
          return;
        }
        const email = options.email ?? (await ask('Email: '));
        const password = await readPassword(options.passwordStdin === true);
        const pair = unwrap(
          await anonymousClient(apiUrl).POST('/v1/auth/login', { body: { email, password } }),
        );
        await writeCredentials(tokenPairCredentials(apiUrl, email, pair));
        say(`Logged in to ${apiUrl} as ${email} (credentials in ${credentialsFile()})`);
      },
    );

  program
    .command('signup')
    .description('Create a tenant and its owner account, then log in as that owner')
    .option('-e, --email <email>', 'account email (asked when missing)')
    .option('--password-stdin', 'read the password from stdin (or set BERTH_PASSWORD)')
    .option('--tenant <name>', "your organisation's name")
    .action(
      async (options: { email?: string; passwordStdin?: boolean; tenant?: string }, command: Command) => {
        const apiUrl = apiUrlOf(globalsOf(command), await readCredentials());
        const email = options.email ?? (await ask('Email: '));
        const password = await readPassword(options.passwordStdin === true);
        const client = anonymousClient(apiUrl);
        unwrap(
          await client.POST('/v1/auth/signup', { body: { email, password, tenantName: options.tenant } }),
        );
        const pair = unwrap(await client.POST('/v1/auth/login', { body: { email, password } }));
        await writeCredentials(tokenPairCredentials(apiUrl, email, pair));
        say(`Signed up and logged in to ${apiUrl} as ${email}`);
      },
    );

  program
    .command('logout')
    .description('Revoke the stored refresh token and forget the credentials')
    .action(async () => {
      const stored = await readCredentials();
      if (stored?.refreshToken)
        await anonymousClient(stored.apiUrl).POST('/v1/auth/logout', {
          body: { refreshToken: stored.refreshToken },
        });
      say((await removeCredentials()) ? 'Logged out' : 'Not logged in');
    });

  program
    .command('whoami')
    .description('Who the stored credentials are: user or API key, tenant, plan, permissions')
    .action(async (_options: object, command: Command) => {
      const me = unwrap(await (await sessionOf(command)).client.GET('/v1/me'));
      if (wantsJson(command)) return printJson(me);
      printFields(
        {
          kind: me.kind,
          email: me.user?.email,
          role: me.user?.role,
          tenant: me.tenant?.name,
          plan: me.tenant?.planId,
          permissions: me.permissions.join(' '),
        },
        ['kind', 'email', 'role', 'tenant', 'plan', 'permissions'],
      );
    });

  const keys = program.command('keys').description('API keys of your tenant (for CI and scripts)');
  keys
    .command('list', { isDefault: true })
    .description('List API keys (the secret is never shown again)')
    .action(async (_options: object, command: Command) => {
      const list = unwrap(await (await sessionOf(command)).client.GET('/v1/api-keys'));
      if (wantsJson(command)) return printJson(list);
      printTable(list, ['id', 'name', 'prefix', 'scopes', 'lastUsedAt', 'revokedAt']);
    });
  keys
    .command('create <name>')
    .description('Create an API key; its secret is printed once')
    .option('-s, --scope <scope...>', 'apps:read, apps:write, logs:read, usage:read', ['apps:read'])
    .action(async (name: string, options: { scope: string[] }, command: Command) => {
      const scopes = options.scope as ('apps:read' | 'apps:write' | 'logs:read' | 'usage:read')[];
      const key = unwrap(
        await (await sessionOf(command)).client.POST('/v1/api-keys', { body: { name, scopes } }),
      );
      if (wantsJson(command)) return printJson(key);
      say(`Created key ${key.id} (${key.scopes.join(' ')}); store the secret now, it is not shown again:`);
      process.stdout.write(`${key.secret}\n`);
    });
  keys
    .command('revoke <id>')
    .description('Revoke an API key; it stops working at once')
    .action(async (id: string, _options: object, command: Command) => {
      unwrap(
        await (await sessionOf(command)).client.DELETE('/v1/api-keys/{id}', { params: { path: { id } } }),
      );
      say(`Revoked ${id}`);
    });

  program
    .command('quota')
    .description("Your plan's limits and what you use of them")
    .action(async (_options: object, command: Command) => {
      const quota = unwrap(await (await sessionOf(command)).client.GET('/v1/tenant/quota'));
      if (wantsJson(command)) return printJson(quota);
      const limits = quota.limits as Record<string, unknown>;
      const usage = quota.usage as Record<string, unknown>;
      say(`Plan ${quota.planId}`);
      printTable(
        Object.entries(limits).map(([limit, value]) => ({ limit, value })),
        ['limit', 'value'],
      );
      printTable(
        Object.entries(usage).map(([use, value]) => ({ use, value })),
        ['use', 'value'],
      );
    });

  program
    .command('usage')
    .description('Usage totals (container and build seconds, memory) for a period')
    .option('--from <iso>', 'start of the period (ISO 8601)')
    .option('--to <iso>', 'end of the period (ISO 8601)')
    .option('-a, --app <app>', 'one app only (its id)')
    .action(async (options: { from?: string; to?: string; app?: string }, command: Command) => {
      const client = (await sessionOf(command)).client;
      const totals = unwrap(await client.GET('/v1/usage/totals', { params: { query: options } }));
      // Nested totals per kind read best as they are, so both forms print the JSON.
      printJson(totals);
    });
}
