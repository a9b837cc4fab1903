import fs from 'node:fs/promises';
import { Command } from 'commander';
import type { Schemas } from '../../../../packages/client/src/index.js';
import { CliError, ExitCode, unwrap } from '../cli-error.js';
import { sessionOf, wantsJson } from '../command-context.js';
import { printJson, printTable, say } from '../output.js';

type DomainView = Schemas['DomainView'];

/** What the user must publish in DNS before `verify` can pass, in the form a DNS console asks for. */
function printChallenge(domain: DomainView): void {
  say(`To prove you control ${domain.hostname}, publish this DNS record, then run \`berth domains verify\`:`);
  process.stdout.write(`${domain.challenge.name}  TXT  "${domain.challenge.value}"\n`);
}

function certificateOf(domain: DomainView): string {
  const certificate = domain.certificate;
  if (!certificate) return '';
  const until = certificate.notAfter ? ` until ${certificate.notAfter}` : '';
  return `${certificate.source} ${certificate.status}${until}${certificate.error ? `: ${certificate.error}` : ''}`;
}

/** A PEM file the user named; a missing or unreadable file is a usage error, not a crash. */
async function readPem(file: string, what: string): Promise<string> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (error) {
    throw new CliError(
      `cannot read the ${what} file ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
      ExitCode.usage,
    );
  }
}

export function domainCommands(program: Command): void {
  const domains = program
    .command('domains')
    .description("An app's custom domains: add, prove control by DNS, upload a certificate, remove");
  domains
    .command('list <app>', { isDefault: true })
    .description("The app's custom domains with their verification and certificate")
    .action(async (app: string, _options: object, command: Command) => {
      const client = (await sessionOf(command)).client;
      const list = unwrap(await client.GET('/v1/apps/{app}/domains', { params: { path: { app } } }));
      if (wantsJson(command)) return printJson(list);
      printTable(
        list.map((domain) => ({ ...domain, certificate: certificateOf(domain) })),
        ['hostname', 'status', 'certificate', 'lastError'],
      );
    });
  domains
    .command('add <app> <hostname>')
    .description('Claim a hostname for the app; prints the DNS TXT record that proves control')
    .action(async (app: string, hostname: string, _options: object, command: Command) => {
      const client = (await sessionOf(command)).client;
      const domain = unwrap(
        await client.POST('/v1/apps/{app}/domains', { params: { path: { app } }, body: { hostname } }),
      );
      if (wantsJson(command)) return printJson(domain);
      say(`Added ${domain.hostname} to ${app} (${domain.status})`);
      printChallenge(domain);
    });
  domains
    .command('verify <app> <hostname>')
    .description('Look up the TXT record now; the hostname routes to the app once verified')
    .action(async (app: string, hostname: string, _options: object, command: Command) => {
      const client = (await sessionOf(command)).client;
      const domain = unwrap(
        await client.POST('/v1/apps/{app}/domains/{hostname}/verify', {
          params: { path: { app, hostname } },
        }),
      );
      if (wantsJson(command)) return printJson(domain);
      say(`${domain.hostname} is verified and routes to ${app}`);
    });
  domains
    .command('cert <app> <hostname>')
    .description(
      "The hostname's certificate: --acme to have Berth issue and renew one, or upload --cert and --key",
    )
    .option(
      '--acme',
      'issue one by ACME (HTTP-01 through the router), renewed before expiry; again: renew now',
    )
    .option('--cert <file>', 'PEM certificate chain to upload, leaf first')
    .option('--key <file>', 'PEM private key of the leaf (sealed at rest, never shown again)')
    .action(
      async (
        app: string,
        hostname: string,
        options: { acme?: boolean; cert?: string; key?: string },
        command: Command,
      ) => {
        const path = { app, hostname };
        const client = (await sessionOf(command)).client;
        if (options.acme === (options.cert !== undefined || options.key !== undefined)) {
          throw new CliError('give either --acme, or --cert and --key', ExitCode.usage);
        }
        if (options.acme) {
          const domain = unwrap(
            await client.POST('/v1/apps/{app}/domains/{hostname}/certificate', {
              params: { path },
              body: { type: 'acme' },
            }),
          );
          if (wantsJson(command)) return printJson(domain);
          say(
            `${domain.hostname}: certificate ${domain.certificate?.status ?? 'pending'}; see \`berth domains ${app}\``,
          );
          return;
        }
        if (!options.cert || !options.key) throw new CliError('--cert and --key go together', ExitCode.usage);
        const body = {
          certificate: await readPem(options.cert, 'certificate'),
          privateKey: await readPem(options.key, 'key'),
        };
        const domain = unwrap(
          await client.PUT('/v1/apps/{app}/domains/{hostname}/certificate', { params: { path }, body }),
        );
        if (wantsJson(command)) return printJson(domain);
        say(`${domain.hostname} serves HTTPS with a certificate valid until ${domain.certificate?.notAfter}`);
      },
    );
  domains
    .command('remove <app> <hostname>')
    .description('Stop routing the hostname to the app and free it (its certificate is deleted)')
    .requiredOption('--yes', 'confirm')
    .action(async (app: string, hostname: string, _options: object, command: Command) => {
      const client = (await sessionOf(command)).client;
      unwrap(
        await client.DELETE('/v1/apps/{app}/domains/{hostname}', { params: { path: { app, hostname } } }),
      );
      say(`Removed ${hostname} from ${app}`);
    });
}
